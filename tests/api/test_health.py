"""Health: the database and the executor, each reachable or not."""

from __future__ import annotations

from adapters.memory import MemoryExecutor
from tests.api.conftest import Api


def test_healthy(api: Api) -> None:
    response = api.anonymous().get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "executor": "ok"}


def test_unreachable_executor_is_reported(api: Api) -> None:
    with api.using(MemoryExecutor(healthy=False)):
        response = api.anonymous().get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "executor": "unreachable"}
