"""DatasetRepository contract."""

from collections.abc import Callable

import pytest

from automl_core.errors import Conflict, NotFound
from automl_core.ids import new_id
from automl_core.ports import UnitOfWork

from .factories import at, dataset, saved_user

MakeUow = Callable[[], UnitOfWork]


async def test_round_trip_keeps_columns_and_profile(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = dataset(owner.id)
    async with make_uow() as uow:
        await uow.datasets.add(stored)
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.datasets.get(owner.id, stored.id) == stored


async def test_other_owners_see_nothing(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    stored = dataset(owner.id)
    async with make_uow() as uow:
        await uow.datasets.add(stored)
        await uow.commit()
    async with make_uow() as uow:
        for ident in (stored.id, new_id(), "nope"):
            with pytest.raises(NotFound):
                await uow.datasets.get(other.id, ident)
        with pytest.raises(NotFound):
            await uow.datasets.delete(other.id, stored.id)
        assert (await uow.datasets.list(other.id, 10, 0)).total == 0
        assert (await uow.datasets.get(owner.id, stored.id)).id == stored.id


async def test_list_pages_newest_first(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    items = [dataset(owner.id, created_at=at(i)) for i in range(5)]
    async with make_uow() as uow:
        for item in items:
            await uow.datasets.add(item)
        await uow.commit()
    async with make_uow() as uow:
        page = await uow.datasets.list(owner.id, 2, 1)
    assert page.total == 5
    assert [d.id for d in page.items] == [items[3].id, items[2].id]


async def test_duplicate_id_conflicts(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = dataset(owner.id)
    async with make_uow() as uow:
        await uow.datasets.add(stored)
        await uow.commit()
    with pytest.raises(Conflict):
        async with make_uow() as uow:
            await uow.datasets.add(dataset(owner.id, id=stored.id))


async def test_delete_and_blob_in_use(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    first, second = dataset(owner.id), dataset(owner.id)  # the same blob twice
    async with make_uow() as uow:
        await uow.datasets.add(first)
        await uow.datasets.add(second)
        await uow.commit()
    async with make_uow() as uow:
        await uow.datasets.delete(owner.id, first.id)
        assert await uow.datasets.blob_in_use(first.blob_key)
        await uow.datasets.delete(owner.id, second.id)
        assert not await uow.datasets.blob_in_use(first.blob_key)
        await uow.commit()
    async with make_uow() as uow:
        with pytest.raises(NotFound):
            await uow.datasets.get(owner.id, first.id)
