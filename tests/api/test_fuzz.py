"""Schemathesis fuzzes every operation of the served OpenAPI as a signed-in user: never a 5xx.

Bodies, paths and queries come from the schema (valid and invalid alike); each request goes through
the same test client as the other tests, so both databases are covered.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from entrypoints.container import Container
from entrypoints.http import create_app
from entrypoints.settings import Settings
from tests.api.conftest import BASE_URL, Api, User

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
"""Kept small so the suite stays fast; raise it (FUZZ_EXAMPLES=200) for a deeper local hunt."""


@pytest.fixture(scope="session")
def fuzzer(api: Api) -> User:
    return api.sign_in("fuzzer@example.com")


def openapi_document() -> dict[str, Any]:
    """The document the app serves, built without starting it (no database is touched).

    Loaded at import so schemathesis can make one test per operation (its lazy fixture loader does not
    work with pytest 9)."""
    settings = Settings(data_dir=Path(tempfile.gettempdir()), database_url="sqlite+aiosqlite:///:memory:")
    document = create_app(Container(settings=settings)).openapi_schema.to_schema()
    decoded: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(document))  # as JSON, like served
    return decoded


schema = schemathesis.openapi.from_dict(openapi_document())


def _part(value: Any) -> Any:
    filename, content = value[:2] if isinstance(value, tuple) else (None, value)
    return (filename, content if isinstance(content, bytes | str) else str(content))


def as_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis serialises for `requests`; httpx names a raw body `content`, not `data`, and wants
    every multipart part as bytes, text or a (filename, content) tuple."""
    kwargs = {k: v for k, v in kwargs.items() if k not in {"cookies", "auth"} and v is not None}
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    files = kwargs.get("files")
    if files:
        items = files.items() if isinstance(files, dict) else files
        kwargs["files"] = [(name, _part(value)) for name, value in items]
    return kwargs


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: schemathesis.Case, fuzzer: User) -> None:
    request = as_httpx(case.as_transport_kwargs(base_url=BASE_URL))
    response = fuzzer.request(request.pop("method"), request.pop("url"), **request)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert body["status_code"] == response.status_code
        assert isinstance(body["detail"], str)
