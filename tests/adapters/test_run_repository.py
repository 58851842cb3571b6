"""RunRepository contract, including the compare-and-set and concurrent claims."""

import asyncio
from collections.abc import Callable

import pytest

from automl_core.errors import Conflict, NotFound
from automl_core.ids import new_id
from automl_core.ports import LOG_TAIL, UnitOfWork
from automl_core.runs import Progress, Run, RunError, RunStatus

from .factories import at, result, run, saved_user

MakeUow = Callable[[], UnitOfWork]


async def save(make_uow: MakeUow, *runs: Run) -> None:
    async with make_uow() as uow:
        for r in runs:
            await uow.runs.add(r)
        await uow.commit()


async def test_round_trip(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = run(
        owner.id,
        results=[result("a"), result("b")],
        log=["one", "two"],
        error=RunError("boom", node_id="m"),
        progress=Progress(0.5, "half"),
    )
    await save(make_uow, stored)
    async with make_uow() as uow:
        assert await uow.runs.get(owner.id, stored.id) == stored
        assert await uow.runs.get_for_system(stored.id) == stored


async def test_owner_scoping_and_listing(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    mine = [run(owner.id, created_at=at(i)) for i in range(3)]
    same_workflow = run(owner.id, workflow_id=mine[0].workflow_id, created_at=at(10))
    await save(make_uow, *mine, same_workflow)
    async with make_uow() as uow:
        with pytest.raises(NotFound):
            await uow.runs.get(other.id, mine[0].id)
        with pytest.raises(NotFound):
            await uow.runs.get_for_system(new_id())
        assert (await uow.runs.list(other.id, None, 10, 0)).total == 0
        page = await uow.runs.list(owner.id, None, 2, 0)
        assert (page.total, [r.id for r in page.items]) == (4, [same_workflow.id, mine[2].id])
        by_workflow = await uow.runs.list(owner.id, mine[0].workflow_id, 10, 0)
        assert [r.id for r in by_workflow.items] == [same_workflow.id, mine[0].id]


async def test_transition_is_compare_and_set(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    queued = run(owner.id)
    await save(make_uow, queued)
    running = queued.moved(RunStatus.RUNNING, at(1))
    async with make_uow() as uow:
        await uow.runs.transition(running, RunStatus.QUEUED)
        await uow.commit()
    async with make_uow() as uow:
        with pytest.raises(Conflict):
            await uow.runs.transition(running.moved(RunStatus.CANCELLED, at(2)), RunStatus.QUEUED)
        with pytest.raises(NotFound):
            await uow.runs.transition(run(owner.id), RunStatus.QUEUED)
        assert await uow.runs.get(owner.id, queued.id) == running


async def test_two_writers_cannot_both_finish_a_run(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    running = run(owner.id).moved(RunStatus.RUNNING, at(1))
    await save(make_uow, running)

    async def finish(target: RunStatus) -> None:
        async with make_uow() as uow:
            await uow.runs.transition(running.moved(target, at(2)), RunStatus.RUNNING)
            await asyncio.sleep(0.05)  # keep the transaction open while the other writer tries
            await uow.commit()

    outcomes = await asyncio.gather(finish(RunStatus.SUCCEEDED), finish(RunStatus.CANCELLED), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "NoneType"]
    async with make_uow() as uow:
        final = await uow.runs.get_for_system(running.id)
    winner = RunStatus.SUCCEEDED if outcomes[0] is None else RunStatus.CANCELLED
    assert final.status is winner


async def test_progress_keeps_the_log_tail(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = run(owner.id)
    await save(make_uow, stored)
    async with make_uow() as uow:
        await uow.runs.set_progress(stored.id, Progress(0.25, "fitting"), [f"a{i}" for i in range(LOG_TAIL)])
        await uow.runs.set_progress(stored.id, Progress(0.5, "scoring"), ["b0", "b1"])
        await uow.runs.set_progress(stored.id, Progress(0.75, "quiet"))
        await uow.commit()
        with pytest.raises(NotFound):
            await uow.runs.set_progress(new_id(), Progress(0.1))
    async with make_uow() as uow:
        found = await uow.runs.get(owner.id, stored.id)
    assert found.progress == Progress(0.75, "quiet")
    assert len(found.log) == LOG_TAIL
    assert found.log[-3:] == [f"a{LOG_TAIL - 1}", "b0", "b1"]


async def test_outcome_replaces_results_and_error(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = run(owner.id, results=[result("old")])
    await save(make_uow, stored)
    async with make_uow() as uow:
        await uow.runs.set_outcome(stored.id, [result("a"), result("b")], RunError("node b failed", "b"))
        await uow.commit()
    async with make_uow() as uow:
        found = await uow.runs.get(owner.id, stored.id)
        assert [r.node_id for r in found.results] == ["a", "b"]
        assert found.error == RunError("node b failed", "b")
        await uow.runs.set_outcome(stored.id, [], None)
        assert (await uow.runs.get(owner.id, stored.id)).error is None
        with pytest.raises(NotFound):
            await uow.runs.set_outcome(new_id(), [], None)


async def test_claim_next_takes_the_oldest_queued_of_an_allowed_owner(make_uow: MakeUow) -> None:
    busy, idle = await saved_user(make_uow), await saved_user(make_uow)
    oldest = run(busy.id, created_at=at(0))
    middle = run(idle.id, created_at=at(1))
    newest = run(idle.id, created_at=at(2))
    done = run(idle.id, created_at=at(-5)).moved(RunStatus.CANCELLED, at(0))
    await save(make_uow, newest, oldest, middle, done)
    async with make_uow() as uow:
        claimed = await uow.runs.claim_next(at(9), exclude_owners=[busy.id])
        await uow.commit()
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.started_at) == (middle.id, RunStatus.RUNNING, at(9))
    async with make_uow() as uow:
        assert (await uow.runs.claim_next(at(10))).id == oldest.id  # type: ignore[union-attr]
        assert (await uow.runs.claim_next(at(11))).id == newest.id  # type: ignore[union-attr]
        assert await uow.runs.claim_next(at(12)) is None
        assert await uow.runs.count_running(idle.id) == 2
        assert await uow.runs.count_running(busy.id) == 1
        assert {r.id for r in await uow.runs.in_status(RunStatus.RUNNING)} == {oldest.id, middle.id, newest.id}
        assert [r.id for r in await uow.runs.in_status(RunStatus.CANCELLED)] == [done.id]


async def test_concurrent_claims_never_share_a_run(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    queued = [run(owner.id, created_at=at(i)) for i in range(6)]
    await save(make_uow, *queued)

    async def claim() -> str | None:
        async with make_uow() as uow:
            claimed = await uow.runs.claim_next(at(100))
            await asyncio.sleep(0.01)  # hold the claim (and its row lock) for a moment
            await uow.commit()
        return claimed.id if claimed else None

    claims = await asyncio.gather(*(claim() for _ in range(9)))
    taken = [c for c in claims if c is not None]
    assert sorted(taken) == sorted(r.id for r in queued)
    assert claims.count(None) == 3
