"""The run supervisor over the in-memory store: progress, results, cancel, limits and timeouts."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from adapters.clock import SystemClock
from adapters.executors.local import LocalProcessExecutor
from adapters.memory import MemoryBlobStore, MemoryExecutor, MemoryStore, MemoryUnitOfWork
from automl_core.datasets import Column, Dataset
from automl_core.errors import Unavailable
from automl_core.runs import Run, RunStatus
from automl_core.services.runs import RunService
from automl_core.services.supervisor import RunSupervisor
from automl_core.services.workflows import WorkflowService
from tests.core.graphs import classic

pytestmark = pytest.mark.timeout(30)

ALICE, BOB = "alice", "bob"
DATASETS = Path(os.environ.get("AUTOML_DATASETS", Path(__file__).resolve().parents[3] / "shared" / "datasets"))
FAST = {"poll_s": 0.02, "progress_every_s": 0}


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.01)


class World:
    """A store with one dataset per user and a helper to queue runs of a small workflow."""

    def __init__(self) -> None:
        store = MemoryStore()
        self.uow = lambda: MemoryUnitOfWork(store)
        self.blobs = MemoryBlobStore()
        self.runs = RunService(self.uow, SystemClock())
        self.workflows = WorkflowService(self.uow, SystemClock())

    async def add_dataset(self, owner: str) -> str:
        key = (await self.blobs.put_stream(_chunks(f"parquet of {owner}".encode()))).key
        dataset = Dataset(
            id=f"ds-{owner}",
            owner_id=owner,
            name="titanic",
            filename="titanic.csv",
            format="csv",
            size_bytes=10,
            content_hash=f"hash-{owner}",
            row_count=100,
            columns=[Column("survived", "integer", 0, 2), Column("age", "float", 3, 50)],
            blob_key=key,
            created_at=datetime.now(UTC),
        )
        async with self.uow() as uow:
            await uow.datasets.add(dataset)
            await uow.commit()
        return dataset.id

    async def queue(self, owner: str) -> Run:
        workflow = await self.workflows.create(owner, "wf", "", classic(dataset_id=f"ds-{owner}"))
        return await self.runs.execute(owner, workflow.id)

    async def status(self, owner: str, run_id: str) -> RunStatus:
        return (await self.runs.get(owner, run_id)).status


@pytest.fixture
async def world() -> World:
    world = World()
    await world.add_dataset(ALICE)
    await world.add_dataset(BOB)
    return world


async def test_results_models_and_artifacts_are_stored(world: World) -> None:
    run = await world.queue(ALICE)
    await RunSupervisor(world.uow, world.blobs, MemoryExecutor(), SystemClock(), **FAST).drain()

    done = await world.runs.get(ALICE, run.id)
    assert done.status is RunStatus.SUCCEEDED and done.progress.fraction == 1.0
    [result] = done.results
    async with world.uow() as uow:
        model = await uow.models.get(ALICE, result.model_id or "")
    assert (model.node_id, model.run_id, model.provenance.dataset_hash) == ("model", run.id, "hash-alice")
    assert world.blobs.blobs[model.artifact_key] == b"artifact:model"


async def test_progress_is_stored_and_cancel_stops_a_quiet_job(world: World) -> None:
    """The job reports progress and then goes silent; cancelling the run still reaches it."""
    executor = MemoryExecutor(stall=True, progress_steps=3)
    supervisor = RunSupervisor(world.uow, world.blobs, executor, SystemClock(), **FAST)
    run = await world.queue(ALICE)
    assert await supervisor.tick() == 1

    async def progressed() -> bool:
        return (await world.runs.get(ALICE, run.id)).progress.message == "step 2"

    await until(progressed)
    stored = await world.runs.get(ALICE, run.id)
    assert stored.status is RunStatus.RUNNING and stored.progress.fraction == pytest.approx(2 / 3)

    await world.runs.cancel(ALICE, run.id)
    [job] = executor.jobs.values()
    await until(lambda: _true(job.cancelled.is_set() and not supervisor.active))
    assert await world.status(ALICE, run.id) is RunStatus.CANCELLED


async def test_a_run_cancelled_while_queued_never_starts(world: World) -> None:
    executor = MemoryExecutor(stall=True)
    supervisor = RunSupervisor(world.uow, world.blobs, executor, SystemClock(), per_user=1, **FAST)
    first, second = await world.queue(ALICE), await world.queue(ALICE)
    assert await supervisor.tick() == 1
    assert await world.status(ALICE, second.id) is RunStatus.QUEUED

    await world.runs.cancel(ALICE, second.id)
    await world.runs.cancel(ALICE, first.id)
    await until(lambda: _true(not supervisor.active))
    assert await supervisor.tick() == 0
    assert [r.run_id for r in executor.submitted] == [first.id]
    assert await world.status(ALICE, second.id) is RunStatus.CANCELLED


async def test_per_user_limit_leaves_extra_runs_queued(world: World) -> None:
    executor = MemoryExecutor(stall=True)
    supervisor = RunSupervisor(world.uow, world.blobs, executor, SystemClock(), max_parallel=4, per_user=1, **FAST)
    alice = [await world.queue(ALICE) for _ in range(3)]
    bob = await world.queue(BOB)

    assert await supervisor.tick() == 2
    statuses = [await world.status(ALICE, r.id) for r in alice]
    assert statuses == [RunStatus.RUNNING, RunStatus.QUEUED, RunStatus.QUEUED]
    assert await world.status(BOB, bob.id) is RunStatus.RUNNING

    await world.runs.cancel(ALICE, alice[0].id)
    await until(lambda: _true(alice[0].id not in supervisor.active))
    assert await supervisor.tick() == 1
    assert await world.status(ALICE, alice[1].id) is RunStatus.RUNNING
    await supervisor.shutdown()


async def test_a_stalled_executor_is_stopped_by_the_run_timeout(world: World) -> None:
    executor = MemoryExecutor(stall=True)
    supervisor = RunSupervisor(world.uow, world.blobs, executor, SystemClock(), run_timeout_s=0.3, **FAST)
    run = await world.queue(ALICE)
    async with asyncio.timeout(5):
        await supervisor.drain()

    failed = await world.runs.get(ALICE, run.id)
    assert failed.status is RunStatus.FAILED
    assert failed.error is not None and "time limit of 0.3 s" in failed.error.message
    assert all(job.cancelled.is_set() for job in executor.jobs.values())


async def test_shutdown_stops_the_jobs_it_was_following(world: World) -> None:
    executor = MemoryExecutor(stall=True)
    supervisor = RunSupervisor(world.uow, world.blobs, executor, SystemClock(), **FAST)
    await world.queue(ALICE)
    await supervisor.tick()
    await until(lambda: _true(bool(executor.jobs)))
    await supervisor.shutdown()
    assert all(job.cancelled.is_set() for job in executor.jobs.values())


async def test_a_failure_keeps_the_node_and_message(world: World) -> None:
    run = await world.queue(ALICE)
    executor = MemoryExecutor(fail_with="the target has one class", fail_node="model")
    await RunSupervisor(world.uow, world.blobs, executor, SystemClock(), **FAST).drain()
    failed = await world.runs.get(ALICE, run.id)
    assert failed.status is RunStatus.FAILED and failed.error is not None
    assert (failed.error.node_id, failed.error.message) == ("model", "the target has one class")


async def _true(value: bool) -> bool:
    return value


async def _chunks(data: bytes):  # type: ignore[no-untyped-def]
    yield data


@pytest.mark.timeout(90)
async def test_a_real_run_through_the_local_executor_stores_a_skops_model(world: World) -> None:
    """The whole path: dataset blob -> job process -> engine -> artifact blob, model and results."""
    frame = pl.read_csv(DATASETS / "penguins.csv", null_values=["NA", ""]).sample(200, seed=0)
    parquet = io.BytesIO()
    frame.write_parquet(parquet)
    key = (await world.blobs.put_stream(_chunks(parquet.getvalue()))).key
    columns = [
        Column(c, "string" if t == pl.String else "float", frame[c].null_count(), frame[c].n_unique())
        for c, t in frame.schema.items()
    ]
    dataset = Dataset(
        id="penguins",
        owner_id=ALICE,
        name="penguins",
        filename="penguins.csv",
        format="csv",
        size_bytes=len(parquet.getvalue()),
        content_hash="hash-penguins",
        row_count=200,
        columns=columns,
        blob_key=key,
        created_at=datetime.now(UTC),
    )
    async with world.uow() as uow:
        await uow.datasets.add(dataset)
        await uow.commit()
    graph = classic(target="species", model="model.logistic_regression", dataset_id="penguins")
    workflow = await world.workflows.create(ALICE, "penguins", "", graph)
    run = await world.runs.execute(ALICE, workflow.id)

    executor = LocalProcessExecutor(max_jobs=1)
    try:
        await RunSupervisor(world.uow, world.blobs, executor, SystemClock(), **FAST).drain()
    finally:
        await executor.close()

    done = await world.runs.get(ALICE, run.id)
    assert done.status is RunStatus.SUCCEEDED, done.error
    [result] = done.results
    assert result.task == "multiclass" and result.metrics["accuracy"] > 0.8
    assert "confusion_matrix" in result.plots and done.log
    async with world.uow() as uow:
        model = await uow.models.get(ALICE, result.model_id or "")
    assert model.classes == ["Adelie", "Chinstrap", "Gentoo"]
    assert model.provenance.library_versions.get("scikit-learn")
    assert world.blobs.blobs[model.artifact_key][:2] == b"PK"


class CancelBecomesUnavailable(MemoryUnitOfWork):
    """A store that, like the SQL adapter on a connection cut mid-commit, answers a cancel with its own
    error: once `slow` is set, a commit waits, and a cancel then surfaces as Unavailable."""

    slow = asyncio.Event()

    async def commit(self) -> None:
        if self.slow.is_set():
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                raise Unavailable("the database is unavailable; try again shortly") from None
        await super().commit()


async def test_a_supervisor_stopped_mid_write_stops_and_hands_its_run_back(world: World) -> None:
    store = MemoryStore()
    world.uow = lambda: CancelBecomesUnavailable(store)
    world.runs = RunService(world.uow, SystemClock())
    world.workflows = WorkflowService(world.uow, SystemClock())
    await world.add_dataset(ALICE)
    supervisor = RunSupervisor(world.uow, world.blobs, MemoryExecutor(stall=True), SystemClock(), **FAST)
    loop = asyncio.create_task(supervisor.run_forever())
    run = await world.queue(ALICE)

    async def running() -> bool:
        return await world.status(ALICE, run.id) is RunStatus.RUNNING

    await until(running)
    CancelBecomesUnavailable.slow.set()
    try:
        await asyncio.sleep(0.1)  # the loop and the run's progress writes now wait in commit
        loop.cancel()
        await asyncio.wait_for(asyncio.gather(loop, return_exceptions=True), 5)
        driving = list(supervisor.active.values())
        for task in driving:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*driving, return_exceptions=True), 5)
    finally:
        CancelBecomesUnavailable.slow.clear()
    assert await world.status(ALICE, run.id) is not RunStatus.FAILED, "stopping is not the run's failure"
