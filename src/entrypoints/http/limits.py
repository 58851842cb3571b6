"""Rate limits (Litestar's rate-limit middleware): sign-in attempts per address, uploads and predictions
per user.

Handlers opt in by carrying `opt=SIGN_IN`, `opt=UPLOAD` or `opt=PREDICT`; every other request passes untouched.
Sign-in is counted per client address, since there is no user yet; uploads per signed-in user, so
people behind one NAT do not share a budget (and per address when the token is missing or bad, which
the handler then refuses anyway). Beyond the limit the answer is 429 in API.md's error shape, with
the `RateLimit-*` headers saying when to come back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from automl_core.errors import Unauthorized
from entrypoints.http.dependencies import container_of
from entrypoints.http.session import session_token
from entrypoints.settings import Settings

LIMIT_KEY = "rate_limit"
SIGN_IN = {LIMIT_KEY: "sign-in"}
UPLOAD = {LIMIT_KEY: "upload"}
PREDICT = {LIMIT_KEY: "predict"}


def _limited(kind: str) -> Callable[[Request[Any, Any, Any]], Awaitable[bool]]:
    # A coroutine, not a plain function: Litestar runs a synchronous check in a worker thread, which
    # was three thread hops on every request (one per limit) just to answer "not this route".
    async def applies(request: Request[Any, Any, Any]) -> bool:
        return bool(request.route_handler.opt.get(LIMIT_KEY) == kind)

    return applies


def _by_address(request: Request[Any, Any, Any]) -> str:
    return f"sign-in:{get_remote_address(request)}"


def _by_user(kind: str) -> Callable[[Request[Any, Any, Any]], str]:
    def identifier(request: Request[Any, Any, Any]) -> str:
        token = session_token(request)
        if token:
            try:
                return f"{kind}:user:{container_of(request.app.state).tokens().verify(token).user_id}"
            except Unauthorized:
                pass
        return f"{kind}:address:{get_remote_address(request)}"

    return identifier


def rate_limits(settings: Settings) -> list[DefineMiddleware]:
    return [
        RateLimitConfig(
            rate_limit=("minute", settings.sign_in_per_minute),
            identifier_for_request=_by_address,
            check_throttle_handler=_limited("sign-in"),
        ).middleware,
        RateLimitConfig(
            rate_limit=("minute", settings.uploads_per_minute),
            identifier_for_request=_by_user("upload"),
            check_throttle_handler=_limited("upload"),
        ).middleware,
        RateLimitConfig(
            rate_limit=("minute", settings.predictions_per_minute),
            identifier_for_request=_by_user("predict"),
            check_throttle_handler=_limited("predict"),
        ).middleware,
    ]
