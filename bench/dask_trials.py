"""AutoML trials per budget on a Dask cluster: 1 vs 2 local workers (one thread each), same table,
same budget, same seed. The search fans its trials out over the cluster, so 2 workers should finish
about twice the trials of 1; the in-process engine (no Dask) is the baseline for the overhead.

Counts completed trials (TrialEvents) of one AutoML node without ensembling, and on the cluster the
fits' concurrency (compute seconds of trial fits over the span they ran in: 2.0 = both workers busy
throughout) and their mean duration: fits that run side by side but each take longer mean the workers
are short of free cores, not that the fan-out failed. The machine is shared: read the ratios, not the
absolute numbers.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
from sklearn.datasets import make_classification
from tests.executors.contract import DATASET_ID, TARGET, graph, request

from adapters.executors.dask import DaskExecutor
from automl_core.execution import CompletedEvent, ExecutionEvent, TrialEvent

ROWS = 1000
FEATURES = 10


def _table(path: Path) -> None:
    X, y = make_classification(n_samples=ROWS, n_features=FEATURES, n_informative=5, random_state=0)
    frame = pl.DataFrame({f"f{i}": X[:, i] for i in range(FEATURES)}).with_columns(pl.Series(TARGET, y.astype(str)))
    frame.write_parquet(path)


def _workflow(budget_s: int) -> Any:
    return graph(("search", "automl", {"time_budget_s": budget_s, "ensemble": False}))


def _in_process(data: Path, budget_s: int) -> tuple[int, float]:
    from automl_worker.engine import run

    trials = 0

    def count(event: ExecutionEvent) -> None:
        nonlocal trials
        trials += isinstance(event, TrialEvent)

    started = time.perf_counter()
    run(request("bench", _workflow(budget_s)), {DATASET_ID: data}, count)
    return trials, time.perf_counter() - started


async def _on_cluster(address: str, data: Path, budget_s: int) -> tuple[int, float]:
    executor = DaskExecutor(address)
    try:
        started = time.perf_counter()
        handle = await executor.submit(request("bench", _workflow(budget_s)), {DATASET_ID: data})
        events = [e async for e in executor.events(handle)]
    finally:
        await executor.close()
    assert isinstance(events[-1], CompletedEvent), events[-1]
    return sum(isinstance(e, TrialEvent) for e in events), time.perf_counter() - started


def _cluster_run(workers: int, data: Path, budget_s: int) -> tuple[int, float, float, float]:
    from distributed import Client, LocalCluster, get_task_stream

    with (
        LocalCluster(processes=True, n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        # Import the engine on every worker first, so start-up is not charged to the budget.
        client.run(__import__, "automl_worker.engine")
        with get_task_stream(client) as stream:
            trials, seconds = asyncio.run(_on_cluster(cluster.scheduler_address, data, budget_s))
    spans = [
        (s["start"], s["stop"])
        for task in stream.data
        if "fit_and_predict" in task["key"]
        for s in task["startstops"]
        if s["action"] == "compute"
    ]
    span = max(b for _, b in spans) - min(a for a, _ in spans) if spans else 0.0
    compute = sum(b - a for a, b in spans)
    return trials, seconds, compute / span if span else 0.0, compute / len(spans) if spans else 0.0


def run(smoke: bool = False) -> list[dict[str, Any]]:
    budget_s = 8 if smoke else 30
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "table.parquet"
        _table(data)
        measured = {"in-process (no Dask)": (*_in_process(data, budget_s), None, None)}
        for workers in (1, 2):
            measured[f"Dask, {workers} worker{'s' if workers > 1 else ''}"] = _cluster_run(workers, data, budget_s)
    one = measured["Dask, 1 worker"][0] or 1
    for name, (trials, seconds, concurrency, mean_fit) in measured.items():
        rows.append(
            {
                "where": name,
                "budget_s": budget_s,
                "trials": trials,
                "trials_per_s": round(trials / seconds, 2),  # per second of measured wall clock
                "vs_1_worker": round(trials / one, 2),
                "fit_concurrency": "-" if concurrency is None else round(concurrency, 2),
                "mean_fit_s": "-" if mean_fit is None else round(mean_fit, 3),
                "wall_s": round(seconds, 1),
            }
        )
    return rows
