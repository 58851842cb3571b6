"""WorkflowRepository contract."""

from collections.abc import Callable

import msgspec
import pytest

from automl_core.errors import Conflict, NotFound
from automl_core.ports import UnitOfWork

from .factories import at, saved_user, workflow

MakeUow = Callable[[], UnitOfWork]


async def test_round_trip_keeps_the_graph(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = workflow(owner.id)
    async with make_uow() as uow:
        await uow.workflows.add(stored)
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.workflows.get(owner.id, stored.id) == stored
        assert (await uow.workflows.list(owner.id, 10, 0)).items == [stored]


async def test_update_is_compare_and_set_on_version(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = workflow(owner.id)
    async with make_uow() as uow:
        await uow.workflows.add(stored)
        await uow.commit()
    edited = msgspec.structs.replace(stored, name="renamed", version=2, updated_at=at(60))
    async with make_uow() as uow:
        await uow.workflows.update(edited, expected_version=1)
        await uow.commit()
    with pytest.raises(Conflict):
        async with make_uow() as uow:
            await uow.workflows.update(msgspec.structs.replace(edited, name="stale", version=2), 1)
    async with make_uow() as uow:
        assert await uow.workflows.get(owner.id, stored.id) == edited


async def test_other_owner_cannot_update_or_delete(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    stored = workflow(owner.id)
    async with make_uow() as uow:
        await uow.workflows.add(stored)
        await uow.commit()
    async with make_uow() as uow:
        with pytest.raises(NotFound):
            await uow.workflows.update(msgspec.structs.replace(stored, owner_id=other.id, version=2), 1)
        with pytest.raises(NotFound):
            await uow.workflows.delete(other.id, stored.id)
        await uow.workflows.delete(owner.id, stored.id)
        await uow.commit()
    async with make_uow() as uow:
        assert (await uow.workflows.list(owner.id, 10, 0)).total == 0
