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

from tests.conftest import DEFAULT_POSTGRES_URL, _admin
from tests.executors.contract import table
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


def environment(database_url: str, data_dir: Path, replica: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "AUTOML_DATA_DIR": str(data_dir),
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
        env=environment(database_url, tmp_path / "migrate", "migrate"),
        capture_output=True,
        timeout=60,
    )
    assert migrate.returncode == 0, migrate.stderr.decode()[-2000:]
    names = ("replica-a", "replica-b")
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(serve(environment(database_url, tmp_path / name, name), tmp_path / f"{name}.log"))
            for name in names
        }
        clients = {
            name: stack.enter_context(httpx.Client(base_url=server.url, timeout=30)) for name, server in servers.items()
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

        # Once some runs are done and replica b trains one, freeze b (it can finish nothing more), read
        # what it holds from a state that can no longer move under the query, then kill it.
        doomed = servers["replica-b"].process
        deadline = time.monotonic() + 60
        while True:
            held = query(
                database_url,
                "SELECT count(*) FILTER (WHERE status = 'running' AND lease_owner = 'replica-b'), "
                "count(*) FILTER (WHERE status = 'succeeded') FROM runs",
            )[0]
            if held[0] > 0 and held[1] >= 2:
                doomed.send_signal(signal.SIGSTOP)
                held_by_b = {
                    row[0]
                    for row in query(
                        database_url, "SELECT id::text FROM runs WHERE status = 'running' AND lease_owner = 'replica-b'"
                    )
                }
                if held_by_b:
                    break
                doomed.send_signal(signal.SIGCONT)  # it finished its run just before the freeze
            assert time.monotonic() < deadline, f"replica b never trained a run: {held}"
            time.sleep(0.05)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()

        # Done means every run ended and no lease is held any more: nobody can touch a run after that.
        survivor = clients["replica-a"]
        deadline = time.monotonic() + 75
        while True:
            runs = [survivor.get(f"/api/runs/{rid}").json() for rid in run_ids]
            leases = query(database_url, "SELECT count(*) FROM runs WHERE lease_owner IS NOT NULL")[0][0]
            if all(r["status"] in ("succeeded", "failed", "cancelled") for r in runs) and leases == 0:
                break
            pending = {r["id"]: r["status"] for r in runs if r["status"] not in ("succeeded", "failed")}
            assert time.monotonic() < deadline, f"runs never ended: {pending}, {leases} leases held"
            time.sleep(0.2)

    assert {r["id"]: r["status"] for r in runs} == dict.fromkeys(run_ids, "succeeded"), [r.get("error") for r in runs]
    models = dict(query(database_url, "SELECT run_id::text, count(*) FROM models GROUP BY run_id"))
    assert models == dict.fromkeys(run_ids, 1), f"every run keeps exactly one model: {models}"
    for run in runs:
        [result] = run["results"]
        assert result["model_id"], run
    attempts = dict(query(database_url, "SELECT id::text, attempts FROM runs"))
    retried = {rid for rid, n in attempts.items() if n == 2}
    assert retried == held_by_b and max(attempts.values()) == 2, f"held by b: {held_by_b}, attempts: {attempts}"
