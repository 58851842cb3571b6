"""The app's lifecycle: start-up migrates and recovers runs a previous process left running."""

from __future__ import annotations

import stat
import time
from pathlib import Path

from litestar.testing import TestClient

from adapters.memory import MemoryExecutor
from automl_core.ports import Executor
from entrypoints.http import create_app
from tests.api.conftest import BASE_URL, FromAddress, User, build_container, real_engine, titanic_graph


def _client(url: str, data_dir: Path, executor: Executor) -> TestClient[FromAddress]:
    app = create_app(build_container(url, data_dir, executor))
    return TestClient(FromAddress(app, "127.0.0.1"), base_url=BASE_URL)  # type: ignore[arg-type]


def test_a_run_cut_off_by_a_restart_is_retried_by_the_next_process(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    with _client(url, tmp_path, MemoryExecutor(stall=True)) as first:
        token = first.post("/api/auth/local", json={"email": "r@example.com"}).cookies["automl_session"]
        user = User(first, token, {})
        dataset = user.upload()
        run = user.post("/api/workflows/execute", json=titanic_graph(dataset["id"])).json()
        deadline = time.monotonic() + 10
        while user.get(f"/api/runs/{run['id']}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
    # The first process hands the run back as it stops; the next one runs it again (its second attempt).
    with _client(url, tmp_path, real_engine()) as second:
        deadline = time.monotonic() + 60  # trains for real, and the model file is checked in a fresh process
        while (after := User(second, token, {}).get(f"/api/runs/{run['id']}").json())["status"] != "succeeded":
            assert time.monotonic() < deadline, after
            time.sleep(0.02)
    assert any("retrying (attempt 2 of 2)" in line for line in after["log"]), after["log"]


def test_cors_allows_only_the_frontend(tmp_path: Path) -> None:
    container = build_container(
        f"sqlite+aiosqlite:///{tmp_path / 'cors.db'}", tmp_path, MemoryExecutor(), frontend_url="https://ui.example.org"
    )
    with TestClient(create_app(container), base_url=BASE_URL) as client:
        allowed = client.options(
            "/api/auth/me",
            headers={"Origin": "https://ui.example.org", "Access-Control-Request-Method": "GET"},
        )
        assert allowed.headers["access-control-allow-origin"] == "https://ui.example.org"
        assert allowed.headers["access-control-allow-credentials"] == "true"
        foreign = client.get("/api/health", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in foreign.headers


def test_blobs_in_the_database(tmp_path: Path) -> None:
    """AUTOML_BLOBS=db: datasets and models live in the database, for hosts without a lasting disk."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'blobs.db'}"
    container = build_container(url, tmp_path, real_engine(), blobs="db")
    with TestClient(FromAddress(create_app(container), "127.0.0.1"), base_url=BASE_URL) as client:  # type: ignore[arg-type]
        token = client.post("/api/auth/local", json={"email": "b@example.com"}).cookies["automl_session"]
        user = User(client, token, {})
        dataset = user.upload()
        assert user.get(f"/api/datasets/{dataset['id']}/preview?limit=1").json()["total_rows"] == 891
        run = user.wait_for_run(user.post("/api/workflows/execute", json=titanic_graph(dataset["id"])).json()["id"])
        assert run["status"] == "succeeded", run
        assert user.get(f"/api/models/{run['results'][0]['model_id']}/download").content[:2] == b"PK"
    assert not (tmp_path / "blobs").exists()


def test_the_data_dir_and_database_are_the_server_accounts_only(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "var"
    container = build_container(f"sqlite+aiosqlite:///{data / 'automl.db'}", data, MemoryExecutor())
    with TestClient(create_app(container), base_url=BASE_URL) as client:
        assert client.get("/api/health").status_code in (200, 503)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "automl.db").stat().st_mode) == 0o600
