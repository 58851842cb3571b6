"""AutoML node vs default HistGradientBoosting and default random forest on the shared tables.

The same engine, hold-out split (25 %, seed 0) and seed for all three; the score is the AutoML
benchmark's metric per task on the test rows. `ratio_vs_*` is above 1 when AutoML is better,
whichever way the metric points. `overrun_pct` is the wall clock of the whole AutoML fit (read, search,
refit, evaluation: what the budget promises) beyond its budget, timed here, not the engine's own count.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from automl_core.catalog import default_metric
from automl_core.execution import ExecutionRequest
from automl_core.workflow import Edge, Graph, Node
from automl_worker.engine import run as run_engine
from automl_worker.evaluate import LOWER_IS_BETTER

DATASETS = Path(os.environ.get("AUTOML_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
TARGETS = {
    "titanic": "survived",
    "adult": "income",
    "credit-g": "class",
    "kc1": "Class",
    "phoneme": "Class",
    "magictelescope": "Class",
    "car": "class",
    "vehicle": "Class",
    "segment": "class",
    "penguins": "species",
    "abalone": "Class_Rings",
    "diamonds": "price",
    "mpg": "mpg",
}
SMOKE = {"penguins": 200, "mpg": 200}
"""Tables and row counts for `--smoke`: proves the harness, says nothing about quality."""


def _graph(target: str, model: Node) -> Graph:
    nodes = [
        Node("data", "dataset", {"dataset_id": "table", "target": target}),
        Node("split", "split", {"test_size": 0.25, "seed": 0}),
        model,
    ]
    return Graph(nodes=nodes, edges=[Edge("e1", "data", "split"), Edge("e2", "split", model.id)])


def _fit(path: Path, target: str, model: Node) -> tuple[Any, float]:
    started = time.perf_counter()
    result = run_engine(ExecutionRequest(run_id="bench", workflow=_graph(target, model), seed=0), {"table": path})
    return result.branches[0], time.perf_counter() - started


def _ratio(automl: float, other: float, lower_is_better: bool) -> float:
    if lower_is_better:
        return round(other / automl, 3) if automl else float("inf")
    return round(automl / other, 3) if other else float("inf")


def run(budget_s: float = 30.0, datasets: list[str] | None = None, smoke: bool = False) -> list[dict[str, Any]]:
    chosen = {name: SMOKE.get(name) if smoke else None for name in (datasets or (SMOKE if smoke else TARGETS))}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, limit in chosen.items():
            frame = pl.read_csv(DATASETS / f"{name}.csv", null_values=["?", "NA", ""], infer_schema_length=None)
            if limit:
                frame = frame.sample(min(limit, frame.height), seed=0)
            path = Path(folder) / f"{name}.parquet"
            frame.write_parquet(path)
            target = TARGETS[name]
            automl, automl_s = _fit(path, target, Node("m", "automl", {"time_budget_s": max(1, round(budget_s))}))
            hgb, hgb_s = _fit(path, target, Node("m", "model.hist_gradient_boosting"))
            rf, rf_s = _fit(path, target, Node("m", "model.random_forest"))
            metric = default_metric(automl.task)
            lower = metric in LOWER_IS_BETTER
            search_s = automl.timings["search_s"]
            rows.append(
                {
                    "dataset": name,
                    "rows": frame.height,
                    "task": automl.task,
                    "metric": metric,
                    "automl": automl.metrics[metric],
                    "hgb": hgb.metrics[metric],
                    "rf": rf.metrics[metric],
                    "ratio_vs_hgb": _ratio(automl.metrics[metric], hgb.metrics[metric], lower),
                    "ratio_vs_rf": _ratio(automl.metrics[metric], rf.metrics[metric], lower),
                    "automl_model": automl.algorithm,
                    "trials": len(automl.leaderboard or []),
                    "budget_s": round(budget_s),
                    "search_s": search_s,
                    "overrun_pct": round(max(0.0, automl_s / max(1, round(budget_s)) - 1) * 100, 1),
                    "refit_s": automl.timings["refit_s"],
                    "wall_s": round(automl_s, 1),
                    "baseline_wall_s": round(hgb_s + rf_s, 1),
                }
            )
    return rows
