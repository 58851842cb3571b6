"""The Dask executor against a real local cluster (2 worker processes, 1 thread each): the shared
contract with the real engine, then what only a cluster does: a worker dies mid-job."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster, get_task_stream

from adapters.executors.dask import DaskExecutor
from automl_core.execution import CompletedEvent, FailedEvent, LogEvent, ProgressEvent
from tests.executors.contract import DATASET_ID, LOGISTIC, ExecutorContract, collect, graph, request, table
from tests.executors.preview_contract import PreviewerContract

ENGINES = "tests.executors.dask_engines"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None, memory_limit="1.5GiB"
    ) as started:
        yield started


@pytest.fixture
def scheduler(cluster: LocalCluster) -> str:
    """The cluster's address once both workers are up (a test before may have killed one)."""
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
    return str(cluster.scheduler_address)


class TestDaskExecutor(ExecutorContract):
    @pytest.fixture
    async def executor(self, scheduler: str):
        executor = DaskExecutor(scheduler)
        yield executor
        await executor.close()


class TestDaskPreviews(PreviewerContract):
    @pytest.fixture
    async def previewer(self, scheduler: str):
        executor = DaskExecutor(scheduler)
        yield executor
        await executor.close()


def kill(event: object) -> None:
    assert isinstance(event, ProgressEvent) and event.message.startswith("pid "), event
    os.kill(int(event.message.removeprefix("pid ")), signal.SIGKILL)


@pytest.mark.timeout(120)
async def test_a_job_whose_worker_dies_reruns_once_on_another(scheduler: str) -> None:
    executor = DaskExecutor(scheduler, engine=f"{ENGINES}:nap")
    try:
        handle = await executor.submit(request("r", graph(LOGISTIC)), {})
        events = []
        async for event in executor.events(handle):
            events.append(event)
            if len(events) == 1:
                kill(event)
    finally:
        await executor.close()
    assert isinstance(events[-1], CompletedEvent), events[-1]
    assert any(isinstance(e, LogEvent) and "died; rerunning" in e.message for e in events)


@pytest.mark.timeout(120)
async def test_a_job_that_keeps_killing_workers_fails_with_a_message(scheduler: str) -> None:
    executor = DaskExecutor(scheduler, engine=f"{ENGINES}:insomnia")
    try:
        handle = await executor.submit(request("r", graph(LOGISTIC)), {})
        events = []
        async for event in executor.events(handle):
            events.append(event)
            if isinstance(event, ProgressEvent) and event.message.startswith("pid "):
                kill(event)
    finally:
        await executor.close()
    final = events[-1]
    assert isinstance(final, FailedEvent) and "died 2 times" in final.message, final
    assert sum(isinstance(e, (CompletedEvent, FailedEvent)) for e in events) == 1


@pytest.mark.timeout(45)
async def test_an_unreachable_scheduler_fails_the_job_not_the_api() -> None:
    executor = DaskExecutor("tcp://127.0.0.1:1", connect_timeout_s=2)
    try:
        assert await executor.healthy() is False
        final = (await collect(executor, await executor.submit(request("r", graph(LOGISTIC)), {}), timeout=30))[-1]
    finally:
        await executor.close()
    assert isinstance(final, FailedEvent) and "cannot be reached" in final.message, final


@pytest.mark.timeout(90)
async def test_automl_trials_fan_out_over_the_workers(scheduler: str, tmp_path: Path) -> None:
    path = tmp_path / "contract.parquet"
    table().write_parquet(path)
    executor = DaskExecutor(scheduler)
    search = ("search", "automl", {"time_budget_s": 6, "ensemble": False})
    async with (
        Client(scheduler, asynchronous=True, set_as_default=False) as client,
        get_task_stream(client) as stream,
    ):
        try:
            events = await collect(executor, await executor.submit(request("r", graph(search)), {DATASET_ID: path}))
        finally:
            await executor.close()
    assert isinstance(events[-1], CompletedEvent), events[-1]
    fits = [t for t in stream.data if "fit_and_predict" in t["key"]]
    assert len({t["worker"] for t in fits}) == 2, "trial fits should run on both workers"
