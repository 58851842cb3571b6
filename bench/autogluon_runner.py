"""AutoGluon-Tabular on one prepared split, run by its own virtualenv's Python (see bench.automl_vs).

Standalone on purpose: that venv holds AutoGluon and its pins, not this project. Reads train/test
Parquet files whose `__target__` column holds class codes 0..K-1 (or numbers), fits with the given
preset, time limit and cores, and writes the test predictions and the wall seconds from the start of
the fit to the last prediction (interpreter and import start-up excluded, as for the other systems).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

TARGET = "__target__"


def main(train_path: str, test_path: str, problem: str, metric: str, budget_s: str, preset: str, cores: str) -> None:
    from autogluon.tabular import TabularPredictor

    train, test = pd.read_parquet(train_path), pd.read_parquet(test_path)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="bench-ag-") as folder:
        started = time.perf_counter()
        predictor = TabularPredictor(label=TARGET, problem_type=problem, eval_metric=metric, path=folder, verbosity=0)
        # best_quality's dynamic-stacking check fits a learner in this process first, and without Ray
        # the real fit then fails ("Learner is already fit"): it is turned off, the rest of the preset kept.
        extra = {"dynamic_stacking": False} if preset == "best_quality" else {}
        predictor.fit(train, time_limit=float(budget_s), presets=preset, num_cpus=int(cores), num_gpus=0, **extra)
        features = test.drop(columns=[TARGET])
        if problem == "regression":
            values = np.asarray(predictor.predict(features), dtype=float).tolist()
        else:
            proba = predictor.predict_proba(features)
            values = proba[sorted(proba.columns)].to_numpy().tolist()
            classes = [int(c) for c in sorted(proba.columns)]
        wall = time.perf_counter() - started
        model = predictor.model_best
    out = {"values": values, "wall_s": wall, "model": model}
    if problem != "regression":
        out["classes"] = classes
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:8])
