"""Session tokens that must not pass (beyond the API tests' garbage/expired/none/wrong-secret cases):
algorithm confusion, tokens of another kind, and a user who is gone."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest

from adapters.auth.jwt import ISSUER
from tests.auth.conftest import Site, cookie_headers
from tests.auth.fake_idp import FakeOpenIDProvider


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(header: dict[str, Any], claims: dict[str, Any], secret: str, digest: Any = hashlib.sha256) -> str:
    """A token whose header says what it likes, signed with the server's real secret."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(hmac.new(secret.encode(), signing_input.encode(), digest).digest())}"


@pytest.fixture
def signed_in(google_site: Site, fake_google: FakeOpenIDProvider) -> tuple[str, str]:
    response = google_site.anonymous().post("/api/auth/google", json={"credential": fake_google.id_token()})
    assert response.status_code == 200
    token = response.cookies["automl_session"]
    google_site.anonymous()
    return token, response.json()["id"]


def test_the_session_passes_as_cookie_and_as_bearer(google_site: Site, signed_in: tuple[str, str]) -> None:
    token, _ = signed_in
    client = google_site.anonymous()
    assert client.get("/api/auth/me", headers=cookie_headers(token)).status_code == 200
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(
    "kind", ["rs256_header_hs_signature", "hs512", "none_with_signature", "none_unsigned", "id_token", "unknown_user"]
)
def test_forged_sessions_are_401(
    google_site: Site, fake_google: FakeOpenIDProvider, signed_in: tuple[str, str], kind: str
) -> None:
    _, user_id = signed_in
    secret = google_site.container.tokens().secret
    now = int(time.time())
    claims = {"sub": user_id, "iss": ISSUER, "iat": now, "exp": now + 600}
    token = {
        "rs256_header_hs_signature": lambda: _signed({"alg": "RS256", "typ": "JWT"}, claims, secret),
        "hs512": lambda: _signed({"alg": "HS512", "typ": "JWT"}, claims, secret, hashlib.sha512),
        "none_with_signature": lambda: _signed({"alg": "none", "typ": "JWT"}, claims, secret),
        "none_unsigned": lambda: _signed({"alg": "none"}, claims, secret).rsplit(".", 1)[0] + ".",
        "id_token": lambda: fake_google.id_token(sub=user_id),  # validly signed, by someone else, for something else
        "unknown_user": lambda: jwt.encode({**claims, "sub": str(uuid.uuid4())}, secret, algorithm="HS256"),
    }[kind]()
    client = google_site.anonymous()
    for headers in (cookie_headers(token), {"Authorization": f"Bearer {token}"}):
        response = client.get("/api/auth/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["status_code"] == 401


def test_logout_clears_the_cookie(google_site: Site, signed_in: tuple[str, str]) -> None:
    token, _ = signed_in
    response = google_site.anonymous().post("/api/auth/logout", headers=cookie_headers(token))
    assert response.status_code == 204
    cleared = response.headers["set-cookie"].lower()
    assert cleared.startswith("automl_session=")
    assert "max-age=0" in cleared or "expires=thu, 01 jan 1970" in cleared


def test_logout_ends_the_session_on_the_server(google_site: Site, fake_google: FakeOpenIDProvider) -> None:
    client = google_site.anonymous()
    first = client.post("/api/auth/google", json={"credential": fake_google.id_token()}).cookies["automl_session"]
    client = google_site.anonymous()
    second = client.post("/api/auth/google", json={"credential": fake_google.id_token()}).cookies["automl_session"]
    client = google_site.anonymous()
    assert client.get("/api/auth/me", headers=cookie_headers(first)).status_code == 200
    assert client.post("/api/auth/logout", headers=cookie_headers(first)).status_code == 204
    for token in (first, second):  # a replayed cookie or bearer token no longer works, nor the other device's
        for headers in (cookie_headers(token), {"Authorization": f"Bearer {token}"}):
            response = client.get("/api/auth/me", headers=headers)
            assert response.status_code == 401, response.text
    again = client.post("/api/auth/google", json={"credential": fake_google.id_token()}).cookies["automl_session"]
    assert google_site.anonymous().get("/api/auth/me", headers=cookie_headers(again)).status_code == 200


@pytest.mark.parametrize(("iat_days", "exp_days"), [(-8, 365), (-7.1, 1), (1, 30)])
def test_a_token_lives_seven_days_from_its_iat_whatever_its_exp_says(
    google_site: Site, signed_in: tuple[str, str], iat_days: float, exp_days: float
) -> None:
    _, user_id = signed_in
    secret = google_site.container.tokens().secret
    now = time.time()
    claims = {"sub": user_id, "ver": 0, "iss": ISSUER, "iat": int(now + iat_days * 86400),
              "exp": int(now + exp_days * 86400)}  # fmt: skip
    token = jwt.encode(claims, secret, algorithm="HS256")
    response = google_site.anonymous().get("/api/auth/me", headers=cookie_headers(token))
    assert response.status_code == 401, response.text
