"""Restart safety with the real API: SIGKILL `automl serve` mid-run and start it again: the run is
retried once (the restarted process takes back at once what its previous life held), and a second
kill fails it ("interrupted") instead of leaving it `running` forever; the job process does not
outlive the API that started it."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import polars as pl
import pytest

from tests.serving import Served, serve

DATASETS = Path(os.environ.get("AUTOML_DATASETS", Path(__file__).resolve().parents[3] / "shared" / "datasets"))

pytestmark = pytest.mark.timeout(150)


@contextmanager
def api(data_dir: Path, log: Path) -> Iterator[Served]:
    """The API on `data_dir`; each start gets its own port, the data is what carries over."""
    env = {**os.environ, "AUTOML_DATA_DIR": str(data_dir), "AUTOML_EXECUTOR": "local", "AUTOML_AUTH": "local"}
    with serve(env, log) as server:
        yield server


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found |= {child} | descendants(child)
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@contextmanager
def signed_in(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        response = client.post("/api/auth/local", json={"email": "restart@example.com", "name": "Restart"})
        assert response.status_code == 200, response.text
        yield client


def start_run(client: httpx.Client, model: dict[str, object]) -> str:
    """Upload 200 penguins and run dataset -> split -> `model` -> evaluate -> visualize."""
    csv = io.BytesIO()
    pl.read_csv(DATASETS / "penguins.csv", null_values=["NA", ""]).sample(200, seed=0).write_csv(csv)
    uploaded = client.post("/api/datasets", files={"file": ("penguins.csv", csv.getvalue(), "text/csv")})
    assert uploaded.status_code == 201, uploaded.text
    graph = {
        "name": "penguins",
        "nodes": [
            {"id": "data", "type": "dataset", "params": {"dataset_id": uploaded.json()["id"], "target": "species"}},
            {"id": "split", "type": "split", "params": {}},
            {"id": "search", **model},
            {"id": "eval", "type": "evaluate", "params": {}},
            {"id": "viz", "type": "visualize", "params": {}},
        ],
        "edges": [
            {"id": "e1", "source": "data", "target": "split"},
            {"id": "e2", "source": "split", "target": "search"},
            {"id": "e3", "source": "search", "target": "eval"},
            {"id": "e4", "source": "eval", "target": "viz"},
        ],
    }
    executed = client.post("/api/workflows/execute", json=graph)
    assert executed.status_code == 202, executed.text
    return str(executed.json()["id"])


def wait_for(client: httpx.Client, run_id: str, done: set[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in done:
            return dict(run)
        assert time.monotonic() < deadline, f"run still {run['status']} after {timeout} s: {run}"
        time.sleep(0.3)


def kill_mid_run(server: subprocess.Popen[bytes]) -> None:
    """SIGKILL the API once its job process runs, and check the job dies with it."""
    deadline = time.monotonic() + 30
    while not (jobs := descendants(server.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert jobs, "the local executor should run the job in a child process"
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 15
    while any(running(pid) for pid in jobs) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(pid) for pid in jobs), "the job outlived the killed API"


def test_a_run_of_a_killed_api_is_retried_once_then_failed_never_left_running(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"

    with api(tmp_path / "data", log) as server, signed_in(server.url) as client:
        run_id = start_run(client, {"type": "automl", "params": {"time_budget_s": 120}})
        wait_for(client, run_id, {"running"}, timeout=30)
        kill_mid_run(server.process)

    with api(tmp_path / "data", log) as server, signed_in(server.url) as client:
        retried = wait_for(client, run_id, {"running", "failed", "succeeded", "cancelled"}, timeout=30)
        assert retried["status"] == "running", retried
        assert any("retrying (attempt 2 of 2)" in line for line in retried["log"]), retried["log"]
        kill_mid_run(server.process)

    with api(tmp_path / "data", log) as server, signed_in(server.url) as client:
        run = wait_for(client, run_id, {"failed", "succeeded", "cancelled"}, timeout=30)
    assert run["status"] == "failed", run
    assert run["error"]["message"] == "interrupted: the API process running it stopped"


def test_a_run_through_the_api_trains_in_a_job_process(tmp_path: Path) -> None:
    """The deployed path end to end: `automl serve` with the local executor trains and keeps the model."""
    with api(tmp_path / "data", tmp_path / "serve.log") as server, signed_in(server.url) as client:
        run_id = start_run(client, {"type": "model.logistic_regression", "params": {}})
        run = wait_for(client, run_id, {"failed", "succeeded", "cancelled"}, timeout=60)
        assert run["status"] == "succeeded", run.get("error")
        [result] = run["results"]
        assert result["task"] == "multiclass" and result["metrics"]["accuracy"] > 0.8
        model = client.get(f"/api/models/{result['model_id']}/download")
        assert model.status_code == 200 and model.content[:2] == b"PK"
