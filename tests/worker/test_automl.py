"""The AutoML node: quality against a default HistGradientBoosting, budget, reproducibility, wiring."""

from __future__ import annotations

from typing import Any

import pytest

from automl_core.catalog import default_metric
from automl_core.execution import LogEvent, TrialEvent
from automl_worker import artifacts
from automl_worker.engine import run
from automl_worker.evaluate import LOWER_IS_BETTER

from .conftest import chain, dataset, read_csv, request

BUDGET_S = 8
TOLERANCE = {"roc_auc": 0.01, "log_loss": 0.05, "rmse": 0.03}
"""How far behind the default HGB still counts as a tie: AUC points, or a share of the loss."""


FAST = ["hist_gradient_boosting", "logistic_regression", "knn"]


def automl(**params: Any) -> tuple[str, str, dict[str, Any]]:
    return ("auto", "automl", {"time_budget_s": BUDGET_S, **params})


def no_worse(metric: str, automl_score: float, baseline: float) -> bool:
    if metric in LOWER_IS_BETTER:
        return automl_score <= baseline * (1 + TOLERANCE[metric])
    return automl_score >= baseline - TOLERANCE[metric]


@pytest.mark.slow
def test_beats_or_ties_default_hgb_on_most_tables_within_budget(tables: Any) -> None:
    outcomes = {}
    for name, target, rows in (
        ("credit-g", "class", None),
        ("vehicle", "Class", None),
        ("abalone", "Class_Rings", 1500),
    ):
        paths = {"ds": tables(name, rows)}
        found = run(request(chain(dataset(target), ("split", "split"), automl())), paths).branches[0]
        hgb = run(request(chain(dataset(target), ("split", "split"), ("m", "model.hist_gradient_boosting"))), paths)
        metric = default_metric(found.task)
        outcomes[name] = (metric, found.metrics[metric], hgb.branches[0].metrics[metric])
        assert found.timings["search_s"] <= BUDGET_S * 1.1 + 1.0, (name, found.timings)
        assert found.leaderboard and found.leaderboard[0].score is not None
    wins = [name for name, (metric, a, b) in outcomes.items() if no_worse(metric, a, b)]
    assert len(wins) >= 2, outcomes


def test_same_seed_and_max_trials_give_the_same_leaderboard(tables: Any) -> None:
    graph = chain(dataset("survived"), automl(time_budget_s=120, max_trials=5, seed=3, families=FAST))
    paths = {"ds": tables("titanic", 300)}
    boards = [
        [(e.algorithm, e.params, e.score) for e in run(request(graph, seed=5), paths).branches[0].leaderboard or []]
        for _ in range(2)
    ]
    assert boards[0] == boards[1]
    assert len([b for b in boards[0] if b[0] != "ensemble"]) <= 5


def test_fed_by_a_dataset_it_validates_internally_and_refits_on_every_row(tables: Any) -> None:
    events: list[Any] = []
    families = ["hist_gradient_boosting", "ridge", "knn"]
    # max_trials bounds this search; the budget only has to leave room for every plot on a busy machine.
    node = automl(max_trials=3, families=families, time_budget_s=30)
    graph = chain(dataset("mpg"), node, ("eval", "evaluate"), ("viz", "visualize"))
    branch = run(request(graph), {"ds": tables("mpg")}, events.append).branches[0]
    assert branch.task == "regression"
    assert {"rmse", "mae", "r2", "mape"} <= set(branch.metrics)
    assert {"actual_vs_predicted", "residuals", "feature_importance"} <= set(branch.plots)
    trials = [e for e in events if isinstance(e, TrialEvent)]
    assert len(trials) == len([e for e in branch.leaderboard or [] if e.algorithm != "ensemble"]) > 0
    assert any(isinstance(e, LogEvent) and "out-of-fold" in e.message for e in events)
    rows = read_csv("mpg").drop("mpg").head(4).to_dicts()
    assert len(artifacts.predict(branch.artifact, rows).predictions) == 4


def test_after_preprocessing_and_kfold_with_chosen_families_and_metric(tables: Any) -> None:
    graph = chain(
        dataset("survived"),
        ("impute", "preprocess.impute"),
        ("scale", "preprocess.scale"),
        ("split", "split", {"method": "kfold", "folds": 3}),
        automl(families=["logistic_regression", "knn"], metric="accuracy", max_trials=5),
    )
    branch = run(request(graph), {"ds": tables("titanic")}).branches[0]
    assert {e.algorithm for e in branch.leaderboard or []} <= {"logistic_regression", "knn", "ensemble"}
    assert branch.metrics["accuracy"] > 0.75
    pipeline, _ = artifacts.load(branch.artifact)
    assert [name for name, _ in pipeline.steps][:2] == ["impute", "scale"]


def test_a_tiny_budget_still_returns_a_model(tables: Any) -> None:
    graph = chain(dataset("income"), ("split", "split"), automl(time_budget_s=1))
    branch = run(request(graph), {"ds": tables("adult", 8000)}).branches[0]
    assert branch.metrics["roc_auc"] > 0.85
    assert branch.timings["search_s"] <= 1.1 + 1.5
