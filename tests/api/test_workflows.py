"""Workflows: CRUD with optimistic concurrency, validation against the user's data, execution."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from automl_core.workflow import Graph, content_hash
from tests.api.conftest import Api, User, titanic_graph

NODE = {"id": "n1", "type": "dataset", "params": {}, "position": {"x": 1.5, "y": 2.0}}


def test_create_get_list(user: User, other_user: User) -> None:
    created = user.post("/api/workflows", json={"name": "Mine", "description": "d", "nodes": [NODE], "edges": []})
    assert created.status_code == 201, created.text
    workflow = created.json()
    assert workflow["schema_version"] == 1
    assert workflow["version"] == 1
    assert workflow["nodes"] == [NODE]
    assert workflow["created_at"] == workflow["updated_at"]
    assert set(workflow) >= {"id", "name", "description", "schema_version", "nodes", "edges", "created_at",
                             "updated_at"}  # fmt: skip

    assert user.get(f"/api/workflows/{workflow['id']}").json() == workflow
    assert user.get("/api/workflows").json() == {"items": [workflow], "total": 1}
    assert other_user.get("/api/workflows").json() == {"items": [], "total": 0}


def test_edges_keep_their_handles(user: User) -> None:
    graph = {
        "nodes": [NODE, {"id": "n2", "type": "split", "params": {}, "position": {"x": 0, "y": 0}}],
        "edges": [{"id": "e1", "source": "n1", "target": "n2", "source_handle": "data", "target_handle": "data"}],
    }
    workflow = user.post("/api/workflows", json={"name": "w", **graph}).json()
    assert workflow["edges"] == graph["edges"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x", "nodes": [{"type": "dataset"}]},
        {"name": "x", "nodes": "nope"},
        {"name": "x", "edges": [{"id": "e"}]},
    ],
)
def test_create_rejects_malformed_bodies(user: User, body: dict[str, Any]) -> None:
    response = user.post("/api/workflows", json=body)
    assert response.status_code == 422
    assert response.json()["status_code"] == 422


def test_malformed_json_is_422(user: User) -> None:
    response = user.post("/api/workflows", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_update_with_the_current_version(user: User) -> None:
    workflow = user.post("/api/workflows", json={"name": "v1"}).json()
    response = user.put(
        f"/api/workflows/{workflow['id']}", json={"name": "v2", "nodes": [NODE], "version": workflow["version"]}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "v2"
    assert updated["version"] == 2
    assert updated["nodes"] == [NODE]
    assert updated["updated_at"] >= workflow["updated_at"]
    assert updated["created_at"] == workflow["created_at"]


@pytest.mark.parametrize("stale", ["version", "updated_at"])
def test_stale_update_is_409(user: User, stale: str) -> None:
    workflow = user.post("/api/workflows", json={"name": "v1"}).json()
    assert user.put(f"/api/workflows/{workflow['id']}", json={"name": "v2", "version": 1}).status_code == 200
    response = user.put(f"/api/workflows/{workflow['id']}", json={"name": "v3", stale: workflow[stale]})
    assert response.status_code == 409
    assert response.json()["status_code"] == 409
    assert user.get(f"/api/workflows/{workflow['id']}").json()["name"] == "v2"


def test_update_with_the_loaded_updated_at(user: User) -> None:
    workflow = user.post("/api/workflows", json={"name": "v1"}).json()
    response = user.put(f"/api/workflows/{workflow['id']}", json={"name": "v2", "updated_at": workflow["updated_at"]})
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["version"]) == ("v2", workflow["version"] + 1)
    assert user.get(f"/api/workflows/{workflow['id']}").json() == response.json()


def test_delete(user: User) -> None:
    workflow = user.post("/api/workflows", json={"name": "gone"}).json()
    assert user.delete(f"/api/workflows/{workflow['id']}").status_code == 204
    assert user.get(f"/api/workflows/{workflow['id']}").status_code == 404
    assert user.delete(f"/api/workflows/{workflow['id']}").status_code == 404


def test_someone_elses_workflow_is_not_found(user: User, other_user: User) -> None:
    workflow = user.post("/api/workflows", json={"name": "private"}).json()
    path = f"/api/workflows/{workflow['id']}"
    assert other_user.get(path).status_code == 404
    assert other_user.put(path, json={"name": "taken"}).status_code == 404
    assert other_user.delete(path).status_code == 404
    assert other_user.post(f"{path}/execute").status_code == 404
    assert other_user.post("/api/workflows/execute", json={"workflow_id": workflow["id"]}).status_code == 404
    assert user.get(path).json() == workflow


def test_workflows_need_a_session(api: Api) -> None:
    client = api.anonymous()
    assert client.get("/api/workflows").status_code == 401
    assert client.post("/api/workflows", json={"name": "x"}).status_code == 401
    assert client.post("/api/workflows/validate", json={"nodes": [], "edges": []}).status_code == 401


def test_validate_a_runnable_graph(user: User, titanic: dict[str, Any]) -> None:
    response = user.post("/api/workflows/validate", json=titanic_graph(titanic["id"]))
    assert response.status_code == 200
    assert response.json() == {"valid": True, "issues": []}


def test_validate_reports_every_issue_with_its_place(user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"])
    graph["nodes"][0]["params"]["target"] = "no_such_column"
    graph["nodes"][3]["params"]["test_size"] = 7
    graph["nodes"].append({"id": "mystery", "type": "model.quantum", "params": {}})
    graph["edges"].append({"id": "dangling", "source": "model", "target": "nowhere"})
    graph["nodes"].append({"id": 3})
    body = user.post("/api/workflows/validate", json=graph).json()
    assert body["valid"] is False
    by_code = {(i["code"], i.get("node_id"), i.get("edge_id")) for i in body["issues"]}
    places = {i.get("node_id") or i.get("edge_id") or i.get("field") for i in body["issues"]}
    assert {"data", "split", "mystery", "dangling"} <= places, body
    assert any(code == "unknown_type" for code, *_ in by_code)
    assert all(i["message"] for i in body["issues"])


def test_validate_knows_only_your_datasets(user: User, other_user: User, titanic: dict[str, Any]) -> None:
    body = other_user.post("/api/workflows/validate", json=titanic_graph(titanic["id"])).json()
    assert body["valid"] is False
    assert any(i.get("node_id") == "data" for i in body["issues"])


def test_validate_rejects_a_body_that_is_not_a_graph(user: User) -> None:
    assert user.post("/api/workflows/validate", json={"nodes": "x"}).status_code == 422
    assert user.post("/api/workflows/validate", json=[1, 2]).status_code == 422


def test_execute_saved_workflow_by_id(user: User, titanic: dict[str, Any]) -> None:
    workflow = user.post("/api/workflows", json={"name": "t", **titanic_graph(titanic["id"])}).json()
    response = user.post("/api/workflows/execute", json={"workflow_id": workflow["id"]})
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["workflow_id"] == workflow["id"]
    assert run["status"] == "queued"
    assert run["progress"] == {"fraction": 0.0, "message": "", "node_id": None}
    assert run["results"] == []
    assert user.wait_for_run(run["id"])["status"] == "succeeded"


def test_both_execute_routes_take_the_same_body_and_its_seed(user: User, titanic: dict[str, Any]) -> None:
    workflow = user.post("/api/workflows", json={"name": "t", **titanic_graph(titanic["id"])}).json()
    by_path = user.post(f"/api/workflows/{workflow['id']}/execute", json={"seed": 7})
    assert by_path.status_code == 202, by_path.text
    assert by_path.json()["seed"] == 7
    bare = user.post(f"/api/workflows/{workflow['id']}/execute")
    assert bare.status_code == 202 and bare.json()["seed"] == 42
    other = user.post(f"/api/workflows/{workflow['id']}/execute", json={"workflow_id": titanic["id"]})
    assert other.status_code == 422 and other.json()["extra"]["issues"][0]["field"] == "workflow_id"
    for run in (by_path.json(), bare.json()):
        user.wait_for_run(run["id"])


def test_execute_an_unsaved_graph_saves_it(user: User, titanic: dict[str, Any]) -> None:
    response = user.post("/api/workflows/execute", json={"name": "Scratch", **titanic_graph(titanic["id"])})
    assert response.status_code == 202, response.text
    run = response.json()
    workflow = user.get(f"/api/workflows/{run['workflow_id']}").json()
    assert workflow["name"] == "Scratch"
    assert user.wait_for_run(run["id"])["status"] == "succeeded"


def test_a_run_keeps_the_workflow_as_it_was(user: User, titanic: dict[str, Any]) -> None:
    workflow = user.post("/api/workflows", json={"name": "t", **titanic_graph(titanic["id"])}).json()
    run = user.post(f"/api/workflows/{workflow['id']}/execute").json()
    emptied = user.put(
        f"/api/workflows/{workflow['id']}", json={"name": "emptied", "nodes": [], "edges": [], "version": 1}
    )
    assert emptied.status_code == 200, emptied.text
    assert emptied.json()["nodes"] == [] and emptied.json()["version"] == 2
    finished = user.wait_for_run(run["id"])
    assert finished["status"] == "succeeded", finished
    # It trained the graph as it was when it was queued: its one model branch, on the titanic target.
    [result] = finished["results"]
    assert result["node_id"] == "model" and result["task"] == "binary"
    model = user.get(f"/api/models/{result['model_id']}").json()
    assert model["target"] == "survived" and model["provenance"]["dataset_id"] == titanic["id"]
    as_queued = msgspec.convert({k: workflow[k] for k in ("nodes", "edges")}, Graph)
    assert model["provenance"]["workflow_hash"] == content_hash(as_queued)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"nodes": [{"id": "d", "type": "dataset", "params": {"dataset_id": "missing"}}], "edges": []},
        {"nodes": [{"id": 1}], "edges": []},
        {"workflow_id": 5},
    ],
)
def test_execute_invalid_input_is_422(user: User, body: dict[str, Any]) -> None:
    response = user.post("/api/workflows/execute", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["status_code"] == 422


def test_execute_invalid_saved_workflow_lists_the_issues(user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"])
    graph["nodes"][0]["params"]["target"] = "nope"
    workflow = user.post("/api/workflows", json={"name": "bad", **graph}).json()
    for response in (
        user.post(f"/api/workflows/{workflow['id']}/execute"),
        user.post("/api/workflows/execute", json={"workflow_id": workflow["id"]}),
    ):
        assert response.status_code == 422
        issues = response.json()["extra"]["issues"]
        assert any(i.get("node_id") == "data" for i in issues)
    assert user.get(f"/api/runs?workflow_id={workflow['id']}").json()["total"] == 0


def test_execute_unknown_workflow_is_404(user: User) -> None:
    assert user.post("/api/workflows/00000000-0000-0000-0000-000000000000/execute").status_code == 404
    response = user.post("/api/workflows/execute", json={"workflow_id": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "nul\x00"},
        {"name": "ok", "nodes": [{"id": "n", "type": "dataset", "params": {"k\x00": 1}}]},
        {"name": "ok", "description": "\x00"},
    ],
)
def test_nul_characters_are_invalid_input(user: User, body: dict[str, Any]) -> None:
    """PostgreSQL cannot store them; the answer is a 422, not a database error."""
    response = user.post("/api/workflows", json=body)
    assert response.status_code == 422
    assert response.json()["extra"]["issues"][0]["code"] == "nul_character"
