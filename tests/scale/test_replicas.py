"""Two real `automl serve` replicas on one PostgreSQL database share the run queue: 20 runs, one replica
SIGKILLed while it trains, and every run still ends exactly once (its lost runs are taken back by the
other replica once their lease lapses, and retried) - never stuck running, never trained twice."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.executors.contract import table
from tests.conftest import DEFAULT_POSTGRES_URL, _admin
from tests.executors.fake_space import free_port
from tests.serving import AUTOML, ROOT, serve

RUNS = 20
LEASE_S = 3
SECRET = "replicas-test-" + "x" * 32

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def database_url() -> Iterator[str]:
    """A database of its own, created and dropped here: the replicas migrate and share it."""
    server = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL))
    admin = server.render_as_string(hide_password=False)
    name = f"automl_replicas_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)'))


def query(url: str, sql: str) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(text(sql))).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def environment(database_url: str, data_dir: Path, port: int, replica: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "AUTOML_DATA_DIR": str(data_dir),
        "AUTOML_PORT": str(port),
        "AUTOML_HOST": "127.0.0.1",
        "AUTOML_EXECUTOR": "local",
        "AUTOML_AUTH": "local",
        "AUTOML_BLOBS": "db",  # replicas share the database, not a disk
        "JWT_SECRET": SECRET,  # a session cookie from one replica is good on the other
        "AUTOML_REPLICA_ID": replica,
        "AUTOML_LEASE_S": str(LEASE_S),
        "AUTOML_MAX_RUNS": "2",
        "AUTOML_RUNS_PER_USER": "2",
    }


def workflow(dataset_id: str) -> dict[str, Any]:
    return {
        "name": "replicas",
        "nodes": [
            {"id": "data", "type": "dataset", "params": {"dataset_id": dataset_id, "target": "label"}},
            {"id": "split", "type": "split", "params": {}},
            {"id": "model", "type": "model.logistic_regression", "params": {}},
            {"id": "eval", "type": "evaluate", "params": {}},
        ],
        "edges": [
            {"id": "e1", "source": "data", "target": "split"},
            {"id": "e2", "source": "split", "target": "model"},
            {"id": "e3", "source": "model", "target": "eval"},
        ],
    }


def test_two_replicas_share_the_queue_and_survive_one_being_killed(database_url: str, tmp_path: Path) -> None:
    migrate = subprocess.run(
        [str(AUTOML), "migrate"],
        cwd=ROOT,
        env=environment(database_url, tmp_path / "migrate", 1, "migrate"),
        capture_output=True,
        timeout=60,
    )
    assert migrate.returncode == 0, migrate.stderr.decode()[-2000:]
    ports = {"replica-a": free_port(), "replica-b": free_port()}
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                serve(environment(database_url, tmp_path / name, port, name), tmp_path / f"{name}.log")
            )
            for name, port in ports.items()
        }
        clients = {
            name: stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30))
            for name, port in ports.items()
        }
        signed = clients["replica-a"].post("/api/auth/local", json={"email": "scale@example.com", "name": "Scale"})
        assert signed.status_code == 200, signed.text
        for client in clients.values():
            client.cookies = signed.cookies
        csv = io.BytesIO()
        table().write_csv(csv)
        uploaded = clients["replica-a"].post("/api/datasets", files={"file": ("t.csv", csv.getvalue(), "text/csv")})
        assert uploaded.status_code == 201, uploaded.text
        run_ids = []
        for i in range(RUNS):
            executed = list(clients.values())[i % 2].post(
                "/api/workflows/execute", json=workflow(uploaded.json()["id"])
            )
            assert executed.status_code == 202, executed.text
            run_ids.append(executed.json()["id"])

        # Kill replica b while it is training a run (its lease still held), once some runs are done.
        deadline = time.monotonic() + 60
        while True:
            held = query(
                database_url,
                "SELECT count(*) FILTER (WHERE status = 'running' AND lease_owner = 'replica-b'), "
                "count(*) FILTER (WHERE status = 'succeeded') FROM runs",
            )[0]
            if held[0] > 0 and held[1] >= 2:
                break
            assert time.monotonic() < deadline, f"replica b never trained a run: {held}"
            time.sleep(0.05)
        servers["replica-b"].send_signal(signal.SIGKILL)
        servers["replica-b"].wait()

        survivor = clients["replica-a"]
        deadline = time.monotonic() + 75
        while True:
            runs = [survivor.get(f"/api/runs/{rid}").json() for rid in run_ids]
            if all(r["status"] in ("succeeded", "failed") for r in runs):
                break
            pending = {r["id"]: r["status"] for r in runs if r["status"] not in ("succeeded", "failed")}
            assert time.monotonic() < deadline, f"runs never ended: {pending}"
            time.sleep(0.5)
        time.sleep(LEASE_S + 1)  # long enough for a stray second finish to show
        again = [survivor.get(f"/api/runs/{rid}").json() for rid in run_ids]

    assert [(r["status"], r["finished_at"]) for r in again] == [(r["status"], r["finished_at"]) for r in runs]
    for run in runs:
        if run["status"] == "failed":
            assert run["error"]["message"], run
    models = dict(query(database_url, "SELECT run_id::text, count(*) FROM models GROUP BY run_id"))
    assert max(models.values()) == 1, f"a run trained twice: {models}"
    for run in runs:
        if run["status"] == "succeeded":
            [result] = run["results"]
            assert models.get(run["id"]) == 1 and result["model_id"]
    attempts = dict(query(database_url, "SELECT id::text, attempts FROM runs"))
    assert max(attempts.values()) == 2, f"the killed replica's run should have been retried once: {attempts}"
    owners = query(database_url, "SELECT count(*) FROM runs WHERE lease_owner IS NOT NULL")[0][0]
    assert owners == 0, "a finished run still holds a lease"
