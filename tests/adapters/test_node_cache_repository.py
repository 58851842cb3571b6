"""NodeCacheRepository contract: per-owner entries, upserts, least-recently-used eviction."""

from collections.abc import Callable

from automl_core.ports import CacheEntry, UnitOfWork

from .factories import at, saved_user

MakeUow = Callable[[], UnitOfWork]


def entry(owner_id: str, key: str, size: int, used: float, blob: str = "b" * 64) -> CacheEntry:
    return CacheEntry(owner_id=owner_id, key=key * 64, blob_key=blob, size=size, used_at=at(used))


async def test_entries_belong_to_their_owner(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    async with make_uow() as uow:
        await uow.node_cache.put(entry(owner.id, "a", 10, 1))
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.node_cache.get(owner.id, "a" * 64) == entry(owner.id, "a", 10, 1)
        assert await uow.node_cache.get(other.id, "a" * 64) is None
        assert await uow.node_cache.get("not-a-uuid", "a" * 64) is None
        assert await uow.node_cache.blob_in_use("b" * 64)
        assert not await uow.node_cache.blob_in_use("c" * 64)


async def test_put_replaces_and_eviction_keeps_the_most_recent(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    async with make_uow() as uow:
        for i, key in enumerate("abc"):
            await uow.node_cache.put(entry(owner.id, key, 10, i))
        await uow.node_cache.put(entry(other.id, "a", 100, 0))
        await uow.node_cache.put(entry(owner.id, "a", 10, 5, blob="d" * 64))  # replaced, now the newest
        await uow.node_cache.touch(owner.id, "b" * 64, at(4))
        await uow.commit()
    async with make_uow() as uow:
        gone = await uow.node_cache.evict(owner.id, 20)
        await uow.commit()
    assert [g.key for g in gone] == ["c" * 64]
    async with make_uow() as uow:
        assert (await uow.node_cache.get(owner.id, "a" * 64)).blob_key == "d" * 64  # type: ignore[union-attr]
        assert await uow.node_cache.get(owner.id, "b" * 64) is not None
        assert await uow.node_cache.get(owner.id, "c" * 64) is None
        assert await uow.node_cache.get(other.id, "a" * 64) is not None
