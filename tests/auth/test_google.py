"""Google sign-in against a fake OpenID provider, through the real Authlib code.

The redirect flow: login → the provider's consent page → callback → session cookie → `/api/auth/me`;
then everything that must make the callback fail. The Google Identity Services credential: the same
checks on a token the browser hands over.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.httpx_client._compat import httpx2
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.auth import GoogleIdentityProvider
from tests.auth.conftest import FRONTEND_URL, Site, no_redirects
from tests.auth.fake_idp import CLIENT_ID, CLIENT_SECRET, DISCOVERY_URL, ISSUER, FakeOpenIDProvider

CALLBACK = "http://127.0.0.1/api/auth/google/callback"


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _login(site: Site, path: str = "/api/auth/google/login") -> httpx.Response:
    response = no_redirects(site.anonymous(), path)
    assert response.status_code == 302, response.text
    return response


def _consent(browser: TestClient[Any], authorize_url: str) -> str:
    """The provider's page sends the browser back to the callback with a code and the state."""
    response = browser.get(authorize_url, follow_redirects=False)
    assert response.status_code == 302, response.text
    return str(response.headers["location"])


def _sign_in(site: Site, browser: TestClient[Any], path: str = "/api/auth/google/login") -> httpx.Response:
    return no_redirects(site.client, _consent(browser, _login(site, path).headers["location"]))


def _refused(site: Site, response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["status_code"] == 401
    assert "automl_session" not in response.cookies
    assert site.client.get("/api/auth/me").status_code == 401


def test_the_test_transport_comes_from_the_package_authlib_uses() -> None:
    assert issubclass(AsyncOAuth2Client, httpx2.AsyncClient)
    if importlib.util.find_spec("httpx2") is not None:  # Authlib prefers it over httpx when installed
        assert httpx2.__name__ == "httpx2"


def test_login_redirects_to_the_provider_with_state_nonce_and_pkce(
    google_site: Site, fake_google: FakeOpenIDProvider
) -> None:
    response = _login(google_site)
    location = response.headers["location"]
    assert location.startswith(f"{ISSUER}/authorize?")
    params = _query(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["scope"] == "openid email profile"
    assert params["redirect_uri"] == CALLBACK
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20

    flow_cookie = response.headers["set-cookie"].lower()
    assert "automl_google_flow=" in flow_cookie
    for attribute in ("httponly", "samesite=lax", "path=/api/auth/google", "max-age=600"):
        assert attribute in flow_cookie

    again = _query(_login(google_site).headers["location"])
    assert {again["state"], again["nonce"], again["code_challenge"]}.isdisjoint(params.values())


def test_full_flow_signs_in_and_lands_on_the_frontend(
    google_site: Site, fake_google: FakeOpenIDProvider, browser_at_idp: TestClient[Any]
) -> None:
    response = _sign_in(google_site, browser_at_idp)
    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"{FRONTEND_URL}/"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("automl_session="))
    assert all(a in session.lower() for a in ("httponly", "samesite=lax", "max-age=604800", "path=/"))
    assert any(c.startswith("automl_google_flow=") and "max-age=0" in c.lower() for c in cookies)

    token_request = fake_google.token_requests[-1]
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["redirect_uri"] == CALLBACK
    assert token_request["code_verifier"]  # the fake refuses a verifier that does not match the challenge

    me = google_site.client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["name"] == "Ada Lovelace"
    assert me.json()["picture"] == "https://idp.test/ada.png"
    google_site.anonymous()


def test_same_subject_is_the_same_user_with_current_email(
    google_site: Site, fake_google: FakeOpenIDProvider, browser_at_idp: TestClient[Any]
) -> None:
    fake_google.claims = {"sub": "moving-sub", "email": "old@example.com"}
    _sign_in(google_site, browser_at_idp)
    first = google_site.client.get("/api/auth/me").json()
    fake_google.claims = {"sub": "moving-sub", "email": "New@Example.com"}
    _sign_in(google_site, browser_at_idp)
    second = google_site.client.get("/api/auth/me").json()
    assert second["id"] == first["id"]
    assert second["email"] == "new@example.com"
    google_site.anonymous()


@pytest.mark.parametrize(
    ("requested", "landing"),
    [
        ("/workflows/abc?tab=runs", "/workflows/abc?tab=runs"),
        ("//evil.test/phish", "/"),
        ("https://evil.test/", "/"),
        ("/\\evil.test", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_landing_path_stays_on_the_frontend(
    google_site: Site, fake_google: FakeOpenIDProvider, browser_at_idp: TestClient[Any], requested: str, landing: str
) -> None:
    response = _sign_in(google_site, browser_at_idp, f"/api/auth/google/login?{httpx.QueryParams(next=requested)}")
    assert response.headers["location"] == f"{FRONTEND_URL}{landing}"
    google_site.anonymous()


def _replace_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query=str(httpx.QueryParams(_query(url)).merge(changes))).geturl()


@pytest.mark.parametrize(
    "case",
    ["bad_state", "no_state", "no_flow_cookie", "tampered_flow_cookie", "provider_error", "no_code", "foreign_code"],
)
def test_callback_refuses_a_flow_it_did_not_start(
    google_site: Site, fake_google: FakeOpenIDProvider, browser_at_idp: TestClient[Any], case: str
) -> None:
    callback = _consent(browser_at_idp, _login(google_site).headers["location"])
    client = google_site.client
    base, state, code = callback.split("?")[0], _query(callback)["state"], _query(callback)["code"]
    if case == "bad_state":
        callback = _replace_query(callback, state="forged-state")
    elif case == "no_state":
        callback = f"{base}?code={code}"
    elif case == "no_flow_cookie":
        client.cookies.clear()
    elif case == "tampered_flow_cookie":
        value = client.cookies["automl_google_flow"]
        client.cookies.clear()
        client.cookies.set("automl_google_flow", value[:-3] + ("abc" if not value.endswith("abc") else "xyz"))
    elif case == "provider_error":
        callback = f"{base}?error=access_denied&state={state}"
    elif case == "no_code":
        callback = f"{base}?state={state}"
    elif case == "foreign_code":
        callback = _replace_query(callback, code="a-code-the-provider-never-issued")
    _refused(google_site, no_redirects(client, callback))
    google_site.anonymous()


@pytest.mark.parametrize(
    "case", ["mismatched_nonce", "wrong_audience", "wrong_issuer", "expired", "unknown_key", "unverified_email"]
)
def test_callback_refuses_an_id_token_that_fails_a_check(
    google_site: Site, fake_google: FakeOpenIDProvider, browser_at_idp: TestClient[Any], case: str
) -> None:
    now = int(time.time())
    if case == "unknown_key":
        fake_google.signing_key = fake_google.rogue_key
    else:
        fake_google.claims = {
            "mismatched_nonce": {"nonce": "a-nonce-from-another-flow"},
            "wrong_audience": {"aud": "another-client.apps.googleusercontent.com", "azp": None},
            "wrong_issuer": {"iss": "https://evil.test"},
            "expired": {"iat": now - 7200, "exp": now - 600},
            "unverified_email": {"email_verified": False},
        }[case]
    _refused(google_site, _sign_in(google_site, browser_at_idp))
    google_site.anonymous()


def test_a_replayed_id_token_is_refused(
    google_site: Site, fake_google: FakeOpenIDProvider, browser_at_idp: TestClient[Any]
) -> None:
    assert _sign_in(google_site, browser_at_idp).status_code == 302
    google_site.anonymous()
    fake_google.replay_id_token = fake_google.issued[-1]  # valid, signed, but bound to the first flow's nonce
    _refused(google_site, _sign_in(google_site, browser_at_idp))
    google_site.anonymous()


def test_a_replayed_callback_is_refused(
    google_site: Site, fake_google: FakeOpenIDProvider, browser_at_idp: TestClient[Any]
) -> None:
    callback = _consent(browser_at_idp, _login(google_site).headers["location"])
    flow_cookie = google_site.client.cookies["automl_google_flow"]
    assert no_redirects(google_site.client, callback).status_code == 302
    client = google_site.anonymous()
    client.cookies.set("automl_google_flow", flow_cookie)  # the same browser state, the same code, again
    _refused(google_site, no_redirects(client, callback))
    google_site.anonymous()


# --- Google Identity Services credential -----------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(header: dict[str, Any], claims: dict[str, Any], signature: bytes | None = None, key: bytes = b"") -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if signature is None:
        signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{_b64(signature)}"


def _claims(fake: FakeOpenIDProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 600, **fake.person, **changes}


def test_credential_signs_in(google_site: Site, fake_google: FakeOpenIDProvider) -> None:
    client = google_site.anonymous()
    response = client.post("/api/auth/google", json={"credential": fake_google.id_token(iss="idp.test")})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "ada@example.com"
    assert "httponly" in response.headers["set-cookie"].lower()
    assert client.get("/api/auth/me").json() == response.json()
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_credential_cookie_is_secure_off_loopback(google_site: Site, fake_google: FakeOpenIDProvider) -> None:
    response = google_site.anonymous().post(
        "http://automl.example.org/api/auth/google", json={"credential": fake_google.id_token()}
    )
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()
    google_site.anonymous()


@pytest.mark.parametrize(
    "case",
    ["wrong_audience", "audience_elsewhere_authorized_party_us", "wrong_issuer", "expired", "unknown_key",
     "unverified_email", "no_email", "tampered", "alg_none", "hs256_with_public_key", "garbage"],
)  # fmt: skip
def test_credential_that_fails_a_check_is_401(google_site: Site, fake_google: FakeOpenIDProvider, case: str) -> None:
    now = int(time.time())
    kid = fake_google.key.kid
    public_pem = fake_google.key.as_pem(private=False)
    if case == "unknown_key":
        fake_google.signing_key = fake_google.rogue_key
    credential = {
        "wrong_audience": lambda: fake_google.id_token(aud="another-client", azp=None),
        "audience_elsewhere_authorized_party_us": lambda: fake_google.id_token(aud="another-client"),
        "wrong_issuer": lambda: fake_google.id_token(iss="https://accounts.evil.test"),
        "expired": lambda: fake_google.id_token(iat=now - 7200, exp=now - 600),
        "unknown_key": lambda: fake_google.id_token(),
        "unverified_email": lambda: fake_google.id_token(email_verified=False),
        "no_email": lambda: fake_google.id_token(email=None),
        "tampered": lambda: _tamper(fake_google.id_token()),
        "alg_none": lambda: _forged({"alg": "none", "kid": kid}, _claims(fake_google)),
        "hs256_with_public_key": lambda: _forged({"alg": "HS256", "kid": kid}, _claims(fake_google), key=public_pem),
        "garbage": lambda: "not-a-token",
    }[case]()
    response = google_site.anonymous().post("/api/auth/google", json={"credential": credential})
    assert response.status_code == 401, response.text
    assert response.json()["status_code"] == 401
    assert "set-cookie" not in response.headers


def _tamper(token: str) -> str:
    """Change the payload (another subject) and keep the original signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{_b64(json.dumps({**claims, 'sub': 'someone-else'}).encode())}.{signature}"


def test_unreachable_provider_is_503(google_site: Site) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    offline = GoogleIdentityProvider(CLIENT_ID, CLIENT_SECRET, DISCOVERY_URL, transport=httpx2.MockTransport(refuse))
    with google_site.container.google.override(providers.Object(offline)):
        response = google_site.anonymous().post("/api/auth/google", json={"credential": "a.b.c"})
        login = no_redirects(google_site.anonymous(), "/api/auth/google/login")
    assert response.status_code == 503
    assert response.json()["status_code"] == 503
    assert login.status_code == 503
