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
