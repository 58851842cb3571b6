"""UnitOfWork contract: commit keeps everything, anything else keeps nothing."""

from collections.abc import Callable

import pytest

from automl_core.errors import NotFound
from automl_core.ports import UnitOfWork

from .factories import dataset, user, workflow

MakeUow = Callable[[], UnitOfWork]


async def test_commit_keeps_work_across_repositories(make_uow: MakeUow) -> None:
    owner = user()
    stored = dataset(owner.id)
    async with make_uow() as uow:
        await uow.users.add(owner)
        await uow.datasets.add(stored)
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.datasets.get(owner.id, stored.id) == stored


async def test_leaving_without_commit_keeps_nothing(make_uow: MakeUow) -> None:
    owner = user()
    async with make_uow() as uow:
        await uow.users.add(owner)
        await uow.workflows.add(workflow(owner.id))
    async with make_uow() as uow:
        with pytest.raises(NotFound):
            await uow.users.get(owner.id)


async def test_an_exception_rolls_back(make_uow: MakeUow) -> None:
    owner = user()
    with pytest.raises(RuntimeError):
        async with make_uow() as uow:
            await uow.users.add(owner)
            raise RuntimeError("handler failed")
    async with make_uow() as uow:
        with pytest.raises(NotFound):
            await uow.users.get(owner.id)


async def test_rollback_then_continue(make_uow: MakeUow) -> None:
    discarded, kept = user(), user()
    async with make_uow() as uow:
        await uow.users.add(discarded)
        await uow.rollback()
        await uow.users.add(kept)
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.users.get(kept.id) == kept
        with pytest.raises(NotFound):
            await uow.users.get(discarded.id)
