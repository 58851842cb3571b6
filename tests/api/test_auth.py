"""Local sign-in, the session cookie, and what counts as signed in."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from adapters.auth.jwt import ISSUER
from tests.api.conftest import Api, User


def test_config_offers_local_sign_in_by_default(api: Api) -> None:
    response = api.anonymous().get("/api/auth/config")
    assert response.status_code == 200
    assert response.json() == {"local": True, "google": False, "google_client_id": None}


def test_config_with_google(api: Api) -> None:
    with api.settings(auth="google", google_client_id="client-123.apps.googleusercontent.com"):
        body = api.anonymous().get("/api/auth/config").json()
    assert body == {"local": False, "google": True, "google_client_id": "client-123.apps.googleusercontent.com"}


def test_local_sign_in_sets_a_session_cookie(api: Api) -> None:
    client = api.anonymous()
    response = client.post("/api/auth/local", json={"email": "Ada@Example.com", "name": "Ada"})
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"
    assert response.json()["name"] == "Ada"
    cookie = response.headers["set-cookie"].lower()
    assert "automl_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=604800" in cookie
    assert "secure" not in cookie  # loopback site: a browser would drop a Secure cookie over http

    me = client.get("/api/auth/me")  # the cookie jar carries the session
    assert me.status_code == 200
    assert me.json() == response.json()
    client.cookies.clear()


def test_signing_in_again_is_the_same_user(api: Api) -> None:
    first = api.sign_in("same@example.com")
    second = api.sign_in("SAME@example.com")
    assert first.info["id"] == second.info["id"]


def test_local_sign_in_refuses_other_host_names(api: Api) -> None:
    """A rebound DNS name (or a proxy) reaching the loopback server must not get a local session."""
    response = api.anonymous().post("http://automl.example.org/api/auth/local", json={"email": "s@example.com"})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_local_sign_in_refuses_other_machines(api: Api) -> None:
    with api.peer.elsewhere():
        response = api.anonymous().post("/api/auth/local", json={"email": "mallory@example.com"})
    assert response.status_code == 403
    assert response.json()["status_code"] == 403
    assert "set-cookie" not in response.headers


def test_local_sign_in_is_off_in_google_mode(api: Api) -> None:
    with api.settings(auth="google", google_client_id="client"):
        response = api.anonymous().post("/api/auth/local", json={"email": "x@example.com"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "not-an-email"}, {"email": 5}, {"email": "a@b.c", "name": 3}, {"email": "a\x00@b.c"}],
)
def test_local_sign_in_rejects_bad_bodies(api: Api, body: object) -> None:
    response = api.anonymous().post("/api/auth/local", json=body)
    assert response.status_code == 422
    assert response.json()["status_code"] == 422


def test_me_needs_a_session(api: Api) -> None:
    response = api.anonymous().get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"status_code": 401, "detail": "sign in first"}


def _forged(api: Api, **claims: object) -> str:
    secret = api.container.tokens().secret
    now = int(time.time())
    return jwt.encode({"iss": ISSUER, "iat": now, "exp": now + 60, **claims}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "kind", ["garbage", "tampered", "expired", "unknown_user", "alg_none", "wrong_secret", "wrong_issuer"]
)
def test_bad_tokens_are_401(api: Api, user: User, kind: str) -> None:
    now = int(time.time())
    token = {
        "garbage": "not.a.jwt",
        "tampered": user.token[:-4] + ("AAAA" if not user.token.endswith("AAAA") else "BBBB"),
        "expired": _forged(api, sub=user.info["id"], exp=now - 10),
        "unknown_user": _forged(api, sub=str(uuid.uuid4())),
        "alg_none": jwt.encode({"sub": user.info["id"], "iss": ISSUER, "iat": now, "exp": now + 60}, None, "none"),
        "wrong_secret": jwt.encode(
            {"sub": user.info["id"], "iss": ISSUER, "iat": now, "exp": now + 60}, "x" * 40, algorithm="HS256"
        ),
        "wrong_issuer": _forged(api, sub=user.info["id"], iss="someone-else"),
    }[kind]
    client = api.anonymous()
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    client.cookies.set("automl_session", token)
    assert client.get("/api/auth/me").status_code == 401
    client.cookies.clear()


def test_logout_clears_the_cookie(api: Api) -> None:
    client = api.anonymous()
    client.post("/api/auth/local", json={"email": "bye@example.com"})
    assert client.get("/api/auth/me").status_code == 200
    response = client.post("/api/auth/logout")
    assert response.status_code == 204
    assert "automl_session=" in response.headers["set-cookie"]
    assert client.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/auth/google/login", None),
        ("GET", "/api/auth/google/callback", None),
        ("POST", "/api/auth/google", {"credential": "token"}),
    ],
)
def test_google_sign_in_is_not_found_when_not_configured(api: Api, method: str, path: str, body: object) -> None:
    response = api.anonymous().request(method, path, json=body)
    assert response.status_code == 404
    assert response.json()["status_code"] == 404
