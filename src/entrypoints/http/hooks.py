"""Request hooks shared by controllers."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from automl_core.errors import InvalidInput
from automl_core.issues import Issue


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> None:
    """PostgreSQL stores no NUL character in text or JSON: a body carrying one is invalid input (422),
    not a database error (500). Only JSON that escapes one (`\\u0000`) is decoded to look."""
    if request.method not in {"POST", "PUT", "PATCH"} or request.content_type[0] != "application/json":
        return
    body = await request.body()
    if b"\\u0000" not in body:
        return
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return  # the handler reports malformed JSON
    if _has_nul(decoded):
        raise InvalidInput(
            "text may not contain NUL characters", [Issue("nul_character", "remove the \\u0000 characters")]
        )
