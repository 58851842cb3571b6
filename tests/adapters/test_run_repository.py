"""RunRepository contract, including the compare-and-set and concurrent claims."""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from automl_core.errors import Conflict, NotFound
from automl_core.ids import new_id
from automl_core.ports import LOG_TAIL, UnitOfWork
from automl_core.runs import NodeState, NodeStatus, Progress, Run, RunError, RunStatus, queued_nodes

from .factories import at, result, run, saved_user

MakeUow = Callable[[], UnitOfWork]
LEASE_S = 30


def lease(now: datetime, owner: str = "replica-a") -> dict[str, Any]:
    return {"lease_owner": owner, "lease_until": now + timedelta(seconds=LEASE_S)}


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


async def test_step_states_are_stored_whole_with_their_times(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    stored = run(owner.id, nodes=queued_nodes(run(owner.id).snapshot))
    await save(make_uow, stored)
    first = next(iter(stored.nodes))
    nodes = {**stored.nodes, first: NodeStatus(NodeState.QUEUED).moved(NodeState.RUNNING, at(1), "reading")}
    async with make_uow() as uow:
        await uow.runs.set_progress(stored.id, Progress(0.1, "reading", first), ["[info] line"], nodes)
        await uow.commit()
    async with make_uow() as uow:
        got = await uow.runs.get(owner.id, stored.id)
    assert got.nodes == nodes and got.nodes[first].started_at == at(1)
    assert got.progress.node_id == first and got.log == ["[info] line"]


async def test_finish_is_requested_only_of_the_owners_running_run(make_uow: MakeUow) -> None:
    owner, other = await saved_user(make_uow), await saved_user(make_uow)
    queued = run(owner.id)
    await save(make_uow, queued)
    async with make_uow() as uow:
        assert await uow.runs.request_finish(owner.id, queued.id) is False
        claimed = await uow.runs.claim_next(at(1), **lease(at(1)))
        assert claimed is not None
        assert await uow.runs.request_finish(other.id, queued.id) is False
        assert await uow.runs.request_finish(owner.id, queued.id) is True
        await uow.commit()
    async with make_uow() as uow:
        assert (await uow.runs.get(owner.id, queued.id)).finish_requested is True
        released = await uow.runs.release_leases(at(LEASE_S + 5))
        await uow.commit()
    assert [r.finish_requested for r in released] == [False], "a retried run starts without the old request"


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
        claimed = await uow.runs.claim_next(at(9), exclude_owners=[busy.id], **lease(at(9)))
        await uow.commit()
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.started_at) == (middle.id, RunStatus.RUNNING, at(9))
    assert (claimed.attempts, claimed.lease_owner, claimed.lease_expires_at) == (1, "replica-a", at(9 + LEASE_S))
    async with make_uow() as uow:
        assert (await uow.runs.claim_next(at(10), **lease(at(10)))).id == oldest.id  # type: ignore[union-attr]
        assert (await uow.runs.claim_next(at(11), **lease(at(11)))).id == newest.id  # type: ignore[union-attr]
        assert await uow.runs.claim_next(at(12), **lease(at(12))) is None
        assert (await uow.runs.get_for_system(done.id)).status is RunStatus.CANCELLED


async def test_concurrent_claims_never_share_a_run(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    queued = [run(owner.id, created_at=at(i)) for i in range(6)]
    await save(make_uow, *queued)

    async def claim() -> str | None:
        async with make_uow() as uow:
            claimed = await uow.runs.claim_next(at(100), **lease(at(100)))
            await asyncio.sleep(0.01)  # hold the claim (and its row lock) for a moment
            await uow.commit()
        return claimed.id if claimed else None

    claims = await asyncio.gather(*(claim() for _ in range(9)))
    taken = [c for c in claims if c is not None]
    assert sorted(taken) == sorted(r.id for r in queued)
    assert claims.count(None) == 3


async def claimed_runs(make_uow: MakeUow, owner_id: str, n: int, replica: str, now: float) -> list[Run]:
    await save(make_uow, *(run(owner_id, created_at=at(i)) for i in range(n)))
    async with make_uow() as uow:
        claimed = [await uow.runs.claim_next(at(now), **lease(at(now), replica)) for _ in range(n)]
        await uow.commit()
    assert all(c is not None for c in claimed)
    return [c for c in claimed if c is not None]


async def test_renewing_extends_only_the_leases_the_replica_holds(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    mine, theirs = await claimed_runs(make_uow, owner.id, 2, "replica-a", 0)
    async with make_uow() as uow:
        await uow.runs.transition(theirs.moved(RunStatus.QUEUED, at(1)), RunStatus.RUNNING)
        await uow.commit()
    async with make_uow() as uow:
        held = await uow.runs.renew_leases("replica-a", [mine.id, theirs.id, new_id(), "not-a-uuid"], at(50))
        assert await uow.runs.renew_leases("replica-b", [mine.id], at(99)) == set()
        await uow.commit()
    assert held == {mine.id}
    async with make_uow() as uow:
        assert (await uow.runs.get_for_system(mine.id)).lease_expires_at == at(50)


async def test_release_takes_back_only_lapsed_leases(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    lapsed, renewed = await claimed_runs(make_uow, owner.id, 2, "replica-a", 0)
    async with make_uow() as uow:
        await uow.runs.renew_leases("replica-a", [renewed.id], at(100))
        await uow.commit()
    async with make_uow() as uow:
        assert await uow.runs.release_leases(at(LEASE_S)) == []  # a lease still holds at its last instant
        released = await uow.runs.release_leases(at(LEASE_S + 1))
        await uow.commit()
    assert [(r.id, r.status, r.attempts, r.lease_owner, r.started_at) for r in released] == [
        (lapsed.id, RunStatus.QUEUED, 1, None, None)
    ]
    async with make_uow() as uow:
        again = await uow.runs.claim_next(at(40), **lease(at(40), "replica-b"))
        assert again is not None and (again.id, again.attempts, again.lease_owner) == (lapsed.id, 2, "replica-b")
        assert (await uow.runs.get_for_system(renewed.id)).status is RunStatus.RUNNING


async def test_release_of_a_restarted_replica_takes_back_what_it_held(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    mine, _ = await claimed_runs(make_uow, owner.id, 1, "replica-a", 0) + await claimed_runs(
        make_uow, owner.id, 1, "replica-b", 0
    )
    async with make_uow() as uow:
        released = await uow.runs.release_leases(at(1), owner="replica-a")
        await uow.commit()
    assert [r.id for r in released] == [mine.id]


async def test_a_replica_cannot_finish_a_run_claimed_again_by_another(make_uow: MakeUow) -> None:
    owner = await saved_user(make_uow)
    [first] = await claimed_runs(make_uow, owner.id, 1, "replica-a", 0)
    async with make_uow() as uow:
        await uow.runs.release_leases(at(LEASE_S + 1))
        second = await uow.runs.claim_next(at(LEASE_S + 2), **lease(at(LEASE_S + 2), "replica-b"))
        await uow.commit()
    assert second is not None and second.attempts == 2
    async with make_uow() as uow:
        with pytest.raises(Conflict):
            await uow.runs.transition(first.moved(RunStatus.SUCCEEDED, at(40)), RunStatus.RUNNING)
        await uow.runs.transition(second.moved(RunStatus.SUCCEEDED, at(41)), RunStatus.RUNNING)
        await uow.commit()
    async with make_uow() as uow:
        done = await uow.runs.get_for_system(first.id)
    assert (done.status, done.attempts, done.lease_owner, done.lease_expires_at) == (RunStatus.SUCCEEDED, 2, None, None)


async def test_renewal_and_release_never_both_win(make_uow: MakeUow) -> None:
    """A lapsed lease renewed while another replica releases it: either the owner keeps it (and the
    release skips it) or the run goes back to the queue (and the owner learns it lost it), never both."""
    owner = await saved_user(make_uow)
    runs_ = await claimed_runs(make_uow, owner.id, 4, "replica-a", 0)
    ids = [r.id for r in runs_]

    async def renew() -> set[str]:
        async with make_uow() as uow:
            held = await uow.runs.renew_leases("replica-a", ids, at(200))
            await asyncio.sleep(0.02)
            await uow.commit()
        return held

    async def release() -> set[str]:
        async with make_uow() as uow:
            released = await uow.runs.release_leases(at(LEASE_S + 1))
            await asyncio.sleep(0.02)
            await uow.commit()
        return {r.id for r in released}

    held, released = await asyncio.gather(renew(), release())
    assert held | released == set(ids) and not held & released
    async with make_uow() as uow:
        for r in runs_:
            stored = await uow.runs.get_for_system(r.id)
            assert stored.status is (RunStatus.RUNNING if r.id in held else RunStatus.QUEUED)
