"""The real app, wired by the real container to SQLite and to PostgreSQL, behind Litestar's test client.

One app per database for the session (start-up migrates, the supervisor runs in the app's loop); each
test signs in its own fresh user, so tests share the app without seeing each other's data. Runs train
for real: the executor is the in-memory one driving the worker engine in-process, or with
AUTOML_TEST_WORKER_URL set the real Gradio worker (the API-only run of tests/test_api_without_worker.py).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import TestClient
from litestar.types import Receive, Scope, Send

from adapters.executors.gradio_space import GradioSpaceExecutor
from adapters.memory import MemoryExecutor
from adapters.prediction.gradio_space import GradioSpacePredictor
from automl_core.execution import ExecutionEvent, ExecutionRequest
from automl_core.ports import Executor, JobHandle, StepPreviewer
from automl_core.previews import PreviewRequest, PreviewResult
from automl_core.services.supervisor import RunSupervisor
from entrypoints.container import Container
from entrypoints.http import create_app
from entrypoints.settings import Settings

DATASETS = (Path(__file__).parents[2] / "../shared/datasets").resolve()
TITANIC = DATASETS / "titanic.csv"
BASE_URL = "http://127.0.0.1"
TERMINAL = {"succeeded", "failed", "cancelled"}


class FromAddress:
    """Litestar's test client calls every peer `testclient`; the API cares whether it is loopback.

    `host` is the peer address requests appear to come from; `elsewhere()` moves it off the machine.
    """

    def __init__(self, app: Litestar, host: str) -> None:
        self.app = app
        self.host = host

    @contextlib.contextmanager
    def elsewhere(self, host: str = "203.0.113.7") -> Iterator[None]:
        previous, self.host = self.host, host
        try:
            yield
        finally:
            self.host = previous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "client": (self.host, 50000)}  # type: ignore[typeddict-item]
        await self.app(scope, receive, send)


WORKER_URL = os.environ.get("AUTOML_TEST_WORKER_URL")
"""Set (to a running Gradio worker) by tests/test_api_without_worker.py: the suite then runs in an API
installed without the worker extra, training and predicting on that worker, and imports no model library."""


def real_engine() -> Executor:
    """The real engine: driven in-process, or (API-only mode) on the Gradio worker at WORKER_URL."""
    if WORKER_URL:
        return GradioSpaceExecutor(WORKER_URL, wake_timeout_s=30, read_timeout_s=60)
    from automl_worker.engine import run
    from automl_worker.preview import outcome

    return MemoryExecutor(engine=run, previewer=outcome)


class SwitchableExecutor:
    """The session app's executor: the real engine, or for one test a failing or stalling stand-in.

    Jobs remember the executor that took them, so switching back never strands a running job.
    """

    def __init__(self, default: Executor) -> None:
        self.default = default
        self.current = default
        self.owners: dict[str, Executor] = {}

    @contextlib.contextmanager
    def using(self, executor: Executor) -> Iterator[Executor]:
        self.current = executor
        try:
            yield executor
        finally:
            self.current = self.default

    async def submit(self, request: ExecutionRequest, datasets: Mapping[str, Path]) -> JobHandle:
        handle = await self.current.submit(request, datasets)
        self.owners[handle.job_id] = self.current
        return handle

    def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        return self.owners[handle.job_id].events(handle)

    async def cancel(self, handle: JobHandle) -> None:
        await self.owners[handle.job_id].cancel(handle)

    async def finish(self, handle: JobHandle) -> None:
        await self.owners[handle.job_id].finish(handle)

    async def healthy(self) -> bool:
        return await self.current.healthy()

    async def preview(self, request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewResult:
        previewer = self.current if isinstance(self.current, StepPreviewer) else self.default
        assert isinstance(previewer, StepPreviewer)
        return await previewer.preview(request, datasets)


def build_container(url: str, data_dir: Path, executor: Executor | None, **settings: Any) -> Container:
    """The app's container on `executor`, or with `None` on the production one the settings pick (the
    local process executor and its predictor); its supervisor polls fast."""
    kind = "local" if executor is None else "memory"
    container = Container(settings=Settings(data_dir=data_dir, database_url=url, executor=kind, **settings))
    if executor is not None:
        container.executor.override(providers.Object(executor))
    if WORKER_URL and executor is not None:
        space = getattr(executor, "default", executor)
        if not isinstance(space, GradioSpaceExecutor):
            space = GradioSpaceExecutor(WORKER_URL, wake_timeout_s=30, read_timeout_s=60)
        container.predictor.override(providers.Singleton(GradioSpacePredictor, space, container.blobs))
    container.supervisor.override(
        providers.Singleton(
            RunSupervisor,
            container.uow.provider,
            container.blobs,
            container.executor,
            container.clock,
            poll_s=0.05,
            reuse=container.branch_reuse,
            verifier=container.artifact_verifier,
            wakeup=container.wakeup,
        )
    )
    return container


class Api:
    """The test client of one running app, the container it was built from, and its executor."""

    def __init__(
        self, client: TestClient[Any], container: Container, executor: SwitchableExecutor, peer: FromAddress
    ) -> None:
        self.client = client
        self.container = container
        self.executor = executor
        self.peer = peer

    @contextlib.contextmanager
    def using(self, executor: MemoryExecutor) -> Iterator[MemoryExecutor]:
        """Run a test's jobs on a stand-in executor (failing, stalling); its leftover jobs are cancelled
        at the end, as a stalled job would otherwise hold one of the supervisor's slots for good."""
        with self.executor.using(executor):
            yield executor
        for job_id in list(executor.jobs):
            self.client.blocking_portal.call(executor.cancel, JobHandle(job_id=job_id))

    @contextlib.contextmanager
    def settings(self, **changes: Any) -> Iterator[Settings]:
        """Run a test under changed settings (read per request), through a provider override."""
        changed = msgspec.structs.replace(self.container.settings(), **changes)
        with self.container.settings.override(providers.Object(changed)):
            yield changed

    def sign_in(self, email: str | None = None, name: str = "Tester") -> User:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        response = self.client.post("/api/auth/local", json={"email": email, "name": name})
        assert response.status_code == 200, response.text
        token = response.cookies["automl_session"]
        self.client.cookies.clear()
        return User(self.client, token, response.json())

    def anonymous(self) -> TestClient[Any]:
        self.client.cookies.clear()
        return self.client


class User:
    """A signed-in user: every request carries their session token."""

    def __init__(self, client: TestClient[Any], token: str, info: dict[str, Any]) -> None:
        self.client = client
        self.token = token
        self.info = info

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def upload(self, path: Path = TITANIC, name: str | None = None, content: bytes | None = None) -> dict[str, Any]:
        data = {"name": name} if name else None
        files = {"file": (path.name, content if content is not None else path.read_bytes(), "text/csv")}
        response = self.post("/api/datasets", files=files, data=data)
        assert response.status_code == 201, response.text
        return response.json()

    def wait_for_run(self, run_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            run = self.get(f"/api/runs/{run_id}").json()
            if run["status"] in TERMINAL or time.monotonic() > deadline:
                return run
            time.sleep(0.05)


def titanic_graph(dataset_id: str, model: str = "model.logistic_regression") -> dict[str, Any]:
    """dataset → impute → one-hot → split → model → evaluate → visualize, as the canvas saves it."""
    types = [
        ("data", "dataset", {"dataset_id": dataset_id, "target": "survived", "task": "binary"}),
        ("impute", "preprocess.impute", {}),
        ("onehot", "preprocess.one_hot", {}),
        ("split", "split", {"test_size": 0.25}),
        ("model", model, {}),
        ("eval", "evaluate", {}),
        ("plots", "visualize", {}),
    ]
    nodes = [
        {"id": ident, "type": kind, "params": params, "position": {"x": 200.0 * i, "y": 0.0}}
        for i, (ident, kind, params) in enumerate(types)
    ]
    edges = [
        {"id": f"e-{a['id']}-{b['id']}", "source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)
    ]
    return {"nodes": nodes, "edges": edges}


@pytest.fixture(scope="session")
def database_urls(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    def url(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('api-sqlite') / 'api.db'}"
        return str(request.getfixturevalue("postgres_url"))

    return url


@pytest.fixture(scope="session", params=["sqlite"] if WORKER_URL else ["sqlite", "postgres"])
def api(
    request: pytest.FixtureRequest, database_urls: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    executor = SwitchableExecutor(real_engine())
    # Every test signs in and uploads from 127.0.0.1: lift the per-minute limits (tests/auth checks them).
    unlimited = {"sign_in_per_minute": 1_000_000, "uploads_per_minute": 1_000_000}
    data_dir = tmp_path_factory.mktemp("api-data")
    container = build_container(database_urls(request.param), data_dir, executor, **unlimited)
    peer = FromAddress(create_app(container), "127.0.0.1")
    with TestClient(peer, base_url=BASE_URL) as client:  # type: ignore[arg-type]
        yield Api(client, container, executor, peer)


@pytest.fixture
def user(api: Api) -> User:
    return api.sign_in()


@pytest.fixture
def other_user(api: Api) -> User:
    return api.sign_in()


@pytest.fixture
def titanic(user: User) -> dict[str, Any]:
    return user.upload()


class Trained(msgspec.Struct):
    owner: User
    dataset: dict[str, Any]
    workflow: dict[str, Any]
    run: dict[str, Any]
    model: dict[str, Any]


@pytest.fixture(scope="session")
def trained(api: Api) -> Trained:
    """One real model per database, trained once and shared by the read-only model tests."""
    owner = api.sign_in()
    dataset = owner.upload()
    workflow = owner.post("/api/workflows", json={"name": "Titanic", **titanic_graph(dataset["id"])}).json()
    run = owner.wait_for_run(owner.post(f"/api/workflows/{workflow['id']}/execute").json()["id"])
    assert run["status"] == "succeeded", run
    model = owner.get(f"/api/models/{run['results'][0]['model_id']}").json()
    return Trained(owner=owner, dataset=dataset, workflow=workflow, run=run, model=model)
