"""SHAP explanations and ONNX export of every catalog model family, on real engine runs.

One run per task trains every family side by side (the engine test's graph); every model must then
(1) explain predicted rows in the user's columns with contributions that add up, with the base value,
to the model's raw output, and (2) either carry an ONNX file whose ONNX Runtime predictions equal the
skops model's on held-out rows, or say why it has none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automl_core.workflow import Edge, Graph, Node
from automl_worker import artifacts, onnx_export
from automl_worker.data import Table
from automl_worker.engine import run
from automl_worker.explain import GLOBAL_ROWS, KERNEL_METHOD, KERNEL_ROWS, TREE_METHOD

from .conftest import chain, dataset, request
from .test_engine import MODELS

TREES = {"decision_tree", "random_forest", "extra_trees", "hist_gradient_boosting", "lightgbm", "xgboost", "catboost"}
CONVERTS = {
    "binary": {"logistic_regression", "ridge", "decision_tree", "random_forest", "extra_trees", "knn", "naive_bayes",
               "mlp", "svm", "lightgbm"},
    "regression": {"linear_regression", "ridge", "lasso", "decision_tree", "random_forest", "extra_trees", "knn",
                   "mlp", "svm", "lightgbm"},
}  # fmt: skip
"""Families that convert today (LightGBM through onnxmltools); hist gradient boosting fails inside
skl2onnx (its tree nodes), XGBoost's converter wants features named f0, f1, ..., CatBoost has none."""
CASES = {
    "binary": ("titanic", "survived", []),
    "regression": ("mpg", "mpg", ["cylinders", "horsepower", "weight", "origin"]),
}
"""mpg's `name` has too many values: one-hot groups the rare ones, which ONNX cannot (tested below)."""


@pytest.fixture(scope="module")
def trained(tables: Any) -> Any:
    """task -> (branches by family, held-out feature rows as dicts and as a frame)."""
    made: dict[str, Any] = {}

    def get(task: str) -> Any:
        if task not in made:
            name, target, columns = CASES[task]
            path = tables(name, 240)
            result = run(request(side_by_side(target, MODELS[task], columns)), {"ds": path})
            branches = {b.node_id: b for b in result.branches}
            features = [(f.name, f.dtype) for f in result.branches[0].features]
            frame = Table.read(Path(path)).features([n for n, _ in features]).iloc[-12:].reset_index(drop=True)
            made[task] = branches, frame, features
        return made[task]

    return get


def side_by_side(target: str, families: list[str], features: list[str]) -> Graph:
    """A split dataset feeding one branch per family, each encoding text itself (ONNX needs that: after
    a drawn step, text and numbers travel together in one table, which an ONNX tensor cannot hold)."""
    nodes = [
        Node("data", "dataset", {"dataset_id": "ds", "target": target, "features": features}),
        Node("split", "split"),
    ]
    edges = [Edge("e-split", "data", "split")]
    for family in families:
        nodes.append(Node(family, f"model.{family}", {"max_iter": 300} if family == "mlp" else {}))
        edges.append(Edge(f"e-{family}", "split", family))
    return Graph(nodes=nodes, edges=edges)


def raw_output(pipeline: Any, X: pd.DataFrame, output: str) -> np.ndarray:
    """What the explanation of each row's predicted class (or value) must add up to."""
    if output == "value":
        return np.asarray(pipeline.predict(X), dtype=float)
    chosen = np.asarray(pipeline.predict(X), dtype=int)
    rows = np.arange(len(X))
    if output == "probability":
        return pipeline.predict_proba(X)[rows, chosen]
    raw = margin(pipeline, X) if output == "log_odds" else np.asarray(pipeline.decision_function(X), dtype=float)
    return np.where(chosen == 1, raw, -raw) if raw.ndim == 1 else raw[rows, chosen]


def margin(pipeline: Any, X: pd.DataFrame) -> np.ndarray:
    """A boosting classifier's raw score (log-odds), asked of the library itself."""
    Z = pipeline[:-1].transform(X) if len(pipeline.steps) > 1 else X
    head = pipeline.steps[-1][1]
    Z = head[:-1].transform(Z) if len(head.steps) > 1 else Z
    model = head.steps[-1][1]
    library = type(model).__module__.split(".")[0]
    if library == "lightgbm":
        return np.asarray(model.predict(Z, raw_score=True), dtype=float)
    if library == "xgboost":
        return np.asarray(model.predict(Z, output_margin=True), dtype=float)
    if library == "catboost":
        return np.asarray(model.predict(Z, prediction_type="RawFormulaVal"), dtype=float)
    return np.asarray(model.decision_function(Z), dtype=float)


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_every_family_explains_rows_in_user_columns_adding_up_to_its_output(trained: Any, task: str) -> None:
    branches, frame, features = trained(task)
    names = [n for n, _ in features]
    for family, branch in branches.items():
        pipeline, _ = artifacts.load(branch.artifact)
        found = artifacts.predict(branch.artifact, rows_of(frame), explain=True)
        assert found.explanations is not None and len(found.explanations) == len(frame)
        totals = np.array([e.base_value + sum(e.contributions.values()) for e in found.explanations])
        assert all(list(e.contributions) == names for e in found.explanations), family
        # Trees are explained exactly (TreeExplainer): 1e-6; Kernel SHAP is exact in its sum as well.
        # XGBoost sums its trees in float32: its own margin is only that exact (relative 1e-6).
        rtol = 1e-6 if family == "xgboost" else 1e-7
        expected = raw_output(pipeline, frame, found.output)
        np.testing.assert_allclose(totals, expected, atol=1e-6, rtol=rtol, err_msg=family)
        method = branch.explanation["method"]
        assert method == (TREE_METHOD if family in TREES else KERNEL_METHOD), family
        assert found.output == branch.explanation["output"]


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_global_explanation_ranks_user_columns_over_a_bounded_held_out_sample(trained: Any, task: str) -> None:
    branches, _, features = trained(task)
    for family, branch in branches.items():
        found = branch.explanation
        sample = found["sample"]
        assert sample["columns"] == [n for n, _ in features]
        assert {f["name"] for f in found["features"]} == set(sample["columns"])  # not one-hot internals
        assert 0 < len(sample["rows"]) == len(sample["values"]) <= (GLOBAL_ROWS if family in TREES else KERNEL_ROWS)
        values = np.abs(np.asarray(sample["values"]))
        means = dict(zip(sample["columns"], values.mean(axis=0), strict=True))
        for f in found["features"]:
            assert f["mean_abs"] == pytest.approx(means[f["name"]], abs=1e-5)
        assert [f["mean_abs"] for f in found["features"]] == sorted(
            (f["mean_abs"] for f in found["features"]), reverse=True
        )
        assert branch.timings["explain_s"] >= 0 and "onnx_s" in branch.timings


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_onnx_runtime_predicts_what_the_skops_model_predicts(trained: Any, task: str) -> None:
    branches, frame, features = trained(task)
    converted = {f for f, b in branches.items() if b.onnx}
    assert converted == CONVERTS[task]
    for family, branch in branches.items():
        if not branch.onnx:
            assert branch.onnx_error, family  # the reason the API answers with (409)
            continue
        pipeline, info = artifacts.load(branch.artifact)
        outputs = onnx_export.run(branch.onnx, frame, features)
        if task == "binary":
            assert np.array_equal(outputs[0].ravel(), pipeline.predict(frame)), family
            if hasattr(pipeline, "predict_proba"):
                np.testing.assert_allclose(outputs[1], pipeline.predict_proba(frame), atol=1e-4, err_msg=family)
        else:
            expected = pipeline.predict(frame)
            np.testing.assert_allclose(outputs[0].ravel(), expected, atol=1e-4 * max(1, np.abs(expected).max()))
        meta = {p.key: json.loads(p.value) for p in _onnx_model(branch.onnx).metadata_props}
        assert [(f["name"], f["dtype"]) for f in meta["features"]] == features
        assert meta["classes"] == info.classes and meta["algorithm"] == family


def _onnx_model(data: bytes) -> Any:
    import onnx

    return onnx.load_from_string(data)


def test_a_mixing_step_before_a_tree_falls_back_to_kernel_shap_and_still_adds_up(tables: Any) -> None:
    graph = chain(dataset("survived"), ("pca", "preprocess.pca", {"n_components": 3}), ("rf", "model.random_forest"))
    branch = run(request(graph), {"ds": tables("titanic", 200)}).branches[0]
    assert branch.explanation["method"] == KERNEL_METHOD
    frame = Table.read(Path(tables("titanic", 200))).features([f.name for f in branch.features]).head(5)
    found = artifacts.predict(branch.artifact, rows_of(frame), explain=True)
    pipeline, _ = artifacts.load(branch.artifact)
    totals = [e.base_value + sum(e.contributions.values()) for e in found.explanations or []]
    np.testing.assert_allclose(totals, raw_output(pipeline, frame, "probability"), atol=1e-6)


def test_an_ensemble_is_explained_as_the_weighted_sum_of_its_members(tables: Any) -> None:
    nodes = [
        Node("data", "dataset", {"dataset_id": "ds", "target": "survived"}),
        Node("auto", "automl", {"time_budget_s": 6, "families": ["random_forest", "logistic_regression"]}),
    ]
    graph = Graph(nodes=nodes, edges=[Edge("e", "data", "auto")])
    branch = run(request(graph), {"ds": tables("titanic", 200)}).branches[0]
    frame = Table.read(Path(tables("titanic", 200))).features([f.name for f in branch.features]).head(5)
    found = artifacts.predict(branch.artifact, rows_of(frame), explain=True)
    pipeline, _ = artifacts.load(branch.artifact)
    totals = [e.base_value + sum(e.contributions.values()) for e in found.explanations or []]
    np.testing.assert_allclose(totals, raw_output(pipeline, frame, "probability"), atol=1e-6)
    if branch.algorithm.startswith("ensemble("):
        assert branch.explanation["method"].startswith("weighted sum of members")


def test_rare_categories_grouped_by_one_hot_leave_no_onnx_form_and_say_why(tables: Any) -> None:
    branch = run(
        request(chain(dataset("mpg"), ("lr", "model.linear_regression"))), {"ds": tables("mpg", 200)}
    ).branches[0]
    assert not branch.onnx
    assert branch.onnx_error == "a one-hot encoder groups infrequent categories, which ONNX cannot express"
