"""Predict latency per Predictor adapter: 1 row and 10k rows, against today's in-process figure.

One logistic-regression pipeline (trained by the real engine on the executor contract's table) is
stored as a blob; each adapter predicts with it where its models live: the warm local process, the
Gradio worker (`automl worker` in a subprocess on loopback), a Dask LocalCluster (one worker). The
first call ships the artifact (reported as `first_ms`); the figure is the median of the warm calls.
The baseline is what the API did before prediction moved out: `automl_worker.artifacts.predict` in
the API's own process (through a thread, as the old adapter ran it), model already loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from tests.executors.contract import DATASET_ID, LOGISTIC, graph, request, table

from adapters.blobs import FilesystemBlobStore
from automl_core.ports import Predictor
from bench._server import ROOT

Call = Callable[[list[dict[str, Any]]], Awaitable[object]]


def rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    return [
        {"x": rnd.gauss(0, 1), "z": rnd.gauss(0, 1), "colour": rnd.choice(["red", "green", "blue"])} for _ in range(n)
    ]


async def timed(call: Call, batch: list[dict[str, Any]], repeat: int) -> tuple[float, float]:
    """(first call ms, median of the next `repeat` calls ms)."""
    started = time.perf_counter()
    await call(batch)
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call(batch)
        times.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(times)


@contextlib.contextmanager
def gradio_worker() -> Iterator[str]:
    # No port given: Gradio tries its range in turn, past any taken meanwhile; its URL is read from its log.
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_SERVER_PORT"} | {"GRADIO_SERVER_NAME": "127.0.0.1"}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(
            [sys.executable, "-c", "from entrypoints.cli import main; main(['worker'])"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            import httpx

            deadline = time.monotonic() + 120
            url = ""
            while True:
                log.seek(0)
                if not url and b"Running on local URL:" in (text := log.read()):
                    url = text.split(b"Running on local URL:", 1)[1].split()[0].decode().rstrip("/")
                with contextlib.suppress(httpx.HTTPError):
                    if url and httpx.get(f"{url}/gradio_api/info", timeout=2).status_code == 200:
                        break
                if worker.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the Gradio worker did not start: {log.read()[-2000:]!r}")
                time.sleep(0.3)
            yield url
        finally:
            worker.terminate()
            worker.wait(30)


@contextlib.asynccontextmanager
async def warm_process(blobs: FilesystemBlobStore) -> AsyncIterator[Predictor]:
    from adapters.prediction import WarmProcessPredictor

    predictor = WarmProcessPredictor(blobs)
    try:
        yield predictor
    finally:
        await predictor.close()


@contextlib.asynccontextmanager
async def gradio_space(blobs: FilesystemBlobStore) -> AsyncIterator[Predictor]:
    from adapters.executors.gradio_space import GradioSpaceExecutor
    from adapters.prediction.gradio_space import GradioSpacePredictor

    with gradio_worker() as url:
        space = GradioSpaceExecutor(url, read_timeout_s=120)
        try:
            yield GradioSpacePredictor(space, blobs)
        finally:
            await space.close()


@contextlib.asynccontextmanager
async def dask_cluster(blobs: FilesystemBlobStore) -> AsyncIterator[Predictor]:
    from distributed import LocalCluster

    from adapters.executors.dask import DaskExecutor
    from adapters.prediction.dask import DaskPredictor

    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None, processes=True) as cluster:
        executor = DaskExecutor(cluster.scheduler_address)
        try:
            yield DaskPredictor(executor, blobs)
        finally:
            await executor.close()


ADAPTERS = {
    "warm local process": warm_process,
    "Gradio worker (loopback)": gradio_space,
    "Dask (LocalCluster, 1 worker)": dask_cluster,
}
"""Each started alone, after the baseline, so none competes with another for the cores."""


async def measure(folder: Path, smoke: bool) -> list[dict[str, Any]]:
    from automl_worker import artifacts
    from automl_worker.engine import run

    data = folder / "train.parquet"
    table(2000).write_parquet(data)
    artifact = run(request("bench", graph(LOGISTIC)), {DATASET_ID: data}, lambda _: None).branches[0].artifact
    blobs = FilesystemBlobStore(folder / "blobs")
    (folder / "model.skops").write_bytes(artifact)
    key = (await blobs.put_file(folder / "model.skops")).key
    sizes = [(1, 5 if smoke else 30), (10_000, 1 if smoke else 5)]
    results: list[dict[str, Any]] = []
    baseline: dict[int, float] = {}

    async def record(name: str, call: Call) -> None:
        for n, repeat in sizes:
            first, median = await timed(call, rows(n), repeat)
            baseline.setdefault(n, median)
            results.append(
                {
                    "predictor": name,
                    "rows": n,
                    "first_ms": round(first, 1),
                    "ms": round(median, 1),
                    "vs_in_process": round(median / baseline[n], 2),
                }
            )

    async def in_process(batch: list[dict[str, Any]]) -> object:
        return await asyncio.to_thread(artifacts.predict, artifact, batch)

    await record("in the API process (before)", in_process)
    for name, started in ADAPTERS.items():
        async with started(blobs) as predictor:
            await record(name, lambda batch, p=predictor: p.predict(key, batch))  # type: ignore[misc]
    return results


def run(smoke: bool = False) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-predict-") as folder:
        return asyncio.run(measure(Path(folder), smoke))
