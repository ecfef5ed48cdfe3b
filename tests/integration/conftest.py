"""A real server for the API tests: uvicorn on a loopback port, on SQLite and on PostgreSQL.

PostgreSQL comes from SYMPTOMCHECK_TEST_POSTGRES_URL (scripts/postgres starts one; .ci/run does so). Each
server gets a database of its own. Without the variable the PostgreSQL runs are skipped, except in CI (CI set),
where they must run.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from live_server import API_KEY, Server, ThreadedUvicorn, serve_in_thread
from symptomcheck.bootstrap import build
from symptomcheck.config import Settings


def _postgres_url() -> str | None:
    url = os.environ.get("SYMPTOMCHECK_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("SYMPTOMCHECK_TEST_POSTGRES_URL is not set: CI must test PostgreSQL (see scripts/postgres)")
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "postgresql" and not _postgres_url():
        pytest.skip('no PostgreSQL: run `eval "$(bash scripts/postgres start)"` to test it')
    return kind


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Makes an empty database of the kind asked for and returns its URL; drops them all at the end."""
    created: list[str] = []
    admin_url = _postgres_url()

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'symptomcheck.db'}"
        assert admin_url is not None
        name = f"test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        created.append(name)
        return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    yield make
    if created and admin_url:
        admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def start_server(new_database: Callable[[str], str]) -> Iterator[Callable[..., Server]]:
    """Starts a server on a new database of the given kind, with settings overridden; stops them all at the end."""
    running: list[tuple[ThreadedUvicorn, threading.Thread, Server]] = []

    def start(kind: str, **overrides: Any) -> Server:
        values: dict[str, Any] = {"api_keys": API_KEY, "rate_limit_per_minute": 0.0, "log_level": "WARNING"}
        values.update(overrides)
        settings = Settings(database_url=new_database(kind), **values)
        container = build(settings)
        server, thread, url = serve_in_thread(container)
        handle = Server(url, container, httpx.Client(base_url=url, timeout=30))
        running.append((server, thread, handle))
        return handle

    yield start
    for server, thread, handle in running:
        handle.http.close()
        server.should_exit = True
        thread.join(timeout=10)
        handle.container.close()


@pytest.fixture(scope="session")
def server(database_kind: str, start_server: Callable[..., Server]) -> Server:
    """A server shared by the tests of one database kind (tests make consultations of their own)."""
    return start_server(database_kind)


@pytest.fixture(scope="session")
def sqlite_server(start_server: Callable[..., Server]) -> Server:
    """A server for the tests that do not depend on the database (stateless calls, knowledge, headers)."""
    return start_server("sqlite")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
