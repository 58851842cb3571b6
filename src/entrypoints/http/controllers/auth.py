"""Sign-in and sessions. Local sign-in is for one person on their own machine: loopback only.

Google sign-in runs the authorization-code flow server-side (`/google/login` → Google →
`/google/callback`) or accepts a Google Identity Services credential (`POST /google`); where the
server offers no Google sign-in those routes answer 404. Every sign-in route counts against the
per-address sign-in rate limit (see `entrypoints.http.limits`).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_204_NO_CONTENT

from automl_core.errors import Forbidden, Unauthorized
from automl_core.users import Identity
from entrypoints.http.dependencies import Auth, CurrentUser, FlowSigner, Google, SettingsDep
from entrypoints.http.limits import SIGN_IN
from entrypoints.http.schemas import AuthConfig, GoogleSignIn, LocalSignIn, UserOut
from entrypoints.http.session import (
    FLOW_PATH,
    FlowState,
    clear_flow_state,
    clear_session,
    flow_state,
    session_token,
    set_flow_state,
    set_session,
)
from entrypoints.settings import Settings, is_loopback

QueryText = Annotated[str | None, QueryParameter(max_length=4096)]


def _landing_path(requested: str | None) -> str:
    """Where to land after sign-in: a path on the frontend, never another site (no open redirect)."""
    if not requested or not requested.startswith("/") or requested.startswith("//") or "\\" in requested:
        return "/"
    return "/" if any(ord(c) < 0x20 or ord(c) == 0x7F for c in requested) else requested


def _landing_url(settings: Settings, path: str) -> str:
    """The frontend's own origin when it is hosted apart; otherwise this server, which serves the UI."""
    return f"{settings.frontend_url or ''}{path}"


def _callback_url(request: Request[Any, Any, Any]) -> str:
    """This server's public callback URL (behind a proxy, uvicorn's proxy headers make it https); it must
    be registered with the Google client, and the code exchange repeats it."""
    return f"{str(request.base_url).rstrip('/')}{FLOW_PATH}/callback"


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @get("/config", summary="Which sign-in methods this server offers")
    async def config(self, settings: SettingsDep) -> AuthConfig:
        return AuthConfig(
            local=settings.local_sign_in,
            google=settings.google_sign_in,
            google_client_id=settings.google_client_id if settings.google_sign_in else None,
        )

    @post("/local", status_code=200, summary="Sign in locally (loopback only)", opt=SIGN_IN)
    async def local(
        self, request: Request[Any, Any, Any], data: JSONBody[LocalSignIn], settings: SettingsDep, auth: Auth
    ) -> Response[UserOut]:
        if not settings.local_sign_in:
            raise Forbidden("local sign-in is off on this server")
        if not is_loopback(request.client.host if request.client else None):
            raise Forbidden("local sign-in only answers requests from this machine")
        if not is_loopback(request.url.hostname):
            # A loopback client asking for another host name is a proxy or a DNS-rebinding page.
            raise Forbidden("local sign-in only answers requests addressed to this machine (127.0.0.1 or localhost)")
        email = data.email.strip().lower()
        identity = Identity(provider="local", subject=email, email=email, name=(data.name or "").strip())
        return await _signed_in(request, auth, identity)

    @post("/google", status_code=200, summary="Sign in with a Google ID token", opt=SIGN_IN)
    async def google_credential(
        self, request: Request[Any, Any, Any], data: JSONBody[GoogleSignIn], google: Google, auth: Auth
    ) -> Response[UserOut]:
        return await _signed_in(request, auth, await google.identity_from_id_token(data.credential))

    @get("/google/login", summary="Start the Google sign-in redirect flow", status_code=302, opt=SIGN_IN)
    async def google_login(
        self,
        request: Request[Any, Any, Any],
        google: Google,
        flow_signer: FlowSigner,
        next_path: Annotated[str | None, QueryParameter(name="next", max_length=4096)] = None,
    ) -> Redirect:
        redirect_uri = _callback_url(request)
        started = await google.authorization_request(redirect_uri)
        response = Redirect(started.url, status_code=302)
        flow = FlowState(
            state=started.state,
            nonce=started.nonce,
            code_verifier=started.code_verifier,
            redirect_uri=redirect_uri,
            next=_landing_path(next_path),
        )
        set_flow_state(response, request, flow_signer, flow)
        return response

    @get("/google/callback", summary="Google's redirect back after sign-in", status_code=302, opt=SIGN_IN)
    async def google_callback(
        self,
        request: Request[Any, Any, Any],
        settings: SettingsDep,
        google: Google,
        flow_signer: FlowSigner,
        auth: Auth,
        code: QueryText = None,
        returned_state: Annotated[str | None, QueryParameter(name="state", max_length=4096)] = None,
        error: QueryText = None,
    ) -> Redirect:
        flow = flow_state(request, flow_signer)
        if error:
            raise Unauthorized(f"Google sign-in did not complete ({error})")
        if not returned_state or not hmac.compare_digest(returned_state.encode(), flow.state.encode()):
            raise Unauthorized("the Google sign-in state does not match the one this browser started; start again")
        if not code:
            raise Unauthorized("Google sent no authorization code")
        identity = await google.identity_from_code(code, flow.redirect_uri, flow.code_verifier, flow.nonce)
        _, token = await auth.sign_in(identity)
        response = Redirect(_landing_url(settings, flow.next), status_code=302)
        set_session(response, request, token)
        clear_flow_state(response)
        return response

    @get("/me", summary="The signed-in user")
    async def me(self, user: CurrentUser) -> UserOut:
        return UserOut.of(user)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="Sign out: ends your sessions and clears the cookie")
    async def logout(self, request: Request[Any, Any, Any], auth: Auth) -> Response[None]:
        if token := session_token(request):
            await auth.sign_out(token)
        response: Response[None] = Response(None, status_code=HTTP_204_NO_CONTENT)
        clear_session(response)
        return response


async def _signed_in(request: Request[Any, Any, Any], auth: Auth, identity: Identity) -> Response[UserOut]:
    user, token = await auth.sign_in(identity)
    response = Response(UserOut.of(user))
    set_session(response, request, token)
    return response
