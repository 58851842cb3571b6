"""The run supervisor's claims, leases and recovery on every store: memory, SQLite and PostgreSQL.

The services tests prove the logic on the in-memory store; the SQL repositories implement the claim,
the renewal and the release as single statements of their own, so the same scenarios run here on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from adapters.clock import SystemClock
from adapters.memory import MemoryBlobStore, MemoryExecutor
from automl_core.datasets import Column
from automl_core.ports import UnitOfWork
from automl_core.runs import Run, RunStatus
from automl_core.services.runs import RunService
from automl_core.services.supervisor import INTERRUPTED, RunSupervisor
from automl_core.services.workflows import WorkflowService
from tests.core.graphs import classic

from .factories import dataset, saved_user

pytestmark = pytest.mark.timeout(60)

MakeUow = Callable[[], UnitOfWork]
FAST = {"poll_s": 0.01, "progress_every_s": 0}


async def _chunks(data: bytes):  # type: ignore[no-untyped-def]
    yield data


class World:
    """Users with a dataset each, and a helper to queue a run of a small workflow for one of them."""

    def __init__(self, make_uow: MakeUow) -> None:
        self.uow = make_uow
        self.blobs = MemoryBlobStore()
        self.runs = RunService(make_uow, SystemClock())
        self.workflows = WorkflowService(make_uow, SystemClock())
        self.datasets: dict[str, str] = {}

    async def user(self) -> str:
        owner = (await saved_user(self.uow)).id
        key = (await self.blobs.put_stream(_chunks(b"parquet"))).key
        columns = [Column("survived", "integer", 0, 2), Column("age", "float", 3, 50)]
        table = msgspec.structs.replace(dataset(owner), columns=columns, profile=[], blob_key=key)
        async with self.uow() as uow:
            await uow.datasets.add(table)
            await uow.commit()
        self.datasets[owner] = table.id
        return owner

    async def queue(self, owner: str) -> Run:
        workflow = await self.workflows.create(owner, "wf", "", classic(dataset_id=self.datasets[owner]))
        return await self.runs.execute(owner, workflow.id)

    async def get(self, run: Run) -> Run:
        return await self.runs.get(run.owner_id, run.id)

    def supervisor(self, replica: str, executor: MemoryExecutor | None = None, **options: float) -> RunSupervisor:
        executor = executor or MemoryExecutor()
        return RunSupervisor(self.uow, self.blobs, executor, SystemClock(), replica_id=replica, **{**FAST, **options})

    async def claim_as(self, replica: str, lease_s: float) -> None:
        """A claim by a replica that then dies: nobody drives the run or renews the lease."""
        async with self.uow() as uow:
            now = datetime.now(UTC)
            assert await uow.runs.claim_next(now, lease_owner=replica, lease_until=now + timedelta(seconds=lease_s))
            await uow.commit()


@pytest.fixture
def world(make_uow: MakeUow) -> World:
    return World(make_uow)


async def test_two_replicas_claim_every_run_exactly_once(world: World) -> None:
    owners = [await world.user() for _ in range(6)]
    runs = [await world.queue(owner) for owner in owners]
    a, b = world.supervisor("a"), world.supervisor("b")
    await asyncio.gather(a.drain(), b.drain())

    done = [await world.get(run) for run in runs]
    assert [(r.status, r.attempts, r.lease_owner) for r in done] == [(RunStatus.SUCCEEDED, 1, None)] * len(runs)
    for run in done:
        [result] = run.results
        async with world.uow() as uow:
            page = await uow.models.list(run.owner_id, limit=10, offset=0)
        assert [m.id for m in page.items] == [result.model_id], "one model per run: no run finished twice"


async def test_one_run_per_user_the_rest_wait_queued(world: World) -> None:
    alice, bob = await world.user(), await world.user()
    first, second, theirs = await world.queue(alice), await world.queue(alice), await world.queue(bob)
    supervisor = world.supervisor("a", MemoryExecutor(stall=True))
    assert await supervisor.tick() == 2
    states = [(await world.get(r)).status for r in (first, second, theirs)]
    assert states == [RunStatus.RUNNING, RunStatus.QUEUED, RunStatus.RUNNING]
    await supervisor.shutdown()


async def test_a_dead_replicas_run_is_retried_once_then_failed(world: World) -> None:
    run = await world.queue(await world.user())
    survivor = world.supervisor("b")

    await world.claim_as("a", lease_s=60)
    await survivor.recover()
    assert (await world.get(run)).status is RunStatus.RUNNING, "a live lease is left alone"

    async with world.uow() as uow:
        assert await uow.runs.renew_leases("a", [run.id], datetime.now(UTC) - timedelta(seconds=1)) == {run.id}
        await uow.commit()
    await survivor.recover()
    retried = await world.get(run)
    assert (retried.status, retried.attempts, retried.lease_owner) == (RunStatus.QUEUED, 1, None)
    assert "retrying (attempt 2 of 2)" in retried.log[-1]

    await world.claim_as("a", lease_s=-1)
    await survivor.recover()
    after = await world.get(run)
    assert (after.status, after.attempts) == (RunStatus.FAILED, 2)
    assert after.error is not None and after.error.message == INTERRUPTED


async def test_a_lapsed_lease_is_taken_over_and_the_run_finishes_there(world: World) -> None:
    run = await world.queue(await world.user())
    await world.claim_as("a", lease_s=-1)
    await world.supervisor("b").drain()
    done = await world.get(run)
    assert (done.status, done.attempts, done.lease_owner) == (RunStatus.SUCCEEDED, 2, None)


async def test_a_restarted_replica_takes_back_its_own_runs_at_once(world: World) -> None:
    run = await world.queue(await world.user())
    await world.claim_as("host:8000", lease_s=60)
    await world.supervisor("host:8000").recover()
    assert (await world.get(run)).status is RunStatus.QUEUED


async def test_a_replica_stops_a_run_another_took_back_and_writes_nothing(world: World) -> None:
    run = await world.queue(await world.user())
    supervisor = world.supervisor("a", MemoryExecutor(stall=True))
    assert await supervisor.tick() == 1
    async with world.uow() as uow:
        await uow.runs.release_leases(datetime.now(UTC) + timedelta(seconds=3600))
        await uow.commit()
    await supervisor.heartbeat()
    await asyncio.gather(*supervisor.active.values(), return_exceptions=True)
    assert not supervisor.active
    after = await world.get(run)
    assert (after.status, after.attempts, after.error) == (RunStatus.QUEUED, 1, None)
