"""The request check every handler shares: text the database cannot store, JSON nested beyond reason.

It runs before a handler's parameters are parsed (Litestar's `before_request`), so a refused body costs
no work and leaves no traceback. PostgreSQL stores no NUL character in text or JSON, whatever content
type the client claimed, so a body (JSON, or JSON sent as text/plain), a query or a path carrying one
is invalid input (422) rather than a database error (500). JSON nested deeper than any of this API's
bodies (a graph is six levels) is refused before a recursive decoder can overflow on it.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request

from automl_core.errors import InvalidInput
from automl_core.issues import Issue

MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
NUL_ISSUE = Issue("nul_character", "remove the NUL (\\u0000) characters")


def _has_nul(value: Any) -> bool:
    """Depth is bounded by MAX_JSON_DEPTH before this recursion runs."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _bracket_depth_over(brackets: bytes, limit: int) -> bool:
    """Each pass removes the innermost empty pairs in C (bytes.replace): at most `limit` linear scans."""
    for _ in range(limit + 1):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return False  # brackets that never pair up: malformed JSON, which the decoder reports
        brackets = shorter
    return True


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the JSON's arrays and objects nest more than `limit` levels.

    Brackets are counted on the raw bytes first (fast); only a body that looks too deep is counted
    again without its strings (a regex pass, slower), so text holding brackets is never refused."""
    if not _bracket_depth_over(body.translate(None, _NOT_BRACKETS), limit):
        return False
    return _bracket_depth_over(_JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS), limit)


def check_json_body(body: bytes) -> None:
    """Refuse (InvalidInput) JSON nested too deeply or holding a NUL character in any string."""
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        issue = Issue("too_deep", f"arrays and objects may nest at most {MAX_JSON_DEPTH} levels", field="body")
        raise InvalidInput(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep", [issue])
    if b"\\u0000" not in body:
        return
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return  # the handler reports malformed JSON
    if _has_nul(decoded):
        raise InvalidInput("text may not contain NUL characters", [NUL_ISSUE])


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Every handler's first step: the query, the path and a bounded body (streamed ones check their own)."""
    for where, values in (("query", request.query_params.values()), ("path", request.path_params.values())):
        if any(isinstance(v, str) and "\x00" in v for v in values):
            issue = Issue("nul_character", NUL_ISSUE.message, field=where)
            raise InvalidInput("text may not contain NUL characters", [issue])
    if request.method not in {"POST", "PUT", "PATCH"} or request.route_handler.request_max_body_size is None:
        return
    if request.content_type[0].startswith("multipart/"):
        return
    check_json_body(await request.body())
