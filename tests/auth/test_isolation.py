"""Per-user isolation, on SQLite and PostgreSQL: user B tries every endpoint on user A's things.

Each attempt answers 404 — the same as for an id that never existed, so B cannot even learn that A's
id is real — B's lists never show A's things, and afterwards everything of A is exactly as before.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import titanic_graph
from tests.auth.conftest import Owned

ROWS_CSV = ("rows.csv", b"pclass,sex\n3,male\n", "text/csv")
ROW = {"pclass": 3, "sex": "male", "age": 22.0, "fare": 7.25, "embarked": "S"}
FULL_ROW = {
    **ROW, "sibsp": 1, "parch": 0, "class": "Third", "who": "man", "adult_male": True, "deck": None,
    "embark_town": "Southampton", "alone": False,
}  # fmt: skip


def _attempts(a: Owned) -> list[tuple[str, str, dict[str, Any]]]:
    dataset, workflow, run, model = a.dataset["id"], a.workflow["id"], a.run["id"], a.model["id"]
    replacement = {"name": "B was here", **titanic_graph(dataset), "version": a.workflow.get("version")}
    return [
        ("GET", f"/api/datasets/{dataset}", {}),
        ("GET", f"/api/datasets/{dataset}/preview", {}),
        ("GET", f"/api/datasets/{dataset}/profile", {}),
        ("DELETE", f"/api/datasets/{dataset}", {}),
        ("GET", f"/api/workflows/{workflow}", {}),
        ("PUT", f"/api/workflows/{workflow}", {"json": replacement}),
        ("DELETE", f"/api/workflows/{workflow}", {}),
        ("POST", f"/api/workflows/{workflow}/execute", {}),
        ("POST", "/api/workflows/execute", {"json": {"workflow_id": workflow}}),
        ("GET", f"/api/runs/{run}", {}),
        ("GET", f"/api/runs/{run}/events", {}),
        ("POST", f"/api/runs/{run}/cancel", {}),
        ("GET", f"/api/models/{model}", {}),
        ("GET", f"/api/models/{model}/download", {}),
        ("POST", f"/api/models/{model}/predict", {"json": {"rows": [ROW]}}),
        ("POST", f"/api/models/{model}/predict", {"files": {"file": ROWS_CSV}}),
        ("DELETE", f"/api/models/{model}", {}),
    ]  # fmt: skip


def _snapshot(a: Owned) -> dict[str, Any]:
    """Everything A can see of what A owns."""
    owner = a.owner
    return {
        "dataset": owner.get(f"/api/datasets/{a.dataset['id']}").json(),
        "preview": owner.get(f"/api/datasets/{a.dataset['id']}/preview").json(),
        "workflow": owner.get(f"/api/workflows/{a.workflow['id']}").json(),
        "run": owner.get(f"/api/runs/{a.run['id']}").json(),
        "model": owner.get(f"/api/models/{a.model['id']}").json(),
        "artifact": owner.get(f"/api/models/{a.model['id']}/download").content,
        "lists": [owner.get(f"/api/{kind}").json() for kind in ("datasets", "workflows", "runs", "models")],
    }


def test_every_endpoint_answers_404_on_someone_elses_things(isolated: Owned) -> None:
    before = _snapshot(isolated)
    assert before["artifact"] == isolated.artifact
    answers = {}
    for method, url, kwargs in _attempts(isolated):
        response: httpx.Response = isolated.intruder.request(method, url, **kwargs)
        answers[f"{method} {url.replace(isolated.dataset['id'], '{A}')}"] = response.status_code
        if response.status_code == 404:
            assert response.json()["status_code"] == 404
    assert answers == dict.fromkeys(answers, 404)
    assert _snapshot(isolated) == before


def test_someone_elses_id_looks_exactly_like_a_missing_one(isolated: Owned) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    for kind, ident in (("datasets", isolated.dataset["id"]), ("workflows", isolated.workflow["id"]),
                        ("runs", isolated.run["id"]), ("models", isolated.model["id"])):  # fmt: skip
        theirs = isolated.intruder.get(f"/api/{kind}/{ident}").json()
        nobodys = isolated.intruder.get(f"/api/{kind}/{missing}").json()
        assert theirs == {**nobodys, "detail": nobodys["detail"].replace(missing, ident)}


def test_a_graph_of_your_own_cannot_read_someone_elses_data(isolated: Owned) -> None:
    """An unsaved graph is validated, not looked up: A's dataset is "no such dataset" (422), word for word
    what a dataset that never existed gets."""
    theirs = isolated.intruder.post("/api/workflows/execute", json=titanic_graph(isolated.dataset["id"]))
    nobodys = isolated.intruder.post(
        "/api/workflows/execute", json=titanic_graph("00000000-0000-0000-0000-000000000000")
    )
    assert theirs.status_code == nobodys.status_code == 422
    assert theirs.json() == nobodys.json()
    assert theirs.json()["extra"]["issues"][0]["code"] == "unknown_dataset"
    assert isolated.intruder.get("/api/runs").json()["total"] == 0


@pytest.mark.parametrize("kind", ["datasets", "workflows", "runs", "models"])
def test_lists_show_only_your_own(isolated: Owned, kind: str) -> None:
    assert isolated.owner.get(f"/api/{kind}").json()["total"] >= 1
    page = isolated.intruder.get(f"/api/{kind}").json()
    assert page == {"items": [], "total": 0}


def test_runs_filtered_by_someone_elses_workflow_are_empty(isolated: Owned) -> None:
    page = isolated.intruder.get(f"/api/runs?workflow_id={isolated.workflow['id']}").json()
    assert page == {"items": [], "total": 0}


def test_the_owner_still_can(isolated: Owned) -> None:
    """The 404s above are about ownership: the same requests from A are answered, with A's things."""
    owner = isolated.owner
    cancel = owner.post(f"/api/runs/{isolated.run['id']}/cancel")
    assert cancel.status_code == 409 and "succeeded" in cancel.json()["detail"]  # finished: A gets the truth
    profile = owner.get(f"/api/datasets/{isolated.dataset['id']}/profile").json()
    assert {c["name"] for c in profile["columns"]} >= {"survived", "sex", "age"}
    predicted = owner.post(f"/api/models/{isolated.model['id']}/predict", json={"rows": [FULL_ROW]}).json()
    assert len(predicted["predictions"]) == 1 and predicted["predictions"][0] in predicted["classes"]
    with owner.client.stream(
        "GET", f"/api/runs/{isolated.run['id']}/events", headers={"Authorization": f"Bearer {owner.token}"}
    ) as events:
        assert events.status_code == 200
        lines = list(events.iter_lines())
    assert "event: done" in lines and 'data: {"status":"succeeded"}' in lines, lines
