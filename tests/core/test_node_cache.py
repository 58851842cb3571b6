"""The per-user node cache on the in-memory adapters: bounded, least recently used first, never shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.memory import MemoryBlobStore
from adapters.memory.repositories import MemoryStore, MemoryUnitOfWork
from automl_core.services.node_cache import NodeCache


class TickingClock:
    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


def cache(max_bytes: int) -> tuple[NodeCache, MemoryBlobStore]:
    store, blobs = MemoryStore(), MemoryBlobStore()
    return NodeCache(lambda: MemoryUnitOfWork(store), blobs, TickingClock(), max_bytes), blobs


async def test_entries_are_per_user() -> None:
    c, _ = cache(1000)
    await c.store("alice", "k", b"alice's")
    assert await c.load("alice", "k") == b"alice's"
    assert await c.load("bob", "k") is None


async def test_least_recently_used_go_first_and_their_blobs_with_them() -> None:
    c, blobs = cache(25)
    for key in ("a", "b"):
        await c.store("u", key, key.encode() * 10)
    assert await c.load("u", "a") == b"a" * 10  # a is now the most recent
    await c.store("u", "c", b"c" * 10)
    assert await c.load("u", "b") is None
    assert await c.load("u", "a") == b"a" * 10 and await c.load("u", "c") == b"c" * 10
    assert len(blobs.blobs) == 2


async def test_a_blob_another_user_still_caches_is_kept() -> None:
    c, _ = cache(15)
    await c.store("alice", "k", b"same bytes")
    await c.store("bob", "k", b"same bytes")
    await c.store("alice", "k2", b"other bytes")  # alice's "k" is evicted
    assert await c.load("alice", "k") is None
    assert await c.load("bob", "k") == b"same bytes"


async def test_zero_turns_it_off() -> None:
    c, blobs = cache(0)
    await c.store("u", "k", b"x")
    assert await c.load("u", "k") is None and not blobs.blobs
