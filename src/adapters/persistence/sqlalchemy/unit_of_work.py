"""One AsyncSession per unit of work: every repository shares its transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from adapters.persistence.sqlalchemy.database import SqlDatabase
from adapters.persistence.sqlalchemy.node_cache import SqlNodeCacheRepository
from adapters.persistence.sqlalchemy.repositories import (
    SqlDatasetRepository,
    SqlModelRepository,
    SqlRunRepository,
    SqlUserRepository,
    SqlWorkflowRepository,
)


class SqlUnitOfWork:
    """`async with uow:` opens a session; `commit()` keeps the work, leaving without it rolls back."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database

    async def __aenter__(self) -> Self:
        self.session = self.database.sessions()
        self.users = SqlUserRepository(self.session)
        self.datasets = SqlDatasetRepository(self.session)
        self.workflows = SqlWorkflowRepository(self.session)
        self.runs = SqlRunRepository(self.session)
        self.models = SqlModelRepository(self.session)
        self.node_cache = SqlNodeCacheRepository(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed and returns the connection to the pool.
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
