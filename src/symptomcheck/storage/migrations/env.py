"""Alembic environment: migrations run on the connection the application hands over (see database.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from symptomcheck.storage.tables import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through symptomcheck.storage.database.migrate")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
