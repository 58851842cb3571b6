"""Liveness with substance: can the API reach its database and its executor?"""

from __future__ import annotations

import asyncio
import logging

from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text

from entrypoints.http.dependencies import container_of
from entrypoints.http.schemas import HealthOut

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0


class HealthController(Controller):
    path = "/api/health"
    tags = ["health"]

    @get("/", summary="Database and executor reachability", cache=False)
    async def health(self, state: State) -> Response[HealthOut]:
        container = container_of(state)
        database = "ok"
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S), container.database().engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.warning("health: database unreachable", exc_info=True)
            database = "unreachable"
        executor = "ok"
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                if not await container.executor().healthy():
                    executor = "unreachable"
        except Exception:
            log.warning("health: executor check failed", exc_info=True)
            executor = "unreachable"
        status = "ok" if database == "ok" else "degraded"
        return Response(
            HealthOut(status=status, database=database, executor=executor),
            status_code=200 if database == "ok" else 503,
        )
