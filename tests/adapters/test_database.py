"""SqlDatabase: driver selection, per-connection SQLite settings, UTC datetimes."""

from datetime import datetime

import pytest
from sqlalchemy.exc import StatementError

from adapters.persistence.sqlalchemy import SqlDatabase, SqlUnitOfWork
from adapters.persistence.sqlalchemy.database import async_url

from .factories import user


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.host:5432/app?sslmode=require", "postgresql+asyncpg://u:p@db.host:5432/app?ssl=require"),
        ("postgresql://u@h/app", "postgresql+asyncpg://u@h/app"),
        ("postgresql+psycopg://u@h/app", "postgresql+psycopg://u@h/app"),
        ("sqlite:///var/automl.db", "sqlite+aiosqlite:///var/automl.db"),
    ],
)
def test_async_drivers_are_filled_in(given: str, expected: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == expected


async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(migrated_sqlite_url: str) -> None:
    database = SqlDatabase(migrated_sqlite_url)
    try:
        async with database.engine.connect() as conn:
            pragmas = [(await conn.exec_driver_sql(f"PRAGMA {p}")).scalar() for p in ("foreign_keys", "journal_mode")]
    finally:
        await database.dispose()
    assert pragmas == [1, "wal"]


async def test_naive_datetimes_are_refused(sql_database: SqlDatabase) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with SqlUnitOfWork(sql_database) as uow:
            await uow.users.add(user(created_at=datetime(2026, 1, 1)))
