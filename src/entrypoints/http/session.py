"""The cookies of signing in.

The session: a JWT, httpOnly, 7 days, SameSite=Lax, Secure unless the site is loopback. Scripts may
send the same token as `Authorization: Bearer …` instead of the cookie.

The Google flow's state (state, nonce, PKCE verifier, where to land afterwards) rides in a second,
signed and short-lived cookie between the redirect to Google and the callback, so the server keeps no
per-visitor memory and any process can finish a flow another one started. It is scoped to the Google
routes and SameSite=Lax, which a top-level redirect back from Google still carries.
"""

from __future__ import annotations

from typing import Any

import msgspec
from itsdangerous import BadData, URLSafeTimedSerializer
from litestar import Request, Response
from litestar.datastructures import Cookie

from adapters.auth.jwt import SESSION_LIFETIME
from automl_core.errors import Unauthorized
from entrypoints.settings import is_loopback

COOKIE = "automl_session"
FLOW_COOKIE = "automl_google_flow"
FLOW_PATH = "/api/auth/google"
FLOW_LIFETIME_S = 600
"""Time a person has to pick their Google account and come back."""


class FlowState(msgspec.Struct, frozen=True):
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next: str


def session_token(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE) or None


def _cookie(request: Request[Any, Any, Any], key: str, value: str, max_age: int, path: str) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=not is_loopback(request.url.hostname),
    )


def set_session(response: Response[Any], request: Request[Any, Any, Any], token: str) -> None:
    response.set_cookie(_cookie(request, COOKIE, token, int(SESSION_LIFETIME.total_seconds()), "/"))


def clear_session(response: Response[Any]) -> None:
    response.delete_cookie(COOKIE, path="/")


def set_flow_state(
    response: Response[Any], request: Request[Any, Any, Any], signer: URLSafeTimedSerializer, flow: FlowState
) -> None:
    value = signer.dumps(msgspec.to_builtins(flow))
    response.set_cookie(_cookie(request, FLOW_COOKIE, str(value), FLOW_LIFETIME_S, FLOW_PATH))


def flow_state(request: Request[Any, Any, Any], signer: URLSafeTimedSerializer) -> FlowState:
    """The flow this browser started here within the last few minutes; 401 for anything else."""
    raw = request.cookies.get(FLOW_COOKIE)
    if not raw:
        raise Unauthorized("no Google sign-in was started from this browser (or it took too long); start again")
    try:
        return msgspec.convert(signer.loads(raw, max_age=FLOW_LIFETIME_S), FlowState)
    except (BadData, msgspec.ValidationError):
        raise Unauthorized("the Google sign-in state is not valid; start again") from None


def clear_flow_state(response: Response[Any]) -> None:
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
