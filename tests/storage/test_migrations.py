"""The migrations build exactly the schema the models describe, on SQLite and
PostgreSQL: a column or index added to a model without a migration (or the other
way round) fails here instead of in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.models import Base


def _diff(sync_conn):  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


async def test_migrations_match_the_models(db):
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
