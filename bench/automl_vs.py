"""`--only automl-vs`: our AutoML node against FLAML and AutoGluon-Tabular at the same budget and cores.

The same rows for everyone (the engine's loader and 75/25 split, seed 42), the same metric code on the
same test rows (ROC AUC binary, log loss multiclass, RMSE regression), the same time budget and 2
cores: FLAML `n_jobs=2`, AutoGluon `num_cpus=2`, our engine the machine's cores. Wall time is the
clock around each system's fit and test prediction (not what a system reports about itself; for
AutoGluon, measured inside its runner so its interpreter start-up is not counted against it).
AutoGluon lives in its own virtualenv (`var/autogluon-venv`, made on first use: its pins clash with
ours) and runs `bench/autogluon_runner.py`. `ours_vs_*` is above 1 when we are better.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from automl_core.catalog import default_metric, task_family
from automl_core.workflow import Node
from automl_worker.engine import Data
from automl_worker.evaluate import Outcome, supervised_metrics
from bench._server import DATASETS
from bench.automl_table import TARGETS
from bench.flaml_compare import SEED, better_ratio, engine_fit, engine_rows, flaml_fit

ROOT = Path(__file__).resolve().parents[1]
AG_VENV = ROOT / "var" / "autogluon-venv"
AG_REQUIREMENT = "autogluon.tabular[lightgbm,catboost,xgboost]==1.6.3"
AG_PRESETS = ("medium_quality", "best_quality")
AG_METRIC = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "root_mean_squared_error"}
CORES = 2
SMOKE = {"penguins": 200}
TARGET = "__target__"


def autogluon_python() -> Path:
    """The AutoGluon venv's interpreter, installing it the first time (about 80 s; it warns about torch)."""
    python = AG_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(AG_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", AG_REQUIREMENT, "pyarrow"], check=True)
    return python


def autogluon_fit(
    data: Data, train: np.ndarray, test: np.ndarray, metric: str, budget_s: float, preset: str, folder: Path
) -> tuple[float, float, str]:
    """Score, wall seconds and best model of AutoGluon with `preset` on the engine's rows."""
    assert data.y is not None
    classify = task_family(data.task) == "classification"
    problem = "regression" if not classify else ("binary" if data.n_classes == 2 else "multiclass")
    paths = []
    for name, rows in (("train", train), ("test", test)):
        frame = data.X.iloc[rows].reset_index(drop=True).assign(**{TARGET: data.y[rows]})
        path = folder / f"{name}.parquet"
        pd.DataFrame(frame).to_parquet(path)
        paths.append(str(path))
    command = [
        str(autogluon_python()),
        str(Path(__file__).with_name("autogluon_runner.py")),
        *paths,
        problem,
        AG_METRIC[metric],
        str(budget_s),
        preset,
        str(CORES),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=budget_s * 5 + 300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"AutoGluon failed: {done.stderr[-500:]}")
    found = json.loads(done.stdout)
    if classify:
        proba = np.zeros((len(test), data.n_classes))
        proba[:, found["classes"]] = np.asarray(found["values"])
        out = Outcome(test, data.y[test], proba.argmax(axis=1), proba=proba)
    else:
        out = Outcome(test, data.y[test], np.asarray(found["values"], dtype=float))
    return supervised_metrics(data.task, out, [metric])[metric], float(found["wall_s"]), str(found["model"])


def run(smoke: bool = False, budget_s: float = 60.0, datasets: list[str] | None = None) -> list[dict[str, Any]]:
    chosen = {name: SMOKE.get(name) if smoke else None for name in (datasets or (SMOKE if smoke else TARGETS))}
    budget = max(1, round(budget_s))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-vs-") as tmp:
        folder = Path(tmp)
        for name, limit in chosen.items():
            frame = pl.read_csv(DATASETS / f"{name}.csv", null_values=["?", "NA", ""], infer_schema_length=None)
            if limit:
                frame = frame.sample(min(limit, frame.height), seed=SEED)
            path = folder / f"{name}.parquet"
            frame.write_parquet(path)
            target = TARGETS[name]
            ours, ours_s = engine_fit(path, target, Node("m", "automl", {"time_budget_s": budget}))
            metric = default_metric(ours.task)
            data, train, test = engine_rows(path, target)
            started = time.perf_counter()
            flaml, _ = flaml_fit(data, train, test, metric, budget)
            flaml_s = time.perf_counter() - started
            row: dict[str, Any] = {
                "dataset": name,
                "rows": frame.height,
                "metric": metric,
                "ours": round(ours.metrics[metric], 4),
                "flaml": round(flaml, 4),
            }
            walls = {"ours": ours_s, "flaml": flaml_s}
            for preset in AG_PRESETS[:1] if smoke else AG_PRESETS:
                score, wall, _ = autogluon_fit(data, train, test, metric, budget, preset, folder)
                row[f"ag_{preset.split('_')[0]}"] = round(score, 4)
                walls[f"ag_{preset.split('_')[0]}"] = wall
            for other in ("flaml", "ag_medium", "ag_best"):
                if other in row:
                    row[f"ours_vs_{other}"] = round(better_ratio(row["ours"], row[other], metric), 3)
            row["wall_s"] = "/".join(f"{walls[k]:.0f}" for k in ("ours", "flaml", "ag_medium", "ag_best") if k in walls)
            row["ours_within"] = ours_s <= budget * 1.05 + 2
            row["ours_model"] = ours.algorithm
            rows.append(row)
            print(f"automl-vs: {name}: {row}", file=sys.stderr, flush=True)
    ratios = [k for k in ("ours_vs_flaml", "ours_vs_ag_medium", "ours_vs_ag_best") if k in rows[0]]
    summary = {k: round(math.exp(sum(math.log(r[k]) for r in rows) / len(rows)), 3) for k in ratios}
    worst = {k: min(r[k] for r in rows) for k in ratios}
    rows.append({key: "" for key in rows[0]} | {"dataset": "geomean", **summary})
    rows.append({key: "" for key in rows[0]} | {"dataset": "worst", **worst})
    return rows
