"""Our `automl` node against FLAML, the field's anchor, on every shared table.

Fairness is the point, so both systems get the same rows: the engine's own loader and split
(`load_data`, `plan_rows`: 75/25, stratified, seed 42) decide the training and test rows, FLAML gets
exactly those, and both are scored by the engine's metric code on the same test rows (ROC AUC for
binary, log loss for multiclass, RMSE for regression, as the AutoML benchmark does). Same time
budget; FLAML gets n_jobs=2, the engine uses the machine's cores (2 here). Default HGB and random
forest (through the engine, same split) anchor both. `ours_vs_flaml` is above 1 when we are better,
whichever way the metric points; the last row is its geometric mean.

Full mode also runs our node through the whole platform on two tables (`automl serve` in a
subprocess: upload → workflow → run → predict over REST) with the same seed and graph: `api` is the
score the run reports, `api_predict` the score recomputed from the REST predictions on the test rows.
Both should match `ours` within search noise (the search is budget-bound, so it is not bit-for-bit).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from automl_core.catalog import default_metric, task_family
from automl_core.execution import BranchResult, ExecutionRequest
from automl_core.workflow import Edge, Graph, Node
from automl_worker.data import Table
from automl_worker.engine import Data, load_data, plan_rows
from automl_worker.engine import run as run_engine
from automl_worker.evaluate import LOWER_IS_BETTER, Outcome, supervised_metrics
from automl_worker.fitting import Context
from bench._server import DATASETS, api_server, sign_in
from bench.automl_table import TARGETS

SEED = 42
"""The platform's default run seed, so the direct call and the API run are the same request."""
SMOKE = {"penguins": 200}
"""`--smoke`: one small table; proves the harness, says nothing about quality."""
API_TABLES = ("titanic", "abalone")
"""Binary with missing values and text columns; regression with spaces in column names."""
FLAML_JOBS = 2


def graph(target: str, model: Node) -> Graph:
    nodes = [
        Node("data", "dataset", {"dataset_id": "table", "target": target}),
        Node("split", "split", {"test_size": 0.25, "seed": SEED}),
        model,
    ]
    return Graph(nodes=nodes, edges=[Edge("e1", "data", "split"), Edge("e2", "split", model.id)])


def engine_fit(path: Path, target: str, model: Node) -> tuple[BranchResult, float]:
    started = time.perf_counter()
    request = ExecutionRequest(run_id="bench", workflow=graph(target, model), seed=SEED)
    result = run_engine(request, {"table": path})
    return result.branches[0], time.perf_counter() - started


def engine_rows(path: Path, target: str) -> tuple[Data, np.ndarray, np.ndarray]:
    """The table as the engine reads it and the engine's own train/test rows for our graph."""
    g = graph(target, Node("m", "automl"))
    data = load_data(Context(seed=SEED), g.node("data"), {"table": Table.read(path)})
    (train, test), *_ = plan_rows(g.node("split"), data, SEED, "m")[0]
    return data, train, test


def flaml_fit(data: Data, train: np.ndarray, test: np.ndarray, metric: str, budget_s: float) -> tuple[float, str]:
    """FLAML through its own entry point on the engine's rows, scored by the engine's metric code."""
    from flaml import AutoML

    assert data.y is not None
    classify = task_family(data.task) == "classification"
    automl = AutoML()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl.fit(
            data.X.iloc[train],
            data.y[train],
            task="classification" if classify else "regression",
            metric=metric,
            time_budget=budget_s,
            n_jobs=FLAML_JOBS,
            seed=SEED,
            verbose=0,
        )
        X_test = data.X.iloc[test]
        if classify:
            proba = np.zeros((len(test), data.n_classes))
            proba[:, np.asarray(automl.classes_, dtype=int)] = automl.predict_proba(X_test)
            out = Outcome(test, data.y[test], proba.argmax(axis=1), proba=proba)
        else:
            out = Outcome(test, data.y[test], np.asarray(automl.predict(X_test), dtype=float))
    return supervised_metrics(data.task, out, [metric])[metric], str(automl.best_estimator)


def better_ratio(ours: float, other: float, metric: str) -> float:
    """Above 1 when ours is better, whichever way the metric points."""
    if metric in LOWER_IS_BETTER:
        return other / ours if ours else math.inf
    return ours / other if other else math.inf


def through_api(tables: dict[str, tuple[Path, str]], budget_s: float) -> dict[str, dict[str, float]]:
    """upload → workflow → run → predict over REST against `automl serve`; the run's and REST scores."""
    import httpx

    found: dict[str, dict[str, float]] = {}
    with api_server(max_upload_mb=1000) as server, httpx.Client(base_url=server.url, timeout=120) as client:
        sign_in(client)
        for name, (path, target) in tables.items():
            with path.open("rb") as fh:
                reply = client.post("/api/datasets", files={"file": (path.name, fh)}, data={"name": name})
            dataset_id = reply.raise_for_status().json()["id"]
            g = graph(target, Node("m", "automl", {"time_budget_s": max(1, round(budget_s))}))
            body = {
                "name": f"bench {name}",
                "nodes": [
                    {
                        "id": n.id,
                        "type": n.type,
                        "params": {**n.params, "dataset_id": dataset_id} if n.type == "dataset" else n.params,
                        "position": {"x": 0, "y": 0},
                    }
                    for n in g.nodes
                ],
                "edges": [{"id": e.id, "source": e.source, "target": e.target} for e in g.edges],
            }
            workflow_id = client.post("/api/workflows", json=body).raise_for_status().json()["id"]
            started = time.perf_counter()
            run = client.post("/api/workflows/execute", json={"workflow_id": workflow_id, "seed": SEED})
            run_id = run.raise_for_status().json()["id"]
            deadline = time.monotonic() + 3 * budget_s + 300
            while (state := client.get(f"/api/runs/{run_id}").raise_for_status().json())["status"] in (
                "queued",
                "running",
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"API run on {name} did not finish in time")
                time.sleep(0.5)
            wall = time.perf_counter() - started
            if state["status"] != "succeeded":
                raise RuntimeError(f"API run on {name} {state['status']}: {state.get('error')}")
            result = state["results"][0]
            metric = default_metric(result["task"])
            data, _, test = engine_rows(path, target)
            # The test rows as a client holds them (true/false, integers, null), not as the engine normalises them.
            table = pl.read_parquet(path).filter(pl.col(target).is_not_null())
            rows = table[test].select(list(data.X.columns)).to_dicts()
            reply = client.post(f"/api/models/{result['model_id']}/predict", json={"rows": rows})
            predicted = reply.raise_for_status().json()
            assert data.y is not None
            if task_family(data.task) == "classification":
                code = {str(c): i for i, c in enumerate(data.classes or [])}
                proba = np.zeros((len(test), data.n_classes))
                proba[:, [code[str(c)] for c in predicted["classes"]]] = np.asarray(predicted["probabilities"])
                out = Outcome(test, data.y[test], proba.argmax(axis=1), proba=proba)
            else:
                out = Outcome(test, data.y[test], np.asarray(predicted["predictions"], dtype=float))
            found[name] = {
                "api": result["metrics"][metric],
                "api_predict": supervised_metrics(data.task, out, [metric])[metric],
                "api_wall_s": round(wall, 1),
            }
    return found


def run(smoke: bool = False, budget_s: float = 60.0, datasets: list[str] | None = None) -> list[dict[str, Any]]:
    chosen = {name: SMOKE.get(name) if smoke else None for name in (datasets or (SMOKE if smoke else TARGETS))}
    budget = max(1, round(budget_s))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-flaml-") as folder:
        paths: dict[str, tuple[Path, str]] = {}
        for name, limit in chosen.items():
            frame = pl.read_csv(DATASETS / f"{name}.csv", null_values=["?", "NA", ""], infer_schema_length=None)
            if limit:
                frame = frame.sample(min(limit, frame.height), seed=SEED)
            path = Path(folder) / f"{name}.parquet"
            frame.write_parquet(path)
            target = TARGETS[name]
            paths[name] = (path, target)
            ours, ours_s = engine_fit(path, target, Node("m", "automl", {"time_budget_s": budget}))
            hgb, _ = engine_fit(path, target, Node("m", "model.hist_gradient_boosting"))
            rf, _ = engine_fit(path, target, Node("m", "model.random_forest"))
            metric = default_metric(ours.task)
            data, train, test = engine_rows(path, target)
            started = time.perf_counter()
            flaml, flaml_model = flaml_fit(data, train, test, metric, budget)
            flaml_s = time.perf_counter() - started
            rows.append(
                {
                    "dataset": name,
                    "rows": frame.height,
                    "task": ours.task,
                    "metric": metric,
                    "ours": round(ours.metrics[metric], 4),
                    "flaml": round(flaml, 4),
                    "hgb": round(hgb.metrics[metric], 4),
                    "rf": round(rf.metrics[metric], 4),
                    "ours_vs_flaml": round(better_ratio(ours.metrics[metric], flaml, metric), 3),
                    "ours_vs_hgb": round(better_ratio(ours.metrics[metric], hgb.metrics[metric], metric), 3),
                    "api": "",
                    "api_predict": "",
                    "ours_model": ours.algorithm,
                    "flaml_model": flaml_model,
                    "wall_s": f"{ours_s:.0f}/{flaml_s:.0f}",
                    "ours_search_refit_s": f"{ours.timings['search_s']:.0f}+{ours.timings['refit_s']:.0f}",
                }
            )
            print(f"flaml: {name}: ours {rows[-1]['ours']} vs FLAML {rows[-1]['flaml']}", file=sys.stderr, flush=True)
        if not smoke:
            api_part(rows, {n: paths[n] for n in API_TABLES if n in paths}, budget)
    rows.append({key: "" for key in rows[0]} | {"dataset": "geomean", **geomeans(rows)})
    return rows


def api_part(rows: list[dict[str, Any]], tables: dict[str, tuple[Path, str]], budget: int) -> None:
    """Fill the `api` columns; a platform failure is reported in the table, not lost with the rest."""
    try:
        found = through_api(tables, budget)
    except Exception as exc:
        print(f"flaml: the API part failed: {exc}", file=sys.stderr)
        found = {name: {"error": f"failed: {str(exc)[:60]}"} for name in tables}
    for name, scores in found.items():
        row = next(r for r in rows if r["dataset"] == name)
        if "error" in scores:
            row["api"] = scores["error"]
            continue
        row["api"] = round(scores["api"], 4)
        row["api_predict"] = round(scores["api_predict"], 4)
        row["wall_s"] += f" (api {scores['api_wall_s']:.0f})"


def geomeans(rows: list[dict[str, Any]]) -> dict[str, float]:
    return {
        key: round(math.exp(sum(math.log(r[key]) for r in rows) / len(rows)), 3)
        for key in ("ours_vs_flaml", "ours_vs_hgb")
    }
