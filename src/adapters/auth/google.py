"""Google sign-in through Authlib: the authorization-code flow (PKCE, state, nonce) and ID-token checks.

Authlib's framework-neutral async mixins do the work (discovery, the authorization URL, the code
exchange, JWKS fetching with a re-fetch on an unknown key id, claim validation); its Starlette client
is not used because it keeps the flow's state in a Starlette session and answers with Starlette
responses. The HTTP layer keeps the state in its own signed cookie instead.

Both ways in are held to the same rules: signature from the provider's JWKS, issuer, audience equal
to our client id, expiry, and an email Google has verified — sign-in links a new identity to the user
who owns that email, so an unverified address must never get that far.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from authlib.integrations.base_client import BaseApp, OAuthError
from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin
from authlib.integrations.base_client.async_openid import AsyncOpenIDMixin
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.httpx_client._compat import httpx2
from authlib.oidc.core import CodeIDToken, IDToken
from joserfc.errors import JoseError

from automl_core.errors import Unauthorized, Unavailable
from automl_core.users import Identity

log = logging.getLogger(__name__)

SCOPES = "openid email profile"
PROVIDER = "google"
HTTP_TIMEOUT_S = 10.0
LEEWAY_S = 60
"""Clock skew tolerated on `exp`/`iat`; Authlib's own default (120 s) is more than Google needs."""


class AuthorizationRequest(msgspec.Struct, frozen=True):
    """Where to send the browser, and what the callback must be checked against."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class _OpenIDApp(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):  # type: ignore[misc]
    """Authlib's async OAuth 2 + OpenID client, bound to httpx (via Authlib's own httpx package)."""

    client_cls = AsyncOAuth2Client


class GoogleIdentityProvider:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        discovery_url: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        """`transport` lets tests put a fake OpenID provider behind the real Authlib code."""
        client_kwargs: dict[str, Any] = {"scope": SCOPES, "code_challenge_method": "S256", "timeout": HTTP_TIMEOUT_S}
        if transport is not None:
            client_kwargs["transport"] = transport
        self.client_id = client_id
        self._app = _OpenIDApp(
            framework=None,
            name=PROVIDER,
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=discovery_url,
            client_kwargs=client_kwargs,
        )

    async def authorization_request(self, redirect_uri: str) -> AuthorizationRequest:
        """A fresh state, nonce and PKCE verifier, and the URL carrying the state, nonce and challenge."""
        async with _talking_to_google():
            made = await self._app.create_authorization_url(redirect_uri)
        return AuthorizationRequest(
            url=made["url"], state=made["state"], nonce=made["nonce"], code_verifier=made["code_verifier"]
        )

    async def identity_from_code(self, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> Identity:
        """Exchange the callback's code (with the PKCE verifier) and verify the ID token that comes back."""
        async with _talking_to_google():
            token = await self._app.fetch_access_token(
                redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
            )
            if "id_token" not in token:
                raise Unauthorized("Google answered without an ID token")
            claims = await self._app.parse_id_token(
                token, nonce, claims_options=await self._claims_options(), claims_cls=CodeIDToken, leeway=LEEWAY_S
            )
        return _identity(claims)

    async def identity_from_id_token(self, id_token: str) -> Identity:
        """A Google Identity Services credential: no nonce of ours, otherwise the same checks."""
        async with _talking_to_google():
            claims = await self._app.parse_id_token(
                {"id_token": id_token},
                None,
                claims_options=await self._claims_options(),
                claims_cls=IDToken,
                leeway=LEEWAY_S,
            )
        return _identity(claims)

    async def _claims_options(self) -> dict[str, Any]:
        """Authlib checks `aud` only through `azp` unless told: require it to name this client.

        Google signs ID tokens with `iss` either as its discovery issuer or without the scheme.
        """
        issuer = str((await self._app.load_server_metadata())["issuer"])
        return {
            "iss": {"essential": True, "values": sorted({issuer, issuer.removeprefix("https://")})},
            "aud": {"essential": True, "value": self.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }


def _identity(claims: dict[str, Any]) -> Identity:
    email = claims.get("email")
    if not isinstance(email, str) or not email or claims.get("email_verified") not in (True, "true"):
        raise Unauthorized("Google did not vouch for an email address on this account")
    picture = claims.get("picture")
    return Identity(
        provider=PROVIDER,
        subject=str(claims["sub"]),
        email=email.strip().lower(),
        name=str(claims.get("name") or ""),
        picture=picture if isinstance(picture, str) and picture.startswith("https://") else None,
    )


@contextlib.asynccontextmanager
async def _talking_to_google() -> AsyncIterator[None]:
    """Turn what can go wrong while talking to Google into the two domain answers.

    A token that fails a check (signature, unknown key, claims) or a refused code is the caller's
    problem: 401. Google unreachable, or its metadata missing a field, is ours: 503.
    """
    try:
        yield
    except (JoseError, OAuthError, ValueError) as error:
        log.info("Google sign-in refused: %r", error)  # the reason stays in the log, not in the answer
        raise Unauthorized("the Google sign-in could not be verified") from None
    except (httpx2.HTTPError, KeyError) as error:
        raise Unavailable("Google sign-in is not reachable right now; try again") from error
