"""Alembic environment. Migrations run on a connection handed in by
``storage.db.Database.upgrade`` (async engines run them through run_sync)."""

from __future__ import annotations

from alembic import context

from storage.models import Base

target_metadata = Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m bot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
