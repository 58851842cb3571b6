"""Runs: listing, status, cancel, failure, and the live event stream."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from adapters.memory import MemoryExecutor
from tests.api.conftest import Api, Trained, User, titanic_graph


def _events(user: User, run_id: str) -> list[tuple[str, Any]]:
    """Every (event, data) of the stream until the server ends it."""
    found = []
    with user.client.stream(
        "GET", f"/api/runs/{run_id}/events", headers={"Authorization": f"Bearer {user.token}"}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                found.append((event, msgspec.json.decode(line.removeprefix("data:").strip())))
    return found


def _wait_for(user: User, run_id: str, status: str, timeout_s: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (run := user.get(f"/api/runs/{run_id}").json())["status"] != status:
        assert time.monotonic() < deadline, run
        time.sleep(0.02)
    return run


def test_list_and_get(trained: Trained, other_user: User) -> None:
    owner, run = trained.owner, trained.run
    page = owner.get(f"/api/runs?workflow_id={trained.workflow['id']}").json()
    assert page["total"] == 1
    assert page["items"][0]["id"] == run["id"]
    assert owner.get("/api/runs?workflow_id=00000000-0000-0000-0000-000000000000").json()["total"] == 0
    got = owner.get(f"/api/runs/{run['id']}").json()
    assert got["status"] == "succeeded"
    assert set(got) >= {"id", "workflow_id", "status", "progress", "created_at", "started_at", "finished_at",
                        "results"}  # fmt: skip
    assert got["started_at"] <= got["finished_at"]
    result = got["results"][0]
    assert set(result) >= {"node_id", "model_id", "algorithm", "task", "metrics", "plots"}
    assert "confusion_matrix" in result["plots"] or "roc_curve" in result["plots"]
    assert other_user.get(f"/api/runs/{run['id']}").status_code == 404
    assert other_user.get("/api/runs").json()["total"] == 0


def test_unknown_run_is_404(user: User) -> None:
    for path in ("", "/events"):
        assert user.get(f"/api/runs/00000000-0000-0000-0000-000000000000{path}").status_code == 404
    assert user.post("/api/runs/00000000-0000-0000-0000-000000000000/cancel").status_code == 404


def test_runs_need_a_session(api: Api, trained: Trained) -> None:
    client = api.anonymous()
    assert client.get("/api/runs").status_code == 401
    assert client.get(f"/api/runs/{trained.run['id']}/events").status_code == 401


def test_late_subscriber_gets_the_state_then_results_then_done(trained: Trained) -> None:
    events = _events(trained.owner, trained.run["id"])
    names = [name for name, _ in events]
    assert names[0] == "status"
    assert events[0][1]["status"] == "succeeded"
    assert names.count("result") == len(trained.run["results"])
    assert names[-1] == "done"
    assert events[-1][1] == {"status": "succeeded"}


def test_live_subscriber_follows_the_run(user: User, titanic: dict[str, Any]) -> None:
    run = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
    events = _events(user, run["id"])
    names = [name for name, _ in events]
    assert names[0] == "status"
    assert "result" in names
    assert names[-1] == "done"
    assert events[-1][1]["status"] == "succeeded"
    statuses = [data["status"] for name, data in events if name == "status"]
    assert statuses[-1] == "succeeded"


def test_cancel_a_running_run(api: Api, user: User, titanic: dict[str, Any]) -> None:
    with api.using(MemoryExecutor(stall=True)):
        run = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
        _wait_for(user, run["id"], "running")
        response = user.post(f"/api/runs/{run['id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["finished_at"] is not None
    events = _events(user, run["id"])
    assert events[0][1]["status"] == "cancelled"
    assert events[-1] == ("done", {"status": "cancelled"})
    again = user.post(f"/api/runs/{run['id']}/cancel")
    assert again.status_code == 409
    assert again.json() == {"status_code": 409, "detail": "the run has already ended (cancelled)"}


def test_cancel_a_queued_run(api: Api, user: User, other_user: User, titanic: dict[str, Any]) -> None:
    """One run per user at a time: the second waits in the queue, and can be cancelled there."""
    with api.using(MemoryExecutor(stall=True)):
        first = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
        _wait_for(user, first["id"], "running")
        second = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
        # A newer run of someone else's starting proves the supervisor went past the second one.
        theirs = other_user.post("/api/workflows/execute", json=titanic_graph(other_user.upload()["id"])).json()
        _wait_for(other_user, theirs["id"], "running")
        assert user.get(f"/api/runs/{second['id']}").json()["status"] == "queued"
        cancelled = user.post(f"/api/runs/{second['id']}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["started_at"] is None
        user.post(f"/api/runs/{first['id']}/cancel")
        other_user.post(f"/api/runs/{theirs['id']}/cancel")


def test_cancel_a_finished_run_is_409(trained: Trained) -> None:
    response = trained.owner.post(f"/api/runs/{trained.run['id']}/cancel")
    assert response.status_code == 409


def test_cancel_someone_elses_run_is_404(trained: Trained, other_user: User) -> None:
    assert other_user.post(f"/api/runs/{trained.run['id']}/cancel").status_code == 404
    assert other_user.get(f"/api/runs/{trained.run['id']}/events").status_code == 404
    assert trained.owner.get(f"/api/runs/{trained.run['id']}").json()["status"] == "succeeded"


def test_a_failed_run_names_the_node(api: Api, user: User, titanic: dict[str, Any]) -> None:
    with api.using(MemoryExecutor(fail_with="the model could not fit", fail_node="model")):
        run = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
        failed = user.wait_for_run(run["id"])
    assert failed["status"] == "failed"
    assert failed["error"] == {"node_id": "model", "message": "the model could not fit"}
    assert failed["results"] == []
    events = _events(user, run["id"])
    assert events[-1] == ("done", {"status": "failed", "error": failed["error"]})


def test_bad_paging_is_422(user: User) -> None:
    assert user.get("/api/runs?limit=0").status_code == 422
    assert user.get("/api/runs?offset=-5").status_code == 422
