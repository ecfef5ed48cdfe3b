"""Opening the database: the URL, the SQLite settings that make it safe, and migrating to the current schema.

SQLite (the default) runs in WAL mode, so readers never wait for the writer, with `synchronous=FULL`, so a
committed answer survives a crash of the machine and not only of the process, and a busy timeout, so
concurrent writers queue instead of failing. Transactions are real ones: the driver's implicit transaction
handling is replaced by an explicit BEGIN, so a read sees one consistent snapshot.

PostgreSQL is used when the URL names it (`postgresql://...` is taken with the psycopg 3 driver).
Migrations run at start-up under a lock (an advisory lock on PostgreSQL, the write lock taken at once on
SQLite), so several instances or workers starting at once migrate once.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from symptomcheck.storage.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_MIGRATION_LOCK = 0x73796D70  # an arbitrary constant naming this project's advisory lock in PostgreSQL


def database_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            "the database URL is not valid: give sqlite:///PATH or postgresql://USER:PASSWORD@HOST/NAME"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StorageError(f"unsupported database {parsed.get_backend_name()!r}: give a sqlite:// or postgresql:// URL")
    return parsed


def open_database(url: str, pool_size: int = 10) -> Engine:
    """An engine for `url`, configured as described above; it does not connect yet."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # hide_parameters: an error's message never carries ids or answers into a log
    return create_engine(
        parsed, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True, hide_parameters=True
    )


def _begin_sqlite(connection: Connection) -> None:
    # IMMEDIATE takes the write lock at once: for a transaction that reads before it writes (the migrations),
    # so that two processes starting together queue instead of failing to upgrade a read lock
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _configure_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun explicitly (see the module docstring)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Switching a new file to WAL needs it to itself, and SQLite reports "locked" at once rather than waiting:
    # processes opening a new file together retry for a while (once in WAL, the file stays so)
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the current revision (creating it on an empty database)."""
    config = _alembic_config()
    try:
        with engine.connect().execution_options(sqlite_immediate=True) as connection, connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as error:
        raise StorageError(
            f"cannot migrate the database: {type(error).__name__}: {error.args[0] if error.args else ''}"
        ) from None


def check_schema(engine: Engine) -> None:
    """Raise `StorageError` unless the database answers and has the current schema."""
    try:
        current = current_revision(engine)
    except SQLAlchemyError as error:
        raise StorageError(f"the database cannot be reached: {type(error).__name__}") from None
    if current != head_revision():
        raise StorageError(f"the database schema is at revision {current}, not {head_revision()}: run the migrations")
