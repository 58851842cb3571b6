"""The AutoML node keeps its wall-clock budget: search, refit, evaluation, plots and artifact inside it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from automl_core.execution import ProgressEvent
from automl_worker.budget import Cost
from automl_worker.engine import run

from .conftest import chain, dataset, request

EVERY_PLOT = ["confusion_matrix", "roc_curve", "pr_curve", "calibration", "feature_importance", "learning_curve"]
PHASES = ("searching", "refitting ", "evaluating", "drawing plots", "saving the model")


def within(budget: float, wall: float) -> bool:
    return wall <= budget * 1.05 + 2.0


@pytest.fixture(scope="module")
def wide_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8,000 rows by 120 numeric columns and one text column: permutation importance alone would take
    longer than the budget (one predict call per column and repeat), so the plan must size it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8000, 120))
    y = X[:, :5].sum(axis=1) + rng.normal(size=len(X)) > 0
    frame = pl.DataFrame({f"x{i}": X[:, i] for i in range(X.shape[1])}).with_columns(
        pl.Series("colour", rng.choice(["red", "green", "blue"], len(X))),
        pl.Series("target", np.where(y, "yes", "no")),
    )
    path = tmp_path_factory.mktemp("wide") / "wide.parquet"
    frame.write_parquet(path)
    return path


def test_a_wide_table_with_every_plot_finishes_within_its_budget(wide_table: Path) -> None:
    budget = 5
    graph = chain(
        dataset("target"),
        ("split", "split"),
        ("auto", "automl", {"time_budget_s": budget}),
        ("eval", "evaluate"),
        ("viz", "visualize", {"plots": EVERY_PLOT}),
    )
    timed: list[tuple[float, Any]] = []
    started = time.monotonic()
    result = run(request(graph), {"ds": wide_table}, lambda e: timed.append((time.monotonic() - started, e)))
    branch = result.branches[0]
    wall = time.monotonic() - started
    assert within(budget, wall), "\n".join(f"{t:.2f} {getattr(e, 'message', e)}" for t, e in timed)
    events = [e for _, e in timed]
    assert branch.metrics["roc_auc"] > 0.85
    phases = {"prepare_s", "search_s", "refit_s", "evaluate_s", "plots_s", "save_s"}
    assert phases <= set(branch.timings), branch.timings
    assert sum(branch.timings[p] for p in phases) <= wall
    progress = [e for e in events if isinstance(e, ProgressEvent)]
    fractions = [e.fraction for e in progress]
    assert fractions == sorted(fractions)
    messages = [e.message for e in progress]
    seen = [next(i for i, m in enumerate(messages) if m.startswith(phase)) for phase in PHASES]
    assert seen == sorted(seen), messages


def test_a_search_on_many_rows_leaves_room_for_the_refit(tables: Any) -> None:
    """diamonds (54k rows): the search runs on a sample, the refit on every training row, all in budget."""
    budget = 6
    graph = chain(dataset("price"), ("split", "split"), ("auto", "automl", {"time_budget_s": budget}))
    started = time.monotonic()
    branch = run(request(graph), {"ds": tables("diamonds")}).branches[0]
    assert within(budget, time.monotonic() - started)
    assert branch.metrics["r2"] > 0.9


@given(
    fit_s=st.floats(0.001, 100.0),
    rows=st.integers(1, 10_000_000),
    seconds=st.floats(0.001, 1000.0),
)
def test_the_rows_a_fit_can_take_fit_the_seconds_given(fit_s: float, rows: int, seconds: float) -> None:
    """The most rows whose fit is estimated to finish in time: one more would not."""
    cost = Cost(fit_s, rows, 1e-6)
    fitting = cost.rows_for(seconds)
    if fitting >= 1:
        assert cost.fit_on(fitting) <= seconds * (1 + 1e-9)
    assert cost.fit_on(fitting + 1) > seconds * (1 - 1e-6)
