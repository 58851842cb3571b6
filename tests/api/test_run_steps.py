"""What a run tells while it runs: each step's state, progress and log by label, and "finish now".

Real engine behind the API (the session app's executor), and the real Gradio worker on loopback for
what only travels through the Space."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.executors.gradio_space import GradioSpaceExecutor
from adapters.memory import MemoryExecutor
from tests.api.conftest import Api, User, titanic_graph
from tests.api.test_runs import _events, _wait_for
from tests.spaces import running_space

QUICK_AUTOML = {"time_budget_s": 10, "ensemble": False, "families": ["logistic_regression"]}
STEADY_AUTOML = {"time_budget_s": 60, "ensemble": False, "families": ["logistic_regression"]}


def automl_graph(dataset_id: str, params: dict[str, Any]) -> dict[str, Any]:
    graph = titanic_graph(dataset_id, model="automl")
    for node in graph["nodes"]:
        if node["id"] == "model":
            node["params"] = params
    return graph


def _steps_seen(events: list[tuple[str, Any]]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for name, data in events:
        if name == "node":
            seen.setdefault(data["node_id"], []).append(data["state"])
    return seen


def test_each_step_goes_running_then_succeeded_live(user: User, titanic: dict[str, Any]) -> None:
    run = user.post("/api/workflows/execute", json=automl_graph(titanic["id"], QUICK_AUTOML)).json()
    assert run["nodes"] and all(n == {"state": "queued"} for n in run["nodes"].values()), run["nodes"]
    events = _events(user, run["id"])
    final = user.get(f"/api/runs/{run['id']}").json()
    assert final["status"] == "succeeded", final

    steps = ["data", "impute", "onehot", "split", "model", "eval", "plots"]
    assert sorted(final["nodes"]) == sorted(steps)
    for node_id, status in final["nodes"].items():
        assert status["state"] == "succeeded", (node_id, status)
        assert status["started_at"] <= status["finished_at"]
    assert final["nodes"]["model"]["message"].startswith("roc_auc ")
    # The 10 s search outlasts the stream's 0.5 s look at the store: the model is seen training.
    assert "running" in _steps_seen(events).get("model", []), events

    result = final["results"][0]
    assert result["primary_metric"] == "roc_auc" and "roc_auc" in result["metrics"]
    assert {"search_s", "refit_s", "evaluate_s"} <= set(result["timings"])
    assert not {"search_seconds", "refit_seconds"} & set(result["metrics"]), "timings are not metrics"
    model = user.get(f"/api/models/{result['model_id']}").json()
    assert model["primary_metric"] == "roc_auc"

    lines = final["log"]
    repeated = [line for line, n in Counter(lines).items() if n > 1]
    assert not repeated, f"each log line once: {repeated}"
    assert any(line.split("] ", 1)[-1].startswith("AutoML: ") for line in lines), lines
    assert not any("[model]" in line or " model:" in line for line in lines), "steps are named by label"
    logged = [data for name, data in events if name == "log" and "] AutoML: " in data["line"]]
    assert logged and all(d.get("node_id") == "model" for d in logged), logged
    messages = [data["message"] for name, data in events if name == "progress"]
    assert not any("automl" in m.split(":")[0] for m in messages), messages


def test_finish_now_keeps_the_best_model_so_far(user: User, other_user: User, titanic: dict[str, Any]) -> None:
    run = user.post("/api/workflows/execute", json=automl_graph(titanic["id"], STEADY_AUTOML)).json()
    deadline = time.monotonic() + 60
    while not any(line.startswith("[trial]") for line in user.get(f"/api/runs/{run['id']}").json().get("log", [])):
        assert time.monotonic() < deadline, "no trial finished"
        time.sleep(0.1)
    assert other_user.post(f"/api/runs/{run['id']}/finish").status_code == 404
    asked = time.monotonic()
    response = user.post(f"/api/runs/{run['id']}/finish")
    assert response.status_code == 200, response.text
    assert response.json()["finish_requested"] is True
    done = user.wait_for_run(run["id"], timeout_s=30)
    waited = time.monotonic() - asked
    assert done["status"] == "succeeded", done
    assert waited < 10, f"succeeded {waited:.1f} s after finish now"
    assert done["results"][0]["timings"]["search_s"] < STEADY_AUTOML["time_budget_s"] / 2
    again = user.post(f"/api/runs/{run['id']}/finish")
    assert again.status_code == 409 and "succeeded" in again.json()["detail"]


@pytest.fixture(scope="module")
def space_url() -> Iterator[str]:
    with running_space() as url:
        yield url


def test_through_the_space_the_stream_carries_progress_and_steps(
    api: Api, user: User, titanic: dict[str, Any], space_url: str
) -> None:
    space = GradioSpaceExecutor(space_url, read_timeout_s=30)
    try:
        with api.executor.using(space):
            run = user.post("/api/workflows/execute", json=automl_graph(titanic["id"], QUICK_AUTOML)).json()
            events = _events(user, run["id"])
    finally:
        api.client.blocking_portal.call(space.close)
    names = [name for name, _ in events]
    assert names[-1] == "done" and events[-1][1] == {"status": "succeeded"}, events
    progress = [data for name, data in events if name == "progress"]
    assert any(p["node_id"] == "model" for p in progress), names
    assert (
        _steps_seen(events).get("model", [])[-1:] == ["succeeded"]
        or user.get(f"/api/runs/{run['id']}").json()["nodes"]["model"]["state"] == "succeeded"
    )


def test_finish_now_of_a_queued_run_is_409(api: Api, user: User, titanic: dict[str, Any]) -> None:
    """One run per user at a time: the second waits in the queue, where there is nothing to finish."""
    with api.using(MemoryExecutor(stall=True)):
        first = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
        second = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
        _wait_for(user, first["id"], "running")
        refused = user.post(f"/api/runs/{second['id']}/finish")
        assert refused.status_code == 409 and "queued" in refused.json()["detail"], refused.text
        assert user.post(f"/api/runs/{first['id']}/finish").status_code == 200
        for run in (first, second):
            user.post(f"/api/runs/{run['id']}/cancel")
