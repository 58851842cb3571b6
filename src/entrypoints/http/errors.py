"""The one map from errors to HTTP answers, all in API.md's shape `{status_code, detail, extra?}`.

Domain errors carry their meaning; Litestar's own client errors (bad query, malformed body) become
422 with `extra.issues` like every other invalid input; anything unexpected is logged and answered
with a bare 500 that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from litestar.types import ExceptionHandlersMap

from automl_core import errors
from automl_core.issues import Issue

log = logging.getLogger(__name__)

STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.InvalidInput: 422,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedFormat: 415,
    errors.Unavailable: 503,
}


def error_response(status_code: int, detail: str, extra: dict[str, Any] | None = None) -> Response[Any]:
    body: dict[str, Any] = {"status_code": status_code, "detail": detail}
    if extra:
        body["extra"] = extra
    return Response(content=body, status_code=status_code)


def issues_extra(issues: list[Issue]) -> dict[str, Any]:
    return {"issues": msgspec.to_builtins(issues)}


def _status_of(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def on_domain_error(_: Request[Any, Any, Any], exc: errors.DomainError) -> Response[Any]:
    extra = issues_extra(exc.issues) if isinstance(exc, errors.InvalidInput) and exc.issues else None
    return error_response(_status_of(exc), exc.message, extra)


def on_validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's request checks (query, path, body) report like the domain's: a list of issues."""
    issues = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = item.get("key")
            message = str(item.get("message") or "invalid value")
            issues.append(Issue("invalid_request", message, field=str(field) if field else None))
    detail = exc.detail if exc.detail and exc.detail != "Bad Request" else "the request is not valid"
    return error_response(HTTP_422_UNPROCESSABLE_ENTITY, detail, issues_extra(issues) if issues else None)


def on_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own 400s (malformed JSON or multipart) are invalid input like any other: 422."""
    extra = exc.extra if isinstance(exc.extra, dict) and exc.extra else None
    status = HTTP_422_UNPROCESSABLE_ENTITY if exc.status_code == HTTP_400_BAD_REQUEST else exc.status_code
    response = error_response(status, exc.detail, extra)
    response.headers.update(exc.headers or {})
    return response


def on_recursion(_: Request[Any, Any, Any], _exc: RecursionError) -> Response[Any]:
    """A body nested past what a decoder can follow (the request check refuses most before this)."""
    return error_response(HTTP_422_UNPROCESSABLE_ENTITY, "the request body is nested too deeply")


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    errors.DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_exception,
    RecursionError: on_recursion,
    Exception: on_unexpected,
}
