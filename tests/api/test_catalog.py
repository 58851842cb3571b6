"""The catalog the canvas draws its palette and parameter forms from."""

from __future__ import annotations

from tests.api.conftest import Api


def test_catalog_lists_every_node_family(api: Api) -> None:
    body = api.anonymous().get("/api/catalog").json()
    types = {t["type"]: t for t in body["node_types"]}
    assert {"dataset", "split", "evaluate", "visualize", "automl", "model.logistic_regression",
            "model.random_forest", "preprocess.impute"} <= set(types)  # fmt: skip
    for node_type in types.values():
        assert set(node_type) >= {"type", "category", "label", "description", "inputs", "outputs", "params"}
        for param in node_type["params"]:
            assert set(param) >= {"name", "type", "default", "required", "help"}
    target = next(p for p in types["dataset"]["params"] if p["name"] == "task")
    assert target["choices"] == ["auto", "binary", "multiclass", "regression", "clustering"]


def test_catalog_labels_every_choice_and_marks_multi_model_inputs(api: Api) -> None:
    body = api.anonymous().get("/api/catalog").json()
    types = {t["type"]: t for t in body["node_types"]}
    plots = next(p for p in types["visualize"]["params"] if p["name"] == "plots")
    assert plots["choice_labels"]["roc_curve"] == "ROC curve"
    families = next(p for p in types["automl"]["params"] if p["name"] == "families")
    assert families["choice_labels"]["random_forest"] == "Random forest"
    assert body["metric_labels"]["balanced_accuracy"] == "Balanced accuracy"
    assert types["visualize"]["inputs"][0]["multiple"] is True
    assert types["evaluate"]["inputs"][0]["multiple"] is True
    assert types["split"]["inputs"][0]["multiple"] is False
