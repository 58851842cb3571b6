"""`--only big-table`: a million rows on a Space-sized job (2 GB resident, 2 cores), through the local executor.

A generated table (seeded, never committed: 1,000,000 rows x 18 columns, 16 numeric and 2 text, a
binary target with interactions and noise) goes dataset -> split -> AutoML -> evaluate on the real
`LocalProcessExecutor` with `memory_limit_mb=2048`, so the memory watch is what would stop it. Wall
time is the clock from submit to the result; peak memory is the job's process group's resident
memory, sampled every 0.1 s from outside; the score is compared with a default HistGradientBoosting
on the same split, run the same way (the executor is warmed by a tiny job first).
Goals: wall <= budget x 1.05 + 2 s, peak <= 2 GB, score >= HGB.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from adapters.executors.local import LocalProcessExecutor
from automl_core.execution import CompletedEvent, ExecutionRequest, FailedEvent, LogEvent
from automl_core.workflow import Edge, Graph, Node

ROWS = 1_000_000
SMOKE_ROWS = 20_000
LIMIT_MB = 2048
SEED = 42


def table(rows: int, path: Path) -> None:
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(rows, 16)).astype(np.float32)
    city = rng.choice([f"city_{i}" for i in range(20)], rows)
    plan = rng.choice(["basic", "plus", "pro", "team", "enterprise"], rows)
    city_effect = (np.char.str_len(city.astype(str)) % 3 - 1) * 0.4 + (city == "city_7") * 0.8
    logit = X[:, 0] - 0.8 * X[:, 1] + X[:, 2] * X[:, 3] + np.sin(2 * X[:, 4]) + city_effect + (plan == "pro") * 0.6
    y = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pl.DataFrame({f"x{i}": X[:, i] for i in range(16)}).with_columns(
        pl.Series("city", city), pl.Series("plan", plan), pl.Series("churned", np.where(y, "yes", "no"))
    )
    frame.write_parquet(path, row_group_size=100_000)


def graph(model: Node) -> Graph:
    nodes = [
        Node("data", "dataset", {"dataset_id": "big", "target": "churned"}),
        Node("split", "split", {"test_size": 0.25, "seed": SEED}),
        model,
        Node("eval", "evaluate", {"metrics": ["roc_auc"]}),
    ]
    edges = [Edge("e1", "data", "split"), Edge("e2", "split", model.id), Edge("e3", model.id, "eval")]
    return Graph(nodes=nodes, edges=edges)


def job_groups_rss() -> int:
    """Resident bytes of the process groups led by our descendants (the executor's jobs)."""
    procs: dict[int, tuple[int, int, int]] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            rss = int((entry / "statm").read_text().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
        procs[int(entry.name)] = (int(fields[1]), int(fields[2]), rss)
    ours = os.getpid()
    descendants, frontier = set(), {ours}
    while frontier:
        frontier = {pid for pid, (ppid, _, _) in procs.items() if ppid in frontier} - descendants
        descendants |= frontier
    groups = {procs[p][1] for p in descendants} - {os.getpgid(0)}
    return sum(rss for _, pgid, rss in procs.values() if pgid in groups)


async def through_executor(
    executor: LocalProcessExecutor, model: Node, path: Path
) -> tuple[dict[str, Any], float, int]:
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], job_groups_rss())
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    log: list[str] = []
    try:
        started = time.monotonic()
        handle = await executor.submit(ExecutionRequest(run_id="big", workflow=graph(model), seed=SEED), {"big": path})
        sampler.start()
        final = None
        async for event in executor.events(handle):
            if isinstance(event, CompletedEvent | FailedEvent):
                final = event
            elif isinstance(event, LogEvent):
                log.append(event.message)
        wall = time.monotonic() - started
    finally:
        stop.set()
    if not isinstance(final, CompletedEvent):
        return {"failed": getattr(final, "message", "no result")}, wall, peak[0]
    branch = final.result.branches[0]
    notes = [m for m in log if "refit" in m or "search" in m]
    outcome = {"roc_auc": branch.metrics.get("roc_auc"), "model": branch.algorithm, "log": " | ".join(notes)}
    return outcome, wall, peak[0]


async def measure(path: Path, warm_up: Path, budget: int) -> list[tuple[str, dict[str, Any], float, int]]:
    """Both systems through one executor, warmed first: its fork server's start is not the run's."""
    executor = LocalProcessExecutor(max_jobs=1, memory_limit_mb=LIMIT_MB)
    try:
        await through_executor(executor, Node("m", "model.logistic_regression"), warm_up)
        found = []
        for name, node in (
            ("automl", Node("m", "automl", {"time_budget_s": budget})),
            ("hgb_default", Node("m", "model.hist_gradient_boosting")),
        ):
            found.append((name, *(await through_executor(executor, node, path))))
        return found
    finally:
        await executor.close()


def run(smoke: bool = False, budget_s: float = 60.0) -> list[dict[str, Any]]:
    budget = max(1, round(budget_s))
    rows = SMOKE_ROWS if smoke else ROWS
    found = []
    with tempfile.TemporaryDirectory(prefix="bench-big-") as folder:
        path, warm_up = Path(folder) / "big.parquet", Path(folder) / "warm.parquet"
        table(rows, path)
        table(500, warm_up)
        for name, outcome, wall, peak in asyncio.run(measure(path, warm_up, budget)):
            found.append(
                {
                    "system": name,
                    "rows": rows,
                    "budget_s": budget if name == "automl" else "",
                    "wall_s": round(wall, 1),
                    "within_budget": wall <= budget * 1.05 + 2 if name == "automl" else "",
                    "peak_rss_mb": round(peak / 2**20),
                    **outcome,
                }
            )
    if all("roc_auc" in r and r["roc_auc"] is not None for r in found):
        found[0]["vs_hgb"] = round(found[0]["roc_auc"] - found[1]["roc_auc"], 4)
    return found
