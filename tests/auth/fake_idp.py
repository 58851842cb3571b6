"""A fake OpenID provider standing in for Google: discovery, authorize, token and JWKS, as an ASGI app.

The API reaches it through an httpx transport of the package Authlib actually uses (`httpx2` when
installed), so the real Authlib code fetches the discovery document, exchanges the code with the PKCE
verifier and checks the ID token against the JWKS. The browser's part (following the redirect to the
consent page) is played by a test client on the same app. Knobs change what the next ID token says.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect

ISSUER = "https://idp.test"
DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
CLIENT_ID = "client-123.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


class FakeOpenIDProvider:
    def __init__(self) -> None:
        self.key = rsa_key("idp-key-1")
        self.rogue_key = rsa_key("rogue-key")
        self.person: dict[str, Any] = {
            "sub": "google-sub-1",
            "email": "ada@example.com",
            "email_verified": True,
            "name": "Ada Lovelace",
            "picture": "https://idp.test/ada.png",
        }
        self.claims: dict[str, Any] = {}
        """Claims the next ID tokens carry instead of the right ones (a wrong `aud`, `iss`, `nonce`...)."""
        self.signing_key = self.key
        self.replay_id_token: str | None = None
        """An earlier ID token to answer with instead of a fresh one."""
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.issued: list[str] = []
        self._grants: dict[str, dict[str, str]] = {}
        self.app = self._build()

    def reset(self) -> None:
        self.claims = {}
        self.signing_key = self.key
        self.replay_id_token = None

    def id_token(self, nonce: str | None = None, **claims: Any) -> str:
        """An ID token as this provider signs them; keyword claims override (None drops a claim)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "iat": now,
            "exp": now + 3600,
            **self.person,
            **({"nonce": nonce} if nonce else {}),
            **self.claims,
            **claims,
        }
        body = {k: v for k, v in body.items() if v is not None}
        header = {"alg": "RS256", "kid": self.signing_key.kid}
        token = jwt.encode(header, body, self.signing_key, algorithms=["RS256"])
        self.issued.append(token)
        return token

    def _build(self) -> Litestar:
        provider = self

        @get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }

        @get("/jwks")
        async def jwks() -> dict[str, Any]:
            return {"keys": [provider.key.as_dict(private=False)]}

        @get("/authorize")
        async def authorize(request: Request[Any, Any, Any]) -> Redirect:
            """The consent page, already consented: back to the client with a one-time code."""
            params = dict(request.query_params)
            provider.authorize_requests.append(params)
            if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
                raise HTTPException(status_code=400, detail="bad authorization request")
            code = secrets.token_urlsafe(16)
            provider._grants[code] = params
            back = {"code": code, "state": params.get("state", "")}
            return Redirect(f"{params['redirect_uri']}?{urlencode(back)}", status_code=302)

        @post("/token", status_code=200)
        async def token(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
            form = dict(await request.form())
            provider.token_requests.append(form)
            grant = provider._grants.pop(form.get("code", ""), None)  # a code works once
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return _oauth_error("invalid_grant")
            if not _client_authenticated(request, form):
                return _oauth_error("invalid_client", 401)
            if _s256(form.get("code_verifier", "")) != grant.get("code_challenge"):
                return _oauth_error("invalid_grant")
            id_token = provider.replay_id_token or provider.id_token(nonce=grant.get("nonce"))
            body = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3600}
            return Response({**body, "id_token": id_token})

        return Litestar([discovery, jwks, authorize, token])


def _oauth_error(error: str, status_code: int = 400) -> Response[dict[str, Any]]:
    return Response({"error": error}, status_code=status_code)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _client_authenticated(request: Request[Any, Any, Any], form: dict[str, str]) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        return (client_id, secret) == (CLIENT_ID, CLIENT_SECRET)
    return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)
