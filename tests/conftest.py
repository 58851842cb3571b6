"""Fixtures shared across test packages."""

import asyncio
import importlib.abc
import importlib.machinery
import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from types import ModuleType

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class RefuseWorkerImports(importlib.abc.MetaPathFinder):
    """In the API-only run the worker package is on the path (the project installs as one) but must never
    be imported: doing so fails loudly. Its model libraries are simply not installed there."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] == "automl_worker":
            raise ImportError(f"the API imported {fullname!r}, which only the worker may use", name=fullname)
        return None


if os.environ.get("AUTOML_TEST_WORKER_URL"):
    sys.meta_path.insert(0, RefuseWorkerImports())


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
