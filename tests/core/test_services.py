"""Use cases over the in-memory adapters: ownership, concurrency, and the run life cycle."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from adapters.clock import SystemClock
from adapters.memory import MemoryBlobStore, MemoryExecutor, MemoryStore, MemoryUnitOfWork
from automl_core.datasets import Column, Dataset
from automl_core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from automl_core.models import Feature, Predictions
from automl_core.runs import RunStatus
from automl_core.services.models import ModelService
from automl_core.services.runs import RunService
from automl_core.services.supervisor import INTERRUPTED, RunSupervisor
from automl_core.services.workflows import WorkflowService
from tests.core.graphs import classic

ALICE, BOB = "alice", "bob"


class StepClock:
    """Each reading is one second after the last, so ordering by time is deterministic."""

    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def uow(store: MemoryStore):
    return lambda: MemoryUnitOfWork(store)


@pytest.fixture
async def dataset(uow) -> Dataset:
    ds = Dataset(
        id="ds1",
        owner_id=ALICE,
        name="titanic",
        filename="titanic.csv",
        format="csv",
        size_bytes=10,
        content_hash="h1",
        row_count=100,
        columns=[Column("survived", "integer", 0, 2), Column("age", "float", 3, 50)],
        blob_key="k1",
        created_at=datetime.now(UTC),
    )
    async with uow() as u:
        await u.datasets.add(ds)
        await u.commit()
    return ds


async def test_unit_of_work_discards_without_commit(uow, dataset):
    async with uow() as u:
        await u.datasets.delete(ALICE, "ds1")
    async with uow() as u:
        assert (await u.datasets.get(ALICE, "ds1")).id == "ds1"
        await u.datasets.delete(ALICE, "ds1")
        await u.commit()
    async with uow() as u:
        with pytest.raises(NotFound):
            await u.datasets.get(ALICE, "ds1")


async def test_workflows_are_private_and_versioned(uow):
    service = WorkflowService(uow, StepClock())
    wf = await service.create(ALICE, "first", "", classic())
    with pytest.raises(NotFound):
        await service.get(BOB, wf.id)
    with pytest.raises(NotFound):
        await service.update(BOB, wf.id, name="x", description="", graph=classic())
    with pytest.raises(NotFound):
        await service.delete(BOB, wf.id)
    assert (await service.list(BOB, 10, 0)).total == 0

    saved = await service.update(ALICE, wf.id, name="second", description="d", graph=classic(), version=1)
    assert saved.version == 2 and saved.updated_at > wf.updated_at
    with pytest.raises(Conflict):
        await service.update(ALICE, wf.id, name="stale", description="", graph=classic(), version=1)
    with pytest.raises(Conflict):
        await service.update(ALICE, wf.id, name="stale", description="", graph=classic(), updated_at=wf.updated_at)
    assert (await service.get(ALICE, wf.id)).name == "second"


async def test_validation_sees_only_the_owners_datasets(uow, dataset):
    service = WorkflowService(uow, StepClock())
    raw = msgspec.to_builtins(classic())
    assert await service.validate(ALICE, raw) == []
    bob_issues = await service.validate(BOB, raw)
    assert [(i.code, i.node_id) for i in bob_issues] == [("unknown_dataset", "data")]


async def test_execute_refuses_invalid_workflows_with_every_issue(uow, dataset):
    workflows, runs = WorkflowService(uow, StepClock()), RunService(uow, StepClock())
    wf = await workflows.create(ALICE, "bad", "", classic(target="ghost", model="model.gpt"))
    with pytest.raises(InvalidInput) as caught:
        await runs.execute(ALICE, wf.id)
    assert {(i.code, i.node_id) for i in caught.value.issues} == {
        ("unknown_type", "model"),
        ("unknown_column", "data"),
    }
    fixed = await workflows.update(ALICE, wf.id, name="bad", description="", graph=classic(target="ghost"))
    with pytest.raises(InvalidInput) as caught:
        await runs.execute(ALICE, fixed.id)
    assert [(i.code, i.field) for i in caught.value.issues] == [("unknown_column", "target")]
    with pytest.raises(NotFound):
        await runs.execute(BOB, wf.id)


async def test_run_snapshot_is_immutable_and_cancel_follows_the_state_machine(uow, dataset):
    workflows, runs = WorkflowService(uow, StepClock()), RunService(uow, StepClock())
    wf = await workflows.create(ALICE, "wf", "", classic())
    run = await runs.execute(ALICE, wf.id)
    assert run.status is RunStatus.QUEUED and run.dataset_hashes == {"ds1": "h1"}
    await workflows.update(ALICE, wf.id, name="wf", description="", graph=classic(target="age"))
    assert (await runs.get(ALICE, run.id)).snapshot == classic()
    with pytest.raises(NotFound):
        await runs.cancel(BOB, run.id)
    assert (await runs.cancel(ALICE, run.id)).status is RunStatus.CANCELLED
    with pytest.raises(IllegalTransition):
        await runs.cancel(ALICE, run.id)


async def test_ad_hoc_graphs_run_as_new_workflows(uow, dataset):
    runs = RunService(uow, StepClock())
    run = await runs.execute_graph(ALICE, classic(), "quick")
    async with uow() as u:
        assert (await u.workflows.get(ALICE, run.workflow_id)).name == "quick"


class EchoPredictor:
    """Answers with the artifact's bytes, read from the blob store by key as a real predictor does."""

    def __init__(self, blobs):
        self.blobs = blobs

    async def predict(self, artifact_key, rows, explain=False):
        artifact = b"".join([chunk async for chunk in self.blobs.open(artifact_key)])
        return Predictions(predictions=[artifact.decode()] * len(rows))


async def test_supervisor_runs_stores_models_and_predicts(uow, dataset):
    blobs = MemoryBlobStore()
    await blobs.put_stream(_chunks(b"parquet"))
    async with uow() as u:
        await u.datasets.add(
            msgspec.structs.replace(dataset, id="ds2", blob_key=(await blobs.put_stream(_chunks(b"p"))).key)
        )
        await u.commit()
    workflows, runs = WorkflowService(uow, StepClock()), RunService(uow, StepClock())
    wf = await workflows.create(ALICE, "wf", "", classic(dataset_id="ds2"))
    run = await runs.execute(ALICE, wf.id)
    supervisor = RunSupervisor(uow, blobs, MemoryExecutor(), StepClock(), progress_every_s=0)
    await supervisor.drain()
    done = await runs.get(ALICE, run.id)
    assert done.status is RunStatus.SUCCEEDED and done.progress.fraction == 1.0
    [result] = done.results
    assert result.node_id == "model" and result.model_id

    models = ModelService(uow, blobs, EchoPredictor(blobs))
    model = await models.get(ALICE, result.model_id)
    assert model.provenance.dataset_hash == "h1" and model.provenance.workflow == wf.id
    with pytest.raises(NotFound):
        await models.get(BOB, model.id)
    model = msgspec.structs.replace(model, features=[Feature("age", "float")])
    async with uow() as u:
        await u.models.delete(ALICE, model.id)
        await u.models.add(model)
        await u.commit()
    prediction = await models.predict(ALICE, model.id, [{"age": "3.5"}, {"age": None}])
    assert prediction.predictions == ["artifact:model"] * 2
    with pytest.raises(InvalidInput) as caught:
        await models.predict(ALICE, model.id, [{"age": 1}, {"age": "old"}, {}])
    assert [(i.code, i.row, i.column) for i in caught.value.issues] == [
        ("invalid_value", 1, "age"),
        ("missing_column", 2, "age"),
    ]


async def test_supervisor_records_failures_with_the_node(uow, dataset):
    blobs = MemoryBlobStore()
    async with uow() as u:
        key = (await blobs.put_stream(_chunks(b"p"))).key
        await u.datasets.add(msgspec.structs.replace(dataset, id="ds2", blob_key=key))
        await u.commit()
    wf = await WorkflowService(uow, SystemClock()).create(ALICE, "wf", "", classic(dataset_id="ds2"))
    run = await RunService(uow, SystemClock()).execute(ALICE, wf.id)
    executor = MemoryExecutor(fail_with="target has one class", fail_node="model")
    await RunSupervisor(uow, blobs, executor, SystemClock()).drain()
    failed = await RunService(uow, SystemClock()).get(ALICE, run.id)
    assert failed.status is RunStatus.FAILED
    assert (failed.error.node_id, failed.error.message) == ("model", "target has one class")


async def test_recover_retries_a_dead_replicas_run_once_then_fails_it(uow, dataset):
    wf = await WorkflowService(uow, SystemClock()).create(ALICE, "wf", "", classic())
    run = await RunService(uow, SystemClock()).execute(ALICE, wf.id)
    supervisor = RunSupervisor(uow, MemoryBlobStore(), MemoryExecutor(), SystemClock(), replica_id="b")

    async def claimed_by_a_replica_that_dies(lease_s: float) -> None:
        async with uow() as u:
            now = datetime.now(UTC)
            await u.runs.claim_next(now, lease_owner="a", lease_until=now + timedelta(seconds=lease_s))
            await u.commit()

    await claimed_by_a_replica_that_dies(lease_s=60)
    await supervisor.recover()
    assert (await RunService(uow, SystemClock()).get(ALICE, run.id)).status is RunStatus.RUNNING  # a live lease

    async with uow() as u:
        await u.runs.renew_leases("a", [run.id], datetime.now(UTC) - timedelta(seconds=1))
        await u.commit()
    await supervisor.recover()
    retried = await RunService(uow, SystemClock()).get(ALICE, run.id)
    assert (retried.status, retried.attempts) == (RunStatus.QUEUED, 1)
    assert "retrying (attempt 2 of 2)" in retried.log[-1]

    await claimed_by_a_replica_that_dies(lease_s=-1)
    await supervisor.recover()
    after = await RunService(uow, SystemClock()).get(ALICE, run.id)
    assert (after.status, after.attempts, after.error.message) == (RunStatus.FAILED, 2, INTERRUPTED)


async def test_a_restarted_replica_takes_back_its_own_runs_at_once(uow, dataset):
    wf = await WorkflowService(uow, SystemClock()).create(ALICE, "wf", "", classic())
    run = await RunService(uow, SystemClock()).execute(ALICE, wf.id)
    async with uow() as u:
        now = datetime.now(UTC)
        await u.runs.claim_next(now, lease_owner="host:8000", lease_until=now + timedelta(seconds=60))
        await u.commit()
    await RunSupervisor(uow, MemoryBlobStore(), MemoryExecutor(), SystemClock(), replica_id="host:8000").recover()
    assert (await RunService(uow, SystemClock()).get(ALICE, run.id)).status is RunStatus.QUEUED


async def test_a_supervisor_stops_a_run_another_replica_took_back(uow, dataset):
    """Its lease was released while it was paused: the heartbeat notices and stops the job without
    writing anything to the run, which is now another attempt's."""
    wf = await WorkflowService(uow, SystemClock()).create(ALICE, "wf", "", classic())
    run = await RunService(uow, SystemClock()).execute(ALICE, wf.id)
    executor = MemoryExecutor(stall=True)
    supervisor = RunSupervisor(uow, MemoryBlobStore(), executor, SystemClock(), replica_id="a", poll_s=0.01)
    assert await supervisor.tick() == 1
    async with uow() as u:
        await u.runs.release_leases(datetime.now(UTC) + timedelta(seconds=3600))
        await u.commit()
    await supervisor.heartbeat()
    await asyncio.gather(*supervisor.active.values(), return_exceptions=True)
    assert not supervisor.active
    after = await RunService(uow, SystemClock()).get(ALICE, run.id)
    assert (after.status, after.attempts, after.error) == (RunStatus.QUEUED, 1, None)


async def _chunks(data: bytes):
    yield data


async def test_cancel_survives_a_claim_between_its_read_and_write(store, dataset):
    """A supervisor claiming the run just after cancel read it makes the compare-and-set fail once."""
    raced = []

    class ClaimedMeanwhile(MemoryUnitOfWork):
        async def __aenter__(self):
            me = await super().__aenter__()
            if not raced:
                raced.append(True)
                read = me.runs.get

                async def read_then_claim(owner_id, run_id):
                    seen = await read(owner_id, run_id)
                    now = datetime.now(UTC)
                    await me.runs.claim_next(now, lease_owner="other", lease_until=now + timedelta(seconds=60))
                    return seen

                me.runs.get = read_then_claim
            return me

    plain = lambda: MemoryUnitOfWork(store)  # noqa: E731
    wf = await WorkflowService(plain, SystemClock()).create(ALICE, "wf", "", classic())
    run = await RunService(plain, SystemClock()).execute(ALICE, wf.id)
    cancelled = await RunService(lambda: ClaimedMeanwhile(store), SystemClock()).cancel(ALICE, run.id)
    assert raced and cancelled.status is RunStatus.CANCELLED
    assert (await RunService(plain, SystemClock()).get(ALICE, run.id)).status is RunStatus.CANCELLED
