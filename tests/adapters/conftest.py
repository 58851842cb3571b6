"""Backends for the contract suites: every port runs against memory, SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.blobs import DatabaseBlobStore, FilesystemBlobStore
from adapters.memory import MemoryBlobStore, MemoryStore, MemoryUnitOfWork
from adapters.persistence.sqlalchemy import SqlDatabase, SqlUnitOfWork, migrate
from adapters.persistence.sqlalchemy.tables import metadata
from automl_core.ports import BlobStore, UnitOfWork

SQL_BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def migrated_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    asyncio.run(migrate(url))
    return url


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_url: str) -> str:
    asyncio.run(migrate(postgres_url))
    return postgres_url


async def _empty(database: SqlDatabase) -> None:
    tables = list(reversed(metadata.sorted_tables))
    async with database.engine.begin() as conn:
        if database.is_sqlite:
            for table in tables:
                await conn.execute(table.delete())
        else:
            await conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)}"))


def _url(request: pytest.FixtureRequest, backend: str) -> str:
    return str(request.getfixturevalue(f"migrated_{backend}_url"))


@pytest.fixture(params=SQL_BACKENDS)
def sql_url(request: pytest.FixtureRequest) -> str:
    return _url(request, request.param)


@pytest.fixture
async def sql_database(sql_url: str) -> AsyncIterator[SqlDatabase]:
    """A migrated database, emptied after the test."""
    database = SqlDatabase(sql_url)
    try:
        yield database
    finally:
        await _empty(database)
        await database.dispose()


@pytest.fixture(params=["memory", *SQL_BACKENDS])
def uow_backend(request: pytest.FixtureRequest) -> str | None:
    """The database URL, or None for the in-memory adapters (resolved outside the event loop)."""
    return None if request.param == "memory" else _url(request, request.param)


@pytest.fixture
async def make_uow(uow_backend: str | None) -> AsyncIterator[Callable[[], UnitOfWork]]:
    """A factory of units of work over one shared, initially empty store."""
    if uow_backend is None:
        store = MemoryStore()
        yield lambda: MemoryUnitOfWork(store)
        return
    database = SqlDatabase(uow_backend)
    try:
        yield lambda: SqlUnitOfWork(database)
    finally:
        await _empty(database)
        await database.dispose()


@pytest.fixture(params=["memory", "filesystem", *(f"database-{b}" for b in SQL_BACKENDS)])
def blob_backend(request: pytest.FixtureRequest) -> str:
    kind = request.param
    return _url(request, kind.split("-")[1]) if kind.startswith("database") else kind


@pytest.fixture
async def blob_store(blob_backend: str, tmp_path: Path) -> AsyncIterator[BlobStore]:
    """Small chunks so that multi-chunk paths run on small test data."""
    if blob_backend == "memory":
        yield MemoryBlobStore()
    elif blob_backend == "filesystem":
        yield FilesystemBlobStore(tmp_path / "blobs", chunk_size=1000)
    else:
        database = SqlDatabase(blob_backend)
        try:
            yield DatabaseBlobStore(database, chunk_size=1000)
        finally:
            await _empty(database)
            await database.dispose()
