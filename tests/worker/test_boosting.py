"""LightGBM, XGBoost and CatBoost as catalog nodes and AutoML families: native categories, saved with skops."""

from __future__ import annotations

from typing import Any

import pytest

from automl_worker import artifacts
from automl_worker.engine import run

from .conftest import chain, dataset, read_csv, request

LIBRARIES = ("lightgbm", "xgboost", "catboost")


@pytest.mark.parametrize("family", LIBRARIES)
def test_classifies_text_categories_and_missing_values_natively_and_predicts_from_its_artifact(
    family: str, tables: Any
) -> None:
    graph = chain(dataset("survived"), ("split", "split"), ("m", f"model.{family}"))
    branch = run(request(graph), {"ds": tables("titanic")}).branches[0]
    assert branch.algorithm == family
    assert branch.metrics["roc_auc"] > 0.8
    pipeline, _ = artifacts.load(branch.artifact)
    assert pipeline.steps[-1][1].steps[-1][1].__class__.__module__.startswith(family)
    rows = read_csv("titanic").drop("survived").head(5).to_dicts()
    found = artifacts.predict(branch.artifact, rows)
    assert len(found.predictions) == 5 and found.probabilities is not None


@pytest.mark.parametrize("family", LIBRARIES)
def test_regresses(family: str, tables: Any) -> None:
    graph = chain(dataset("mpg"), ("split", "split"), ("m", f"model.{family}"))
    branch = run(request(graph), {"ds": tables("mpg")}).branches[0]
    assert branch.metrics["r2"] > 0.75


def test_automl_searches_the_boosting_libraries_within_its_budget(tables: Any) -> None:
    automl = ("auto", "automl", {"time_budget_s": 8, "families": list(LIBRARIES)})
    graph = chain(dataset("survived"), ("split", "split"), automl)
    branch = run(request(graph), {"ds": tables("titanic")}).branches[0]
    assert {e.algorithm for e in branch.leaderboard or []} & set(LIBRARIES)
    assert branch.metrics["roc_auc"] > 0.8
    rows = read_csv("titanic").drop("survived").head(3).to_dicts()
    assert len(artifacts.predict(branch.artifact, rows).predictions) == 3
