"""Schemathesis fuzzes every operation of the served OpenAPI as a signed-in user: never a 5xx.

Bodies, paths and queries come from the schema (valid and invalid alike); each request goes through
the same test client as the other tests, so both databases are covered.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


HOSTILE_EXAMPLES = int(os.environ.get("FUZZ_HOSTILE_EXAMPLES", "8"))
_DOCUMENT = openapi_document()
BODY_OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in _DOCUMENT["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict) and "requestBody" in operation
)
"""Every operation that takes a body: each gets JSON built from the values below, whatever it expects."""

_SPECIAL = [
    '"a\\u0000b"', '"\\ud800"', '"\\udfff x"', "NaN", "Infinity", "-Infinity", "1e999", "-1e999",
    str(10**400), "1" * 5000, '"' + "x" * 10_000 + '"', "null", "true", "-0",
]  # fmt: skip
_KEYS = ["name", "nodes", "edges", "rows", "email", "credential", "graph", "node_id", "a\\u0000", "\\ud800"]
_LEAVES = st.one_of(
    st.sampled_from(_SPECIAL),
    st.text(max_size=20).map(lambda s: msgspec.json.encode(s).decode()),
    st.integers().map(str),
)


def _nested(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth


def _object(fields: dict[str, str]) -> str:
    return "{" + ",".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


HOSTILE_JSON = st.one_of(
    _LEAVES,
    st.builds(_nested, st.sampled_from([40, 500, 1000, 5000]), _LEAVES),
    st.dictionaries(st.sampled_from(_KEYS), _LEAVES, max_size=4).map(_object),
)
"""Raw JSON text: NUL and lone surrogates in strings, non-standard and huge numbers, deep nesting."""


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
@settings(max_examples=HOSTILE_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=HOSTILE_JSON, content_type=st.sampled_from(["application/json", "text/plain"]))
def test_hostile_values_in_every_body(fuzzer: User, method: str, path: str, body: str, content_type: str) -> None:
    url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
    response = fuzzer.request(method, url, content=body.encode(), headers={"Content-Type": content_type})
    assert response.status_code < 500, (method, path, body[:200], response.status_code, response.text[:500])
