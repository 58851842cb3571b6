"""The database goes away under a running API (a proxy on loopback cuts every connection to the
PostgreSQL server, the server itself is never touched): health says so, requests fail cleanly with 503,
and once the database is back everything works again, runs included."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from entrypoints.http import create_app
from tests.api.conftest import (
    BASE_URL,
    Api,
    FromAddress,
    SwitchableExecutor,
    build_container,
    real_engine,
    titanic_graph,
)
from tests.conftest import DEFAULT_POSTGRES_URL, _admin
from tests.tcp_proxy import CuttableProxy, proxy_to

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, CuttableProxy]]:
    server = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL))
    admin = server.render_as_string(hide_password=False)
    name = f"automl_outage_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        with proxy_to(server.host or "127.0.0.1", server.port or 5432) as proxy:
            url = server.set(database=name, host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            executor = SwitchableExecutor(real_engine())
            unlimited = {"sign_in_per_minute": 1_000_000, "uploads_per_minute": 1_000_000}
            container = build_container(url, tmp_path_factory.mktemp("outage"), executor, **unlimited)
            peer = FromAddress(create_app(container), "127.0.0.1")
            with TestClient(peer, base_url=BASE_URL) as client:  # type: ignore[arg-type]
                yield Api(client, container, executor, peer), proxy
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)'))


def _until_healthy(api: Api, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (response := api.anonymous().get("/api/health")).status_code != 200:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)
    return dict(response.json())


def test_health_and_requests_say_503_while_the_database_is_down_and_recover(
    outage: tuple[Api, CuttableProxy], tmp_path: Path
) -> None:
    api, proxy = outage
    user = api.sign_in()
    dataset = user.upload()
    before = user.get("/api/datasets").json()
    assert [d["id"] for d in before["items"]] == [dataset["id"]]

    proxy.cut()
    try:
        health = api.anonymous().get("/api/health")
        assert health.status_code == 503
        assert health.json() == {"status": "degraded", "database": "unreachable", "executor": "ok"}
        for method, url, kwargs in (
            ("GET", "/api/datasets", {}),
            ("GET", f"/api/datasets/{dataset['id']}", {}),
            ("POST", "/api/workflows", {"json": {"name": "during the outage"}}),
            ("POST", "/api/workflows/execute", {"json": titanic_graph(dataset["id"])}),
        ):
            response = user.request(method, url, **kwargs)
            assert response.status_code == 503, (method, url, response.status_code, response.text)
            assert response.json() == {"status_code": 503, "detail": "the database is unavailable; try again shortly"}
    finally:
        proxy.restore()

    assert _until_healthy(api) == {"status": "ok", "database": "ok", "executor": "ok"}
    assert user.get("/api/datasets").json() == before
    assert user.get("/api/workflows").json()["total"] == 0, "nothing half-written during the outage"
    run = user.post("/api/workflows/execute", json=titanic_graph(dataset["id"]))
    assert run.status_code == 202, run.text
    finished = user.wait_for_run(run.json()["id"])
    assert finished["status"] == "succeeded", finished
