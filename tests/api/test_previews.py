"""POST /api/workflows/preview: the table out of one step, computed as far up as needed, cached per user."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import WORKER_URL, Api, User, titanic_graph


def preview(user: User, graph: dict[str, Any], node_id: str, **extra: Any) -> dict[str, Any]:
    response = user.post("/api/workflows/preview", json={**graph, "node_id": node_id, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_step_shows_the_table_flowing_out_of_it(user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"])
    data = preview(user, graph, "data", limit=5)
    assert data["kind"] == "rows" and data["total_rows"] == 891 and len(data["rows"]) == 5
    dtypes = {c["name"]: c["dtype"] for c in data["columns"]}
    assert dtypes["age"] == "float" and dtypes["sex"] == "string" and dtypes["pclass"] == "integer"
    encoded = preview(user, graph, "onehot", limit=5)
    names = [c["name"] for c in encoded["columns"]]
    assert "sex_female" in names and "sex" not in names and names[-1] == "survived"
    assert all(c["dtype"] == "float" for c in encoded["columns"][:-1])
    split = preview(user, graph, "split")
    assert split["split"]["train"] + split["split"]["test"] == 891
    assert split["total_rows"] == split["split"]["train"]
    model = preview(user, graph, "model", limit=500)
    assert model["kind"] == "predictions" and model["total_rows"] == split["split"]["test"]
    assert [c["name"] for c in model["columns"]] == ["row", "survived", "prediction", "probability"]
    correct = sum(row[1] == row[2] for row in model["rows"]) / len(model["rows"])
    assert correct > 0.7, correct
    assert preview(user, graph, "eval", limit=500)["rows"] == model["rows"]


def test_a_second_look_is_cached_until_something_upstream_changes(
    api: Api, user: User, titanic: dict[str, Any]
) -> None:
    graph = titanic_graph(titanic["id"])
    first = preview(user, graph, "onehot")
    again = preview(user, graph, "onehot")
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["rows"] == first["rows"] and again["columns"] == first["columns"]
    graph["nodes"][1]["params"]["strategy"] = "median"  # the default: the same step
    assert preview(user, graph, "onehot")["cached"] is True
    graph["nodes"][1]["params"]["strategy"] = "mean"
    assert preview(user, graph, "onehot")["cached"] is False
    assert preview(user, graph, "onehot", seed=7)["cached"] is False
    graph["nodes"][4]["params"]["C"] = 0.5  # below the step: the step's output is unchanged
    assert preview(user, graph, "onehot")["cached"] is True


@pytest.mark.skipif(WORKER_URL is not None, reason="reads what the in-process executor recorded it was sent")
def test_only_the_steps_above_are_sent_and_checked(api: Api, user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"])
    graph["nodes"][4]["params"]["C"] = -1  # an invalid model below the previewed step
    graph["nodes"].append({"id": "half", "type": "model.random_forest", "params": {}})
    previewer = api.executor.default
    before = len(previewer.previews)  # type: ignore[attr-defined]
    body = preview(user, graph, "split", limit=1)
    assert body["cached"] is False
    sent = previewer.previews[before:]  # type: ignore[attr-defined]
    assert [sorted(n.id for n in r.workflow.nodes) for r in sent] == [["data", "impute", "onehot", "split"]]
    response = user.post("/api/workflows/preview", json={**graph, "node_id": "model"})
    assert response.status_code == 422
    assert any(i.get("node_id") == "model" and i.get("field") == "C" for i in response.json()["extra"]["issues"])


def test_bad_requests_name_what_is_wrong(user: User, other_user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"])
    unknown = user.post("/api/workflows/preview", json={**graph, "node_id": "nope"})
    assert unknown.status_code == 422 and unknown.json()["extra"]["issues"][0]["field"] == "node_id"
    too_many = user.post("/api/workflows/preview", json={**graph, "node_id": "data", "limit": 10_000})
    assert too_many.status_code == 422
    theirs = other_user.post("/api/workflows/preview", json={**graph, "node_id": "data"})
    assert theirs.status_code == 422
    assert any(i.get("node_id") == "data" for i in theirs.json()["extra"]["issues"])
    automl = titanic_graph(titanic["id"], model="automl")
    searched = user.post("/api/workflows/preview", json={**automl, "node_id": "model"})
    assert searched.status_code == 422, searched.text
    assert searched.json()["extra"]["issues"][0]["node_id"] == "model"
    assert "AutoML" in searched.json()["detail"]
    assert user.client.post("/api/workflows/preview", json={**graph, "node_id": "data"}).status_code == 401


def test_after_a_run_a_model_step_shows_the_model_it_fitted(user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"])
    refitted = preview(user, graph, "model", limit=500)
    run = user.post("/api/workflows/execute", json={"name": "fit", **graph}).json()
    assert user.wait_for_run(run["id"])["status"] == "succeeded"
    from_run = preview(user, graph, "model", limit=500)
    assert from_run["cached"] is False and "predictions of the model the last run fitted" in " ".join(from_run["log"])
    assert from_run["rows"] == refitted["rows"]  # the same rows, split and seed: the same predictions


def test_an_automl_step_is_previewed_with_the_model_its_run_found(user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"], model="automl")
    graph["nodes"][4]["params"] = {"time_budget_s": 5, "ensemble": False}
    before = user.post("/api/workflows/preview", json={**graph, "node_id": "model"})
    assert before.status_code == 422 and "run the workflow" in before.json()["detail"]
    run = user.post("/api/workflows/execute", json={"name": "search", **graph}).json()
    assert user.wait_for_run(run["id"], timeout_s=120)["status"] == "succeeded"
    after = preview(user, graph, "model", limit=10)
    assert after["kind"] == "predictions" and after["total_rows"] == round(891 * 0.25)
    assert [c["name"] for c in after["columns"]][:3] == ["row", "survived", "prediction"]
