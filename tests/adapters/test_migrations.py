"""Alembic migrations produce exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from adapters.persistence.sqlalchemy import SqlDatabase, migrate
from adapters.persistence.sqlalchemy.tables import metadata


def drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_models(sql_database: SqlDatabase) -> None:
    async with sql_database.engine.connect() as conn:
        assert await conn.run_sync(drift) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables == {*metadata.tables, "alembic_version"}


async def test_migrating_again_is_a_no_op(sql_url: str) -> None:
    await migrate(sql_url)
