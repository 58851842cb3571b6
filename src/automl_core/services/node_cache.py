"""Each user's bounded cache of node outputs: bytes in the blob store, an index in the database.

Entries are found by (owner, content key) only, so one user's cache is never another's, even when
the same bytes happen to sit in one shared blob. Past `max_bytes` per user the least recently used
entries go; their blobs are deleted unless a dataset, a model or another entry still points at them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from automl_core.errors import NotFound
from automl_core.ports import BlobStore, CacheEntry, Clock
from automl_core.services import UowFactory


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class NodeCache:
    def __init__(self, uow: UowFactory, blobs: BlobStore, clock: Clock, max_bytes: int) -> None:
        self.uow = uow
        self.blobs = blobs
        self.clock = clock
        self.max_bytes = max_bytes

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    async def load(self, owner_id: str, key: str) -> bytes | None:
        """The cached bytes (and the entry marked as just used), or None."""
        if not self.enabled:
            return None
        async with self.uow() as uow:
            entry = await uow.node_cache.get(owner_id, key)
            if entry is None:
                return None
            await uow.node_cache.touch(owner_id, key, self.clock.now())
            await uow.commit()
        try:
            return b"".join([chunk async for chunk in self.blobs.open(entry.blob_key)])
        except NotFound:
            return None  # evicted for another entry between the index read and here: a miss

    async def store(self, owner_id: str, key: str, data: bytes) -> None:
        if not self.enabled or len(data) > self.max_bytes:
            return
        ref = await self.blobs.put_stream(_once(data))
        entry = CacheEntry(owner_id=owner_id, key=key, blob_key=ref.key, size=ref.size, used_at=self.clock.now())
        async with self.uow() as uow:
            await uow.node_cache.put(entry)
            evicted = await uow.node_cache.evict(owner_id, self.max_bytes)
            await uow.commit()
        for gone in evicted:
            await self._delete_blob_if_unused(gone.blob_key)

    async def _delete_blob_if_unused(self, blob_key: str) -> None:
        async with self.uow() as uow:
            used = (
                await uow.node_cache.blob_in_use(blob_key)
                or await uow.models.blob_in_use(blob_key)
                or await uow.datasets.blob_in_use(blob_key)
            )
        if not used:
            await self.blobs.delete(blob_key)
