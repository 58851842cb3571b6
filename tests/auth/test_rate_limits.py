"""Rate limits: sign-in attempts per address, uploads per user, 429 in the API's error shape.

The limited site allows 3 sign-in attempts and 2 uploads a minute; each test comes from its own
address (all loopback, so local sign-in answers) to have a budget of its own.
"""

from __future__ import annotations

import inspect
import uuid

import httpx
import pytest

from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.datasets import DatasetController
from entrypoints.http.limits import SIGN_IN, UPLOAD, rate_limits
from entrypoints.settings import Settings
from tests.api.conftest import TITANIC, User
from tests.auth.conftest import Site

CSV = b"a,b\n1,2\n3,4\n"


def _too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["status_code"] == 429
    assert response.headers["ratelimit-limit"]
    assert int(response.headers["ratelimit-reset"]) > 0


def _sign_in(site: Site, email: str) -> int:
    return int(site.anonymous().post("/api/auth/local", json={"email": email}).status_code)


def test_sign_in_attempts_are_limited_per_address(limited_site: Site) -> None:
    with limited_site.peer.elsewhere("127.0.0.21"):
        assert [_sign_in(limited_site, f"a{i}@example.com") for i in range(3)] == [200, 200, 200]
        _too_many(limited_site.anonymous().post("/api/auth/local", json={"email": "a3@example.com"}))
    with limited_site.peer.elsewhere("127.0.0.22"):
        assert _sign_in(limited_site, "b@example.com") == 200
    limited_site.anonymous()


def test_refused_attempts_count_too(limited_site: Site) -> None:
    with limited_site.peer.elsewhere("203.0.113.50"):
        assert [_sign_in(limited_site, "m@example.com") for _ in range(3)] == [403, 403, 403]
        _too_many(limited_site.anonymous().post("/api/auth/local", json={"email": "m@example.com"}))


def test_uploads_are_limited_per_user(limited_site: Site) -> None:
    with limited_site.peer.elsewhere("127.0.0.23"):
        alice, bob = limited_site.local_user(), limited_site.local_user()

    def upload(user: User) -> httpx.Response:
        return user.post("/api/datasets", files={"file": (TITANIC.name, CSV, "text/csv")})

    assert [upload(alice).status_code for _ in range(2)] == [201, 201]
    _too_many(upload(alice))
    assert upload(bob).status_code == 201
    assert alice.get("/api/datasets").json()["total"] == 2


@pytest.mark.parametrize("handler", ["local", "google_credential", "google_login", "google_callback"])
def test_every_sign_in_route_is_limited(handler: str) -> None:
    assert getattr(AuthController, handler).opt.items() >= SIGN_IN.items()


def test_upload_route_is_limited() -> None:
    assert DatasetController.upload.opt.items() >= UPLOAD.items()


def test_predictions_are_limited_per_user_apart_from_uploads(limited_site: Site) -> None:
    with limited_site.peer.elsewhere("127.0.0.24"):
        alice, bob = limited_site.local_user(), limited_site.local_user()

    def predict(user: User) -> httpx.Response:
        return user.post(f"/api/models/{uuid.uuid4()}/predict", json={"rows": [{"a": 1}]})

    assert [predict(alice).status_code for _ in range(2)] == [404, 404]
    _too_many(predict(alice))
    assert predict(bob).status_code == 404
    assert alice.post("/api/datasets", files={"file": (TITANIC.name, CSV, "text/csv")}).status_code == 201


def test_limit_checks_stay_on_the_event_loop() -> None:
    """Litestar runs a synchronous throttle check in its thread pool: a hop on every request, per limit."""
    checks = [m.kwargs["config"].check_throttle_handler for m in rate_limits(Settings())]
    assert checks and all(inspect.iscoroutinefunction(check) for check in checks)
