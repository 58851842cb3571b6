"""The API's training flows on the production executor: `automl serve`'s default, a job process per
run (LocalProcessExecutor) and the warm-process predictor, instead of the engine in a thread."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.executors.local import LocalProcessExecutor
from entrypoints.http import create_app
from tests.api import test_flow
from tests.api.conftest import BASE_URL, WORKER_URL, FromAddress, User, build_container, titanic_graph
from tests.api.test_runs import _events

pytestmark = [
    pytest.mark.timeout(300),  # a first test also starts the job fork server (tens of seconds on a busy machine)
    pytest.mark.skipif(WORKER_URL is not None, reason="a job process runs the engine: it needs the worker extra"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    data_dir = tmp_path_factory.mktemp("local-process")
    unlimited = {"sign_in_per_minute": 1_000_000, "uploads_per_minute": 1_000_000}
    container = build_container(f"sqlite+aiosqlite:///{data_dir / 'automl.db'}", data_dir, None, **unlimited)
    assert isinstance(container.executor(), LocalProcessExecutor)
    with TestClient(FromAddress(create_app(container), "127.0.0.1"), base_url=BASE_URL) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def user(client: TestClient[Any]) -> User:
    response = client.post("/api/auth/local", json={"email": f"local-{uuid.uuid4().hex[:10]}@example.com"})
    assert response.status_code == 200, response.text
    token = response.cookies["automl_session"]
    client.cookies.clear()
    return User(client, token, response.json())


def test_upload_train_and_predict(user: User) -> None:
    test_flow.test_upload_train_and_predict(user, user.upload())


def test_live_events_follow_a_run_to_its_result(user: User) -> None:
    run = user.post("/api/workflows/execute", json=titanic_graph(user.upload()["id"])).json()
    events = _events(user, run["id"])
    names = [name for name, _ in events]
    assert names[0] == "status" and names[-1] == "done", names
    assert "result" in names, names
    assert events[-1][1] == {"status": "succeeded"}


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if int(parent) == pid and state not in ("Z", "X"):
            found.add(int(stat.parent.name))
    return found


def _jobs() -> set[int]:
    """Processes of the fork server this process started (jobs, warm predictors)."""
    return {job for child in _children(os.getpid()) for job in _children(child)}


def _until(check: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_cancel_kills_the_job_of_a_running_search(user: User) -> None:
    graph = titanic_graph(user.upload()["id"], model="automl")
    next(n for n in graph["nodes"] if n["id"] == "model")["params"] = {"time_budget_s": 600}
    others = _jobs()  # the warm predictor's process, say
    run = user.post("/api/workflows/execute", json=graph).json()

    def searching() -> bool:
        return any(line.startswith("[trial]") for line in user.get(f"/api/runs/{run['id']}").json().get("log", []))

    _until(searching, "the search never reported a trial", timeout_s=60)
    jobs = _jobs() - others
    assert jobs, "the run should train in a job process"
    cancelled = user.post(f"/api/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    _until(lambda: not (jobs & _jobs()), f"job processes {jobs & _jobs()} outlived the cancel", timeout_s=15)
    assert _events(user, run["id"])[-1] == ("done", {"status": "cancelled"})
