"""Apps for the sign-in and access-control tests, built with the API tests' helpers.

- `google_site`: Google sign-in on, its OpenID provider the fake one (through the httpx transport of
  the package Authlib imports), the frontend hosted apart (CORS, post-sign-in redirect).
- `limited_site`: local sign-in with tiny per-minute limits, to reach 429.
- `isolated`: per database (SQLite, PostgreSQL), two users and everything user A owns. It gets its own
  PostgreSQL database rather than the API tests' one, so no other app's run supervisor shares its
  runs table; its run trains a real model (the engine in-process), so the model B is refused is one
  that predicts for A.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from authlib.integrations.httpx_client._compat import httpx2
from dependency_injector import providers
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from adapters.auth import GoogleIdentityProvider
from adapters.memory import MemoryExecutor
from entrypoints.container import Container
from entrypoints.http import create_app
from tests.api.conftest import BASE_URL, FromAddress, User, build_container, real_engine, titanic_graph
from tests.auth.fake_idp import CLIENT_ID, CLIENT_SECRET, DISCOVERY_URL, ISSUER, FakeOpenIDProvider
from tests.conftest import DEFAULT_POSTGRES_URL, _admin

FRONTEND_URL = "http://frontend.test:3000"
UNLIMITED = {"sign_in_per_minute": 1_000_000, "uploads_per_minute": 1_000_000, "predictions_per_minute": 1_000_000}


class Site:
    """One running app behind a test client, with the container it was built from."""

    def __init__(self, client: TestClient[Any], container: Container, peer: FromAddress) -> None:
        self.client = client
        self.container = container
        self.peer = peer

    def anonymous(self) -> TestClient[Any]:
        self.client.cookies.clear()
        return self.client

    def local_user(self, email: str | None = None) -> User:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        response = self.anonymous().post("/api/auth/local", json={"email": email})
        assert response.status_code == 200, response.text
        token = response.cookies["automl_session"]
        self.client.cookies.clear()
        return User(self.client, token, response.json())


@contextlib.contextmanager
def _site(container: Container) -> Iterator[Site]:
    peer = FromAddress(create_app(container), "127.0.0.1")
    with TestClient(peer, base_url=BASE_URL) as client:  # type: ignore[arg-type]
        yield Site(client, container, peer)


def _sqlite(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[str, Path]:
    data_dir = tmp_path_factory.mktemp(name)
    return f"sqlite+aiosqlite:///{data_dir / 'automl.db'}", data_dir


@pytest.fixture(scope="session")
def idp() -> FakeOpenIDProvider:
    return FakeOpenIDProvider()


@pytest.fixture
def fake_google(idp: FakeOpenIDProvider) -> Iterator[FakeOpenIDProvider]:
    """The fake provider, its knobs back to honest after the test."""
    idp.reset()
    yield idp
    idp.reset()


@pytest.fixture(scope="session")
def browser_at_idp(idp: FakeOpenIDProvider) -> Iterator[TestClient[Any]]:
    """The browser's visits to the provider's consent page."""
    with TestClient(idp.app, base_url=ISSUER) as client:
        yield client


@pytest.fixture(scope="session")
def google_site(idp: FakeOpenIDProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url, data_dir = _sqlite(tmp_path_factory, "google-site")
    google = {"auth": "google", "google_client_id": CLIENT_ID, "google_client_secret": CLIENT_SECRET,
              "google_discovery_url": DISCOVERY_URL, "frontend_url": FRONTEND_URL}  # fmt: skip
    container = build_container(url, data_dir, MemoryExecutor(), **google, **UNLIMITED)
    transport = httpx2.ASGITransport(app=idp.app)
    provider = GoogleIdentityProvider(CLIENT_ID, CLIENT_SECRET, DISCOVERY_URL, transport=transport)
    container.google.override(providers.Object(provider))
    with _site(container) as site:
        yield site


@pytest.fixture(scope="session")
def limited_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url, data_dir = _sqlite(tmp_path_factory, "limited-site")
    container = build_container(
        url, data_dir, MemoryExecutor(), sign_in_per_minute=3, uploads_per_minute=2, predictions_per_minute=2
    )
    with _site(container) as site:
        yield site


@pytest.fixture(scope="session")
def own_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the isolation app alone (the server as in tests/conftest.py)."""
    server = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL))
    name = f"automl_auth_{uuid.uuid4().hex[:12]}"
    admin = server.render_as_string(hide_password=False)
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)'))


class Owned(msgspec.Struct):
    """User A with one of everything, user B with nothing, and how A's things looked at the start."""

    site: Site
    owner: User
    intruder: User
    dataset: dict[str, Any]
    workflow: dict[str, Any]
    run: dict[str, Any]
    model: dict[str, Any]
    artifact: bytes


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def isolated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Owned]:
    if request.param == "sqlite":
        url, data_dir = _sqlite(tmp_path_factory, "isolation")
    else:
        url, data_dir = request.getfixturevalue("own_postgres_url"), tmp_path_factory.mktemp("isolation-pg")
    with _site(build_container(url, data_dir, real_engine(), **UNLIMITED)) as site:
        owner, intruder = site.local_user(), site.local_user()
        dataset = owner.upload()
        workflow = owner.post("/api/workflows", json={"name": "A's", **titanic_graph(dataset["id"])}).json()
        run = owner.wait_for_run(owner.post(f"/api/workflows/{workflow['id']}/execute").json()["id"])
        assert run["status"] == "succeeded", run
        model = owner.get(f"/api/models/{run['results'][0]['model_id']}").json()
        artifact = owner.get(f"/api/models/{model['id']}/download").content
        yield Owned(site, owner, intruder, dataset, workflow, run, model, artifact)


def cookie_headers(token: str, **headers: str) -> dict[str, str]:
    """A browser's request: the session rides in the cookie, not in an Authorization header."""
    return {"Cookie": f"automl_session={token}", **headers}


def no_redirects(client: TestClient[Any], url: str, **kwargs: Any) -> httpx.Response:
    return client.get(url, follow_redirects=False, **kwargs)
