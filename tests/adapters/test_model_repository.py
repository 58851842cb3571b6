"""ModelRepository contract."""

from collections.abc import Callable

import pytest

from automl_core.errors import Conflict, NotFound
from automl_core.ports import UnitOfWork

from .factories import at, model, run, saved_user

MakeUow = Callable[[], UnitOfWork]


async def saved_run_id(make_uow: MakeUow, owner_id: str) -> str:
    produced = run(owner_id)
    async with make_uow() as uow:
        await uow.runs.add(produced)
        await uow.commit()
    return produced.id


async def test_round_trip_and_scoping(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    run_id = await saved_run_id(make_uow, owner.id)
    items = [model(owner.id, run_id, created_at=at(i)) for i in range(3)]
    async with make_uow() as uow:
        for item in items:
            await uow.models.add(item)
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.models.get(owner.id, items[0].id) == items[0]
        with pytest.raises(NotFound):
            await uow.models.get(other.id, items[0].id)
        page = await uow.models.list(owner.id, 2, 0)
        assert (page.total, page.items) == (3, [items[2], items[1]])
        assert (await uow.models.list(other.id, 10, 0)).total == 0


async def test_duplicate_conflicts(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = model(owner.id, await saved_run_id(make_uow, owner.id), classes=None, target=None)
    async with make_uow() as uow:
        await uow.models.add(stored)
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.models.get(owner.id, stored.id) == stored
    with pytest.raises(Conflict):
        async with make_uow() as uow:
            await uow.models.add(stored)


async def test_delete_and_blob_in_use(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    stored = model(owner.id, await saved_run_id(make_uow, owner.id))
    async with make_uow() as uow:
        await uow.models.add(stored)
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.models.blob_in_use(stored.artifact_key)
        with pytest.raises(NotFound):
            await uow.models.delete(other.id, stored.id)
        await uow.models.delete(owner.id, stored.id)
        assert not await uow.models.blob_in_use(stored.artifact_key)
