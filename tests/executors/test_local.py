"""The local process executor: the contract with the real engine, plus what only processes can do:
survive a crash, enforce memory and time limits, kill on cancel, die with the API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.executors.local import LocalProcessExecutor
from automl_core.execution import CompletedEvent, FailedEvent, ProgressEvent
from tests.executors.contract import DATASET_ID, LOGISTIC, ExecutorContract, collect, graph, request, table
from tests.executors.preview_contract import PreviewerContract

ENGINES = "tests.executors.engines"
ROOT = Path(__file__).resolve().parents[2]


class TestLocalProcessExecutor(ExecutorContract):
    @pytest.fixture
    async def executor(self):
        executor = LocalProcessExecutor(max_jobs=2, memory_limit_mb=1500)
        yield executor
        await executor.close()


def fake(engine: str, **options: float) -> LocalProcessExecutor:
    return LocalProcessExecutor(engine=f"{ENGINES}:{engine}", **options)  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody has reaped yet."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def pid_of(event: object) -> int:
    assert isinstance(event, ProgressEvent) and event.message.startswith("pid "), event
    return int(event.message.removeprefix("pid "))


async def gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return not alive(pid)


@pytest.mark.timeout(30)
async def test_engine_output_cannot_corrupt_the_stream() -> None:
    executor = fake("chatty")
    try:
        events = await collect(executor, await executor.submit(request("r", graph(LOGISTIC)), {}))
    finally:
        await executor.close()
    assert pid_of(events[0]) != os.getpid()
    assert isinstance(events[-1], CompletedEvent)


@pytest.mark.timeout(30)
async def test_a_crash_fails_only_its_job() -> None:
    executor = fake("crash")
    try:
        final = (await collect(executor, await executor.submit(request("r", graph(LOGISTIC)), {})))[-1]
        assert isinstance(final, FailedEvent)
        assert final.message == "the engine process was killed by SIGSEGV before it reported a result"
        assert await executor.healthy()
    finally:
        await executor.close()


@pytest.mark.timeout(30)
async def test_a_job_over_its_memory_limit_fails_cleanly() -> None:
    executor = fake("hog", memory_limit_mb=400)
    try:
        final = (await collect(executor, await executor.submit(request("r", graph(LOGISTIC)), {})))[-1]
    finally:
        await executor.close()
    assert isinstance(final, FailedEvent)
    assert final.message == (
        "the job needed more than 400 MB while allocating: lower the rows with a sample step, "
        "or raise AUTOML_JOB_MEMORY_MB"
    )


@pytest.fixture(scope="module")
def wide_enough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 rows by 18 numeric columns: cubic features of it would take about 2 GB."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    values = rng.normal(size=(200_000, 18)).astype(np.float32)
    frame = pl.DataFrame({f"x{i}": values[:, i] for i in range(18)}).with_columns(
        pl.Series("y", (values[:, 0] > 0).astype(np.int8))
    )
    path = tmp_path_factory.mktemp("big") / "big.parquet"
    frame.write_parquet(path)
    return path


@pytest.mark.timeout(90)
async def test_the_real_engine_over_its_resident_memory_limit_fails_saying_where_and_others_run_on(
    wide_enough: Path,
) -> None:
    """Cubic features of 200k x 18 need ~2 GB; under a 600 MB limit that job fails with what it was
    doing and what to do, while a small job beside it succeeds (RLIMIT_DATA failed jobs far below this)."""
    from automl_core.workflow import Edge, Graph, Node

    heavy = Graph(
        nodes=[
            Node("data", "dataset", {"dataset_id": "big", "target": "y"}),
            Node("cubic", "preprocess.polynomial", {"degree": 3}),
            Node("m", "model.logistic_regression"),
        ],
        edges=[Edge("e1", "data", "cubic"), Edge("e2", "cubic", "m")],
    )
    small_table = wide_enough.with_name("contract.parquet")
    table().write_parquet(small_table)
    executor = LocalProcessExecutor(max_jobs=2, memory_limit_mb=600)
    try:
        big = await executor.submit(request("heavy", heavy), {"big": wide_enough})
        small = await executor.submit(request("small", graph(LOGISTIC)), {DATASET_ID: small_table})
        heavy_events, small_events = await asyncio.gather(collect(executor, big), collect(executor, small))
    finally:
        await executor.close()
    failed = heavy_events[-1]
    assert isinstance(failed, FailedEvent), failed
    # What it was doing is the job's latest progress: "fitting Logistic regression on 150,000 rows", or
    # "training Logistic regression" when the limit bites before the fit's own progress line is out.
    assert failed.message.startswith("the job needed more than 600 MB while "), failed.message
    assert "Logistic regression" in failed.message, failed.message
    assert failed.message.endswith(": lower the rows with a sample step, or raise AUTOML_JOB_MEMORY_MB")
    assert isinstance(small_events[-1], CompletedEvent)


@pytest.mark.timeout(30)
async def test_cancel_kills_the_process() -> None:
    executor = fake("sleepy")
    try:
        handle = await executor.submit(request("r", graph(LOGISTIC)), {})
        events = []
        async for event in executor.events(handle):
            events.append(event)
            await executor.cancel(handle)
        assert events[-1] == FailedEvent(message="cancelled")
        assert await gone(pid_of(events[0]))
    finally:
        await executor.close()


@pytest.mark.timeout(30)
async def test_jobs_beyond_the_slots_wait_their_turn() -> None:
    executor = fake("chatty", max_jobs=1)
    try:
        handles = [await executor.submit(request(f"r{i}", graph(LOGISTIC)), {}) for i in range(2)]
        first, second = await asyncio.gather(*(collect(executor, h) for h in handles))
    finally:
        await executor.close()
    assert second[0] == ProgressEvent(fraction=0.0, message="waiting for a free worker process")
    assert isinstance(first[-1], CompletedEvent) and isinstance(second[-1], CompletedEvent)


@pytest.mark.timeout(60)
async def test_training_never_blocks_the_event_loop() -> None:
    executor = LocalProcessExecutor(engine=f"{ENGINES}:busy")
    lags: list[float] = []

    async def tick() -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(0.02)
            lags.append(time.monotonic() - started - 0.02)

    ticker = asyncio.create_task(tick())
    try:
        events = await collect(executor, await executor.submit(request("r", graph(LOGISTIC)), {}))
    finally:
        ticker.cancel()
        await executor.close()
    assert isinstance(events[-1], CompletedEvent)
    # The job burns a core for 1.5 s: a loop blocked by it would tick once or twice meanwhile, a free
    # one dozens of times. How long each tick lags is a figure for the bench, not a test's threshold.
    assert len(lags) >= 10, f"the event loop ticked only {len(lags)} times while the job trained"


CHILD_OF_A_DOOMED_API = f"""
import asyncio
from adapters.executors.local import LocalProcessExecutor
from tests.executors.contract import graph, request, LOGISTIC

async def main():
    executor = LocalProcessExecutor(engine="{ENGINES}:sleepy")
    handle = await executor.submit(request("r", graph(LOGISTIC)), {{}})
    async for event in executor.events(handle):
        print(event.message, flush=True)

asyncio.run(main())
"""


@pytest.mark.timeout(30)
async def test_the_job_dies_with_the_api_process() -> None:
    """SIGKILL leaves no chance to clean up: the job notices its parent is gone and exits by itself."""
    api = subprocess.Popen([sys.executable, "-c", CHILD_OF_A_DOOMED_API], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert api.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(api.stdout.readline), 20)
        job_pid = int(line.split()[1])
        assert alive(job_pid)
        api.send_signal(signal.SIGKILL)
        api.wait()
        assert await gone(job_pid), "the job outlived the API that started it"
    finally:
        api.kill()
        api.wait()


class TestLocalPreviews(PreviewerContract):
    @pytest.fixture
    async def previewer(self):
        executor = LocalProcessExecutor(max_jobs=1, memory_limit_mb=1500, preview_timeout_s=60)
        yield executor
        await executor.close()
