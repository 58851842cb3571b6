"""Cross-origin protection: a page elsewhere cannot ride the session cookie (CSRF), and only the
frontend's origin gets CORS answers."""

from __future__ import annotations

import pytest

from tests.auth.conftest import FRONTEND_URL, Site, cookie_headers
from tests.auth.fake_idp import FakeOpenIDProvider

EVIL = "https://evil.test"
WORKFLOW = {"name": "csrf", "nodes": [], "edges": []}


@pytest.fixture
def token(google_site: Site, fake_google: FakeOpenIDProvider) -> str:
    response = google_site.anonymous().post("/api/auth/google", json={"credential": fake_google.id_token()})
    assert response.status_code == 200
    google_site.anonymous()
    return str(response.cookies["automl_session"])


def _count(site: Site, token: str) -> int:
    return int(site.client.get("/api/workflows", headers=cookie_headers(token)).json()["total"])


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Referer": f"{EVIL}/page"},
        {"Origin": "http://127.0.0.1:8080"},  # same host, another port: another origin
        {"Origin": "https://frontend.test:3000"},  # the frontend's host over another scheme
        {"Origin": EVIL, "Referer": f"{FRONTEND_URL}/"},  # Origin decides when present
    ],
)
def test_cross_origin_writes_with_the_cookie_are_refused(
    google_site: Site, token: str, headers: dict[str, str]
) -> None:
    client = google_site.anonymous()
    before = _count(google_site, token)
    response = client.post("/api/workflows", json=WORKFLOW, headers=cookie_headers(token, **headers))
    assert response.status_code == 403
    assert response.json()["status_code"] == 403
    assert _count(google_site, token) == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_cross_origin_update_and_delete_are_refused(google_site: Site, token: str, method: str) -> None:
    client = google_site.anonymous()
    created = client.post("/api/workflows", json=WORKFLOW, headers=cookie_headers(token, Origin=FRONTEND_URL)).json()
    url = f"/api/workflows/{created['id']}"
    body = {**WORKFLOW, "name": "hijacked"} if method == "PUT" else None
    response = client.request(method, url, json=body, headers=cookie_headers(token, Origin=EVIL))
    assert response.status_code == 403
    assert client.get(url, headers=cookie_headers(token)).json()["name"] == "csrf"


def test_cross_origin_logout_is_refused(google_site: Site, token: str) -> None:
    response = google_site.anonymous().post("/api/auth/logout", headers=cookie_headers(token, Origin=EVIL))
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_cross_origin_sign_in_is_refused_even_without_a_cookie(
    google_site: Site, fake_google: FakeOpenIDProvider
) -> None:
    """Otherwise a foreign page could sign the visitor into the attacker's account (login CSRF)."""
    response = google_site.anonymous().post(
        "/api/auth/google", json={"credential": fake_google.id_token()}, headers={"Origin": EVIL}
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": FRONTEND_URL},
        {"Origin": "http://127.0.0.1"},  # the API's own origin (the UI it serves)
        {"Referer": f"{FRONTEND_URL}/workflows"},
        {},  # no page named: not a browser riding a cookie (curl, scripts)
    ],
)
def test_same_site_writes_with_the_cookie_pass(google_site: Site, token: str, headers: dict[str, str]) -> None:
    response = google_site.anonymous().post("/api/workflows", json=WORKFLOW, headers=cookie_headers(token, **headers))
    assert response.status_code == 201, response.text


def test_bearer_requests_without_a_cookie_are_exempt(google_site: Site, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Origin": EVIL}
    assert google_site.anonymous().post("/api/workflows", json=WORKFLOW, headers=headers).status_code == 201


def test_reads_are_not_refused(google_site: Site, token: str) -> None:
    response = google_site.anonymous().get("/api/workflows", headers=cookie_headers(token, Origin=EVIL))
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers  # and the foreign page cannot read it


def _preflight(site: Site, origin: str) -> dict[str, str]:
    response = site.anonymous().options(
        "/api/workflows",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    return {k.lower(): v for k, v in response.headers.items()} | {"status": str(response.status_code)}


def test_cors_preflight_from_the_frontend_is_allowed_with_credentials(google_site: Site) -> None:
    answer = _preflight(google_site, FRONTEND_URL)
    assert answer["status"] in {"200", "204"}
    assert answer["access-control-allow-origin"] == FRONTEND_URL
    assert answer["access-control-allow-credentials"] == "true"
    assert "POST" in answer["access-control-allow-methods"]


@pytest.mark.parametrize("origin", [EVIL, "null", "http://frontend.test:3001"])
def test_cors_preflight_from_elsewhere_is_not_allowed(google_site: Site, origin: str) -> None:
    answer = _preflight(google_site, origin)
    assert answer.get("access-control-allow-origin") not in {origin, "*"}
    assert "access-control-allow-credentials" not in answer or answer.get("access-control-allow-origin") is None


def test_cors_simple_request_from_the_frontend_is_readable(google_site: Site, token: str) -> None:
    response = google_site.anonymous().get("/api/auth/me", headers=cookie_headers(token, Origin=FRONTEND_URL))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND_URL
    assert response.headers["access-control-allow-credentials"] == "true"
