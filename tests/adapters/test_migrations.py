"""Alembic migrations produce exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from adapters.persistence.sqlalchemy import SqlDatabase, SqlUnitOfWork, migrate
from adapters.persistence.sqlalchemy.tables import metadata
from tests.adapters import factories


def drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_models(sql_database: SqlDatabase) -> None:
    async with sql_database.engine.connect() as conn:
        assert await conn.run_sync(drift) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables == {*metadata.tables, "alembic_version"}


def schema(connection: Connection) -> dict[str, list[tuple[str, str, bool]]]:
    inspector = inspect(connection)
    return {
        table: [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
        for table in inspector.get_table_names()
    }


async def test_migrating_again_is_a_no_op(sql_database: SqlDatabase, sql_url: str) -> None:
    """A second upgrade keeps the revision, the schema and the rows already stored."""
    kept = await factories.saved_user(lambda: SqlUnitOfWork(sql_database))
    async with sql_database.engine.connect() as conn:
        before = await conn.run_sync(schema)
        revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()

    await migrate(sql_url)

    async with sql_database.engine.connect() as conn:
        assert await conn.run_sync(schema) == before
        assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all() == revision
        assert len(revision) == 1
        assert await conn.run_sync(drift) == []
    async with SqlUnitOfWork(sql_database) as uow:
        assert await uow.users.get(kept.id) == kept
