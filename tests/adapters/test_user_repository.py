"""UserRepository contract."""

from collections.abc import Callable

import pytest

from automl_core.errors import Conflict, NotFound
from automl_core.ids import new_id
from automl_core.ports import UnitOfWork

from .factories import saved_user, user

MakeUow = Callable[[], UnitOfWork]


async def test_round_trip(make_uow: MakeUow) -> None:
    stored = await saved_user(make_uow)
    async with make_uow() as uow:
        found = await uow.users.get(stored.id)
    assert found == stored
    assert found.created_at.utcoffset() is not None


@pytest.mark.parametrize("ident", [new_id(), "not-a-uuid"])
async def test_get_missing(make_uow: MakeUow, ident: str) -> None:
    async with make_uow() as uow:
        with pytest.raises(NotFound):
            await uow.users.get(ident)


async def test_duplicate_id_or_email_conflicts(make_uow: MakeUow) -> None:
    stored = await saved_user(make_uow)
    for clash in (user(id=stored.id), user(email=stored.email)):
        with pytest.raises(Conflict):
            async with make_uow() as uow:
                await uow.users.add(clash)


async def test_update(make_uow: MakeUow) -> None:
    stored = await saved_user(make_uow)
    changed = user(id=stored.id, email="new@example.org", name="Grace", picture="https://x/p.png")
    async with make_uow() as uow:
        await uow.users.update(changed)
        await uow.commit()
    async with make_uow() as uow:
        assert (await uow.users.get(stored.id)).name == "Grace"
        with pytest.raises(NotFound):
            await uow.users.update(user())


async def test_identities(make_uow: MakeUow) -> None:
    stored = await saved_user(make_uow)
    async with make_uow() as uow:
        await uow.users.link_identity(stored.id, "google", "sub-1")
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.users.find_by_identity("google", "sub-1") == stored
        assert await uow.users.find_by_identity("google", "sub-2") is None
        assert await uow.users.find_by_identity("local", "sub-1") is None
        assert await uow.users.find_by_email(stored.email) == stored
        assert await uow.users.find_by_email("nobody@example.org") is None
        with pytest.raises(NotFound):
            await uow.users.link_identity(new_id(), "google", "sub-3")
    with pytest.raises(Conflict):
        async with make_uow() as uow:
            await uow.users.link_identity(stored.id, "google", "sub-1")
