"""No step learns from held-out rows: imputation, scaling, encoders, select-k-best (it reads the target),
the model, and AutoML's inner folds.

The property: two tables identical on their training rows, whose held-out rows differ only in two
"leak" columns, pure noise in training but equal to the target in the held-out rows of one of them.
Whatever the steps, both runs must fit the very same model (same predictions on any rows) and score the
same on the training side (AutoML's inner-fold leaderboard). A step fitted on all rows would see the
leak and tell the two apart; a test that only compared scores could miss it, this one cannot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl_worker import artifacts
from automl_worker.engine import run

from .conftest import chain, dataset, request

ROWS = 120
HELD_OUT = 30
"""The split keeps row order (shuffle off): the last 30 rows are the held-out ones, by definition."""
SPLIT = ("split", "split", {"test_size": HELD_OUT / ROWS, "shuffle": False, "stratify": False})

STEPS = {
    "impute": ("impute", "preprocess.impute", {"strategy": "mean"}),
    "scale": ("scale", "preprocess.scale", {}),
    "one_hot": ("encode", "preprocess.one_hot", {}),
    "ordinal": ("encode", "preprocess.ordinal", {}),
    "select_k_best": ("select", "preprocess.select_k_best", {"k": 3}),
}
MODELS = ["model.logistic_regression", "model.decision_tree", "model.knn"]


def tables(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(control, leaky): the same training rows; in `leaky` the leak columns equal the target on the
    held-out rows, in `control` they stay noise there too."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=ROWS)
    z = rng.normal(size=ROWS)
    label = np.where(x + 0.5 * z + rng.normal(scale=1.0, size=ROWS) > 0, "yes", "no")
    x[rng.choice(ROWS, 12, replace=False)] = np.nan  # something for imputation to learn
    noise = rng.normal(size=ROWS)
    noise_cat = rng.choice(["red", "green", "blue"], size=ROWS)
    base = {"x": x, "z": z, "colour": rng.choice(["a", "b", "c"], size=ROWS), "label": label}
    control = pl.DataFrame({**base, "leak": noise, "leak_cat": noise_cat})
    held = np.arange(ROWS) >= ROWS - HELD_OUT
    leaky = pl.DataFrame(
        {
            **base,
            "leak": np.where(held, (label == "yes").astype(float), noise),
            "leak_cat": np.where(held, label, noise_cat),
        }
    )
    return control, leaky


def fit(table: pl.DataFrame, folder: Path, name: str, *steps: tuple[str, str, dict[str, Any]]) -> Any:
    path = folder / f"{name}.parquet"
    table.write_parquet(path)
    graph = chain(dataset("label"), *steps)
    return run(request(graph), {"ds": path}).branches[0]


def rows_of(table: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in table.drop("label").to_dicts()
    ]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.sampled_from(sorted(STEPS)), unique_by=lambda s: STEPS[s][0], max_size=3),
    model=st.sampled_from(MODELS),
    seed=st.integers(0, 2**16),
)
def test_held_out_rows_never_shape_the_model(tmp_path: Path, steps: list[str], model: str, seed: int) -> None:
    control, leaky = tables(seed)
    # Imputation first where chosen: the other steps need no missing cells to fit.
    order = sorted(steps, key=lambda s: s != "impute")
    if "impute" not in order:
        order.insert(0, "impute")
    pipeline = [*(STEPS[s] for s in order), SPLIT, ("model", model, {})]
    one = fit(control, tmp_path, "control", *pipeline)
    two = fit(leaky, tmp_path, "leaky", *pipeline)

    for probe in (control, leaky):
        rows = rows_of(probe)
        assert artifacts.predict(one.artifact, rows) == artifacts.predict(two.artifact, rows), (order, model)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**16))
def test_automl_inner_folds_never_see_held_out_rows(tmp_path: Path, seed: int) -> None:
    control, leaky = tables(seed)
    search = (
        "search",
        "automl",
        {
            "time_budget_s": 120,
            "max_trials": 3,
            "ensemble": False,
            "families": ["logistic_regression", "decision_tree"],
        },
    )
    one = fit(control, tmp_path, "control", SPLIT, search)
    two = fit(leaky, tmp_path, "leaky", SPLIT, search)

    def board(branch: Any) -> list[tuple[str, float | None]]:
        return [(e.algorithm, e.score) for e in branch.leaderboard]

    assert board(one) == board(two), "the training-side scores moved with the held-out rows"
    rows = rows_of(leaky)
    assert artifacts.predict(one.artifact, rows) == artifacts.predict(two.artifact, rows)
