"""The per-user index of cached node outputs, over one AsyncSession."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.sqlalchemy.tables import node_cache
from automl_core.ports import CacheEntry


def _owned(owner_id: str, key: str) -> ColumnElement[bool]:
    return (node_cache.c.owner_id == owner_id) & (node_cache.c.key == key)


class SqlNodeCacheRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, owner_id: str, key: str) -> CacheEntry | None:
        if not _is_uuid(owner_id):
            return None
        row = (await self.session.execute(select(node_cache).where(_owned(owner_id, key)))).first()
        return None if row is None else _entry(dict(row._mapping))

    async def touch(self, owner_id: str, key: str, at: datetime) -> None:
        await self.session.execute(update(node_cache).where(_owned(owner_id, key)).values(used_at=at))

    async def put(self, entry: CacheEntry) -> None:
        values = {
            "owner_id": entry.owner_id,
            "key": entry.key,
            "blob_key": entry.blob_key,
            "size": entry.size,
            "used_at": entry.used_at,
        }
        dialect = self.session.get_bind().dialect.name
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(node_cache).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["owner_id", "key"],
                set_={"blob_key": entry.blob_key, "size": entry.size, "used_at": entry.used_at},
            )
        )

    async def evict(self, owner_id: str, max_bytes: int) -> list[CacheEntry]:
        rows = await self.session.execute(
            select(node_cache).where(node_cache.c.owner_id == owner_id).order_by(node_cache.c.used_at.desc())
        )
        removed, total = [], 0
        for row in rows:
            total += row.size
            if total > max_bytes:
                removed.append(_entry(dict(row._mapping)))
        for entry in removed:
            await self.session.execute(delete(node_cache).where(_owned(owner_id, entry.key)))
        return removed

    async def blob_in_use(self, blob_key: str) -> bool:
        found = select(select(node_cache).where(node_cache.c.blob_key == blob_key).exists())
        return bool(await self.session.scalar(found))


def _entry(m: Mapping[str, Any]) -> CacheEntry:
    return CacheEntry(
        owner_id=str(m["owner_id"]), key=m["key"], blob_key=m["blob_key"], size=m["size"], used_at=m["used_at"]
    )


def _is_uuid(ident: str) -> bool:
    try:
        uuid.UUID(ident)
    except (ValueError, TypeError, AttributeError):
        return False
    return True
