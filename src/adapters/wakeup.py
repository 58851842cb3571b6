"""Run wake-ups: a supervisor claims a queued run the moment it is queued, not at its next poll.

`LocalWakeup` is an event in this process (SQLite serves one process; tests, the CLI). `PostgresWakeup`
adds PostgreSQL's LISTEN/NOTIFY, so a run queued through any replica wakes every replica's supervisor.
A lost notification (a dropped listening connection) costs at most the supervisor's poll interval: the
poll stays as the fallback, and the listener reconnects on the next wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

CHANNEL = "automl_run_queued"


class LocalWakeup:
    def __init__(self) -> None:
        self._queued = asyncio.Event()

    async def notify(self) -> None:
        self._queued.set()

    async def wait(self) -> None:
        await self._queued.wait()
        self._queued.clear()

    async def close(self) -> None:
        return None


class PostgresWakeup(LocalWakeup):
    """`dsn` is a libpq-style URL (`postgresql://user@host/db`), the database the replicas share."""

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn
        self._listener: asyncpg.Connection | None = None
        self._connecting = asyncio.Lock()
        self._sending = asyncio.Lock()  # one statement at a time on the connection

    async def notify(self) -> None:
        await super().notify()  # this replica needs no round trip
        try:
            listener = await self._listening()
            async with self._sending:
                await listener.execute("SELECT pg_notify($1, '')", CHANNEL)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("could not tell other replicas a run was queued (they poll for it): %s", exc)
            await self._drop()

    async def wait(self) -> None:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await self._listening()
        await super().wait()

    async def close(self) -> None:
        await self._drop()

    async def _listening(self) -> asyncpg.Connection:
        async with self._connecting:
            if self._listener is None or self._listener.is_closed():
                self._listener = await asyncpg.connect(self.dsn)
                await self._listener.add_listener(CHANNEL, self._heard)
            return self._listener

    def _heard(self, *_: Any) -> None:
        self._queued.set()

    async def _drop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.close(timeout=2)
