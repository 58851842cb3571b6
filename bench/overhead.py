"""Platform overhead: a run's wall time through the run supervisor minus the engine's own time.

A small run (logistic regression on 200 penguins) is queued as the API queues it and driven by a
supervisor running as the API runs it (its poll loop included), over the in-memory store. Wall time
is from queueing to the stored result; engine time is the `engine_seconds` the engine reports. Done
for the local process executor and for the Gradio worker app served on loopback (`python
worker/app.py` in its own process, as a Space runs it); then 20 small runs queued at once (by 20
users, so the per-user limit does not serialise them) give the throughput.
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from adapters.clock import SystemClock
from adapters.executors.gradio_space import GradioSpaceExecutor
from adapters.executors.local import LocalProcessExecutor
from adapters.memory import MemoryBlobStore, MemoryStore, MemoryUnitOfWork
from adapters.wakeup import LocalWakeup
from automl_core.datasets import Column, Dataset
from automl_core.execution import CompletedEvent, ExecutionEvent, ExecutionRequest
from automl_core.ports import Executor, JobHandle
from automl_core.runs import RunStatus
from automl_core.services.runs import RunService
from automl_core.services.supervisor import RunSupervisor
from automl_core.services.workflows import WorkflowService
from automl_core.workflow import Edge, Graph, Node

DATASETS = Path(os.environ.get("AUTOML_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
ROOT = Path(__file__).resolve().parents[1]
ROWS = 200


class Recording:
    """Passes everything to an executor and keeps the engine time each finished job reported."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.engine_seconds: dict[str, float] = {}
        self._runs: dict[str, str] = {}

    async def submit(self, request: ExecutionRequest, datasets: Mapping[str, Path]) -> JobHandle:
        handle = await self.inner.submit(request, datasets)
        self._runs[handle.job_id] = request.run_id
        return handle

    async def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        async for event in self.inner.events(handle):
            if isinstance(event, CompletedEvent):
                self.engine_seconds[self._runs[handle.job_id]] = event.result.engine_seconds
            yield event

    async def cancel(self, handle: JobHandle) -> None:
        await self.inner.cancel(handle)

    async def finish(self, handle: JobHandle) -> None:
        await self.inner.finish(handle)

    async def healthy(self) -> bool:
        return await self.inner.healthy()


def small_graph(dataset_id: str) -> Graph:
    return Graph(
        nodes=[
            Node("data", "dataset", {"dataset_id": dataset_id, "target": "species"}),
            Node("split", "split", {}),
            Node("model", "model.logistic_regression", {}),
            Node("eval", "evaluate", {}),
        ],
        edges=[Edge("e1", "data", "split"), Edge("e2", "split", "model"), Edge("e3", "model", "eval")],
    )


class Platform:
    """The API's run path without HTTP: store, blobs, run service and a supervisor in its poll loop."""

    def __init__(self, executor: Executor, max_parallel: int, woken: bool) -> None:
        store = MemoryStore()
        self.uow = lambda: MemoryUnitOfWork(store)
        self.blobs = MemoryBlobStore()
        self.executor = Recording(executor)
        wakeup = LocalWakeup() if woken else None
        self.runs = RunService(self.uow, SystemClock(), wakeup)
        self.workflows = WorkflowService(self.uow, SystemClock())
        self.supervisor = RunSupervisor(
            self.uow, self.blobs, self.executor, SystemClock(), max_parallel=max_parallel, wakeup=wakeup
        )

    async def add_user(self, owner: str, parquet: bytes, columns: list[Column]) -> str:
        key = (await self.blobs.put_stream(_once(parquet))).key
        dataset = Dataset(
            id=f"penguins-{owner}",
            owner_id=owner,
            name="penguins",
            filename="penguins.parquet",
            format="parquet",
            size_bytes=len(parquet),
            content_hash=key,
            row_count=ROWS,
            columns=columns,
            blob_key=key,
            created_at=datetime.now(UTC),
        )
        async with self.uow() as uow:
            await uow.datasets.add(dataset)
            await uow.commit()
        workflow = await self.workflows.create(owner, "small", "", small_graph(dataset.id))
        return workflow.id

    async def run(self, owner: str, workflow_id: str) -> tuple[str, float]:
        """Queue one run and wait for its stored outcome; (run id, wall seconds)."""
        started = time.perf_counter()
        run = await self.runs.execute(owner, workflow_id)
        while (await self.runs.get(owner, run.id)).status in (RunStatus.QUEUED, RunStatus.RUNNING):
            await asyncio.sleep(0.005)
        wall = time.perf_counter() - started
        final = await self.runs.get(owner, run.id)
        if final.status is not RunStatus.SUCCEEDED:
            raise RuntimeError(f"benchmark run {final.status.value}: {final.error}")
        return run.id, wall


def penguins() -> tuple[bytes, list[Column]]:
    frame = pl.read_csv(DATASETS / "penguins.csv", null_values=["NA", ""]).head(ROWS)
    out = io.BytesIO()
    frame.write_parquet(out)
    dtypes = {pl.String: "string", pl.Float64: "float", pl.Int64: "integer"}
    columns = [
        Column(name, dtypes.get(dtype, "other"), frame[name].null_count(), frame[name].n_unique())
        for name, dtype in frame.schema.items()
    ]
    return out.getvalue(), columns


async def measure(
    name: str, executor: Executor, repeats: int, concurrent: int, max_parallel: int
) -> list[dict[str, Any]]:
    """Woken on enqueue (as the API runs) and polling only (as before), in the same run for the ratio."""
    return [
        await _measure(f"{name}, {how}", executor, repeats, concurrent, max_parallel, woken)
        for how, woken in (("woken on enqueue", True), ("polling only", False))
    ]


async def _measure(
    name: str, executor: Executor, repeats: int, concurrent: int, max_parallel: int, woken: bool
) -> dict[str, Any]:
    parquet, columns = penguins()
    platform = Platform(executor, max_parallel, woken)
    users = {f"user{i}": await platform.add_user(f"user{i}", parquet, columns) for i in range(concurrent)}
    loop = asyncio.create_task(platform.supervisor.run_forever())
    try:
        await platform.run("user0", users["user0"])  # warm-up: first imports, first connection
        walls, overheads, engines = [], [], []
        for _ in range(repeats):
            run_id, wall = await platform.run("user0", users["user0"])
            engine = platform.executor.engine_seconds[run_id]
            walls.append(wall)
            engines.append(engine)
            overheads.append(wall - engine)
        started = time.perf_counter()
        await asyncio.gather(*(platform.run(owner, workflow) for owner, workflow in users.items()))
        burst = time.perf_counter() - started
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await platform.supervisor.shutdown()
    return {
        "executor": name,
        "runs": repeats,
        "median_wall_s": round(statistics.median(walls), 3),
        "median_engine_s": round(statistics.median(engines), 3),
        "median_overhead_s": round(statistics.median(overheads), 3),
        "wall_per_engine": round(statistics.median(walls) / max(statistics.median(engines), 1e-9), 1),
        "concurrent_runs": concurrent,
        "concurrent_total_s": round(burst, 2),
        "runs_per_min": round(60 * concurrent / burst, 1),
    }


async def gradio_worker(repeats: int, concurrent: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryFile() as log:
        return await _measure_gradio(log, repeats, concurrent)


async def _measure_gradio(log: Any, repeats: int, concurrent: int) -> list[dict[str, Any]]:
    # No port given: Gradio tries its range in turn, past any taken meanwhile; its URL is read from its log.
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_SERVER_PORT"} | {"GRADIO_SERVER_NAME": "127.0.0.1"}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "worker" / "app.py")],
        cwd=ROOT / "worker",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    executor: GradioSpaceExecutor | None = None
    try:
        deadline = time.monotonic() + 120
        while b"Running on local URL:" not in (text := _read(log)):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Gradio worker did not start: {text[-2000:]!r}")
            await asyncio.sleep(0.2)
        url = text.split(b"Running on local URL:", 1)[1].split()[0].decode().rstrip("/")
        executor = GradioSpaceExecutor(url, wake_timeout_s=120)
        while not await executor.healthy():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Gradio worker did not start")
            await asyncio.sleep(0.2)
        return await measure("gradio (loopback)", executor, repeats, concurrent, max_parallel=2)
    finally:
        if executor is not None:
            await executor.close()
        worker.terminate()
        worker.wait(timeout=10)


def _read(log: Any) -> bytes:
    log.seek(0)
    data: bytes = log.read()
    return data


async def _all(smoke: bool) -> list[dict[str, Any]]:
    repeats, concurrent = (2, 4) if smoke else (7, 20)
    local = LocalProcessExecutor()
    try:
        rows = await measure("local process", local, repeats, concurrent, max_parallel=local.max_jobs)
    finally:
        await local.close()
    rows += await gradio_worker(repeats, concurrent)
    return rows


def run(smoke: bool = False) -> list[dict[str, Any]]:
    return asyncio.run(_all(smoke))


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
