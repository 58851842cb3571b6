"""Cross-site request forgery: a state-changing request that rides the session cookie must come from
the frontend or from this API's own origin.

Browsers attach the SameSite=Lax cookie to same-site requests, and "same site" is wider than "same
origin" (any subdomain, any port), so SameSite alone is not enough. The browser's `Origin` header (or
`Referer` when an old browser sends no Origin) names the page that made the request; when it names
anything else the request is refused with 403. Sign-in routes are checked even without a cookie, so a
foreign page cannot sign a visitor into someone else's account. Requests that send their token as
`Authorization: Bearer` and no cookie are not browser-ridden and pass; so do requests naming no origin
at all (scripts, curl), which cannot carry a victim's cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from automl_core.errors import Forbidden
from entrypoints.http.dependencies import container_of
from entrypoints.http.limits import LIMIT_KEY, SIGN_IN
from entrypoints.http.session import COOKIE

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> str | None:
    """`scheme://host[:port]`, lower-cased and without the scheme's default port; None if not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port is not None and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


def _claimed_origin(request: Request[Any, Any, Any]) -> str | None:
    """The page's origin per `Origin`, else `Referer`; "" when a header is there but names nothing usable
    (`Origin: null` from sandboxed frames and privacy redirects), None when the client names no page."""
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value:
            return _origin(value) or ""
    return None


class OriginCheckMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope)
        if request.method in STATE_CHANGING:
            signing_in = request.route_handler.opt.get(LIMIT_KEY) == SIGN_IN[LIMIT_KEY]
            if COOKIE in request.cookies or signing_in:
                claimed = _claimed_origin(request)
                if claimed is not None and claimed not in self._trusted(request):
                    raise Forbidden("cross-origin request refused: it does not come from this site's pages")
        await next_app(scope, receive, send)

    @staticmethod
    def _trusted(request: Request[Any, Any, Any]) -> set[str]:
        own = _origin(f"{request.url.scheme}://{request.url.netloc}")
        frontend_url = container_of(request.app.state).settings().frontend_url
        frontend = _origin(frontend_url) if frontend_url else None
        return {origin for origin in (own, frontend) if origin}
