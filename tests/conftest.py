"""Fixtures shared across test packages."""

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh empty PostgreSQL database for this test session, dropped at the end.

    The server is `TEST_DATABASE_URL` (default DEFAULT_POSTGRES_URL). Never skipped: if the server is
    unreachable the tests that need it fail.
    """
    server = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL))
    name = f"automl_test_{uuid.uuid4().hex[:12]}"
    admin = server.render_as_string(hide_password=False)
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)'))
