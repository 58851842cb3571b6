"""The engine and session factory, with the per-dialect settings both databases need."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import JSON, DateTime, Dialect, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

from adapters.private_files import private_dir, private_file
from automl_core.errors import Unavailable

SQLITE_BUSY_TIMEOUT_MS = 10_000
DATABASE_UNAVAILABLE = "the database is unavailable; try again shortly"


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out: SQLite has no time zones and hands back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the domain works in aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_type(*, nullable: bool = False) -> JSON:
    """JSON everywhere, JSONB on PostgreSQL; a nullable column stores None as SQL NULL, not 'null'."""
    return JSON(none_as_null=nullable).with_variant(JSONB(none_as_null=nullable), "postgresql")


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys off per connection; WAL lets readers proceed beside the one writer,
    # and busy_timeout makes a second writer wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _unavailable_when_disconnected(context: ExceptionContext) -> None:
    """A refused or dropped connection is the database being down, not a bug in the request: it is
    raised as `Unavailable` (503, try again), not left to surface as a 500. A failed pre-ping is left
    alone, so the pool can still replace a stale connection with a fresh one."""
    if context.is_pre_ping:
        return
    if context.is_disconnect or isinstance(context.original_exception, OSError | TimeoutError):
        raise Unavailable(DATABASE_UNAVAILABLE) from context.original_exception


def _connect_or_unavailable(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    """The driver's connect, with a refused or cut connection raised as `Unavailable` (drivers raise
    plain `OSError`s here, which SQLAlchemy passes through without its error events)."""
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as exc:
        raise Unavailable(DATABASE_UNAVAILABLE) from exc


def async_url(url: str) -> URL:
    """The URL with an async driver: hosts hand out `postgres://…?sslmode=require` or plain
    `sqlite:///…`; an explicit driver (`postgresql+psycopg://`) is kept as given."""
    parsed = make_url(url)
    if "+" in parsed.drivername:
        return parsed
    if parsed.get_backend_name() in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
        if "sslmode" in parsed.query:  # libpq's name; asyncpg calls it ssl
            mode = parsed.query["sslmode"]
            parsed = parsed.difference_update_query(["sslmode"]).update_query_dict({"ssl": mode})
        return parsed
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    return parsed


class SqlDatabase:
    """One engine and session factory per process, for `postgresql://…` or `sqlite:///path/file.db`
    (async drivers are filled in by `async_url`)."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            private_file(private_dir(Path(self.url.database).parent) / Path(self.url.database).name)
        else:
            engine_options.setdefault("pool_pre_ping", True)
        # msgspec reads and writes the JSON columns (graphs, profiles, results) several times faster than json.
        engine_options.setdefault("json_deserializer", msgspec.json.decode)
        engine_options.setdefault("json_serializer", _json_text)
        self.engine: AsyncEngine = create_async_engine(self.url, **engine_options)
        event.listen(self.engine.sync_engine, "handle_error", _unavailable_when_disconnected)
        event.listen(self.engine.sync_engine, "do_connect", _connect_or_unavailable)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
