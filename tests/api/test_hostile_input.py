"""Input an attacker sends: bodies nested a thousand deep, NUL characters in any content type. Each is
a 4xx naming what is wrong, on SQLite and PostgreSQL, before any work and without a traceback."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import polars as pl
import pytest

from tests.api.conftest import WORKER_URL, Api, Trained, User

DEEP = "[" * 1000 + "]" * 1000
DEEP_BODY = '{"nodes": ' + DEEP + ', "edges": []}'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/workflows/validate"),
        ("POST", "/api/workflows"),
        ("POST", "/api/workflows/execute"),
        ("PUT", "/api/workflows/00000000-0000-0000-0000-000000000000"),
    ],
)
def test_deep_nesting_is_refused_signed_in(
    user: User, method: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = user.request(method, path, content=DEEP_BODY, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "nested" in response.json()["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_deep_nesting_is_refused_signed_out(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    client = api.anonymous()
    with caplog.at_level(logging.WARNING):
        local = client.post("/api/auth/local", content='{"email": ' + DEEP + "}")
        google = client.post("/api/auth/google", content='{"credential": ' + DEEP + "}")
    assert (local.status_code, google.status_code) in {(422, 422), (422, 404)}, (local.text, google.text)
    assert "nested" in local.json()["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_deep_prediction_rows_are_refused(trained: Trained) -> None:
    body = '{"rows": [{"pclass": ' + DEEP + "}]}"
    response = trained.owner.post(
        f"/api/models/{trained.model['id']}/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "nested" in response.json()["detail"]


def test_ordinary_nesting_and_brackets_in_text_still_pass(user: User) -> None:
    node = {
        "id": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]",
        "type": "dataset",
        "params": {},
        "position": {"x": 0, "y": 0},
    }
    assert user.post("/api/workflows/validate", json={"nodes": [node], "edges": []}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "application/x-www-form-urlencoded", ""])
def test_a_nul_character_is_refused_whatever_the_content_type(user: User, content_type: str) -> None:
    body = '{"name": "bad\\u0000name", "nodes": [], "edges": []}'
    headers = {"Content-Type": content_type} if content_type else {}
    response = user.post("/api/workflows", content=body, headers=headers)
    assert response.status_code in (415, 422), response.text
    assert user.get("/api/workflows").json()["total"] == 0


def test_a_nul_character_in_the_query_is_refused(user: User) -> None:
    response = user.get("/api/runs", params={"workflow_id": "a\x00b"})
    assert response.status_code == 422, response.text
    assert response.json()["extra"]["issues"][0]["field"] == "query"


TITANIC_HEADER = "pclass,sex,age,sibsp,parch,fare,embarked,class,who,adult_male,deck,embark_town,alone"
GOOD_ROW = "3,male,22,1,0,7.25,S,Third,man,True,,Southampton,False"


def _predict_csv(trained: Trained, content: bytes) -> httpx.Response:
    files = {"file": ("rows.csv", content, "text/csv")}
    return trained.owner.post(f"/api/models/{trained.model['id']}/predict", files=files)


@pytest.mark.parametrize("short", ["1,2", GOOD_ROW + ",extra"])
def test_a_csv_row_that_does_not_match_the_header_is_named(trained: Trained, short: str) -> None:
    response = _predict_csv(trained, f"{TITANIC_HEADER}\n{GOOD_ROW}\n{short}\n".encode())
    assert response.status_code == 422, response.text
    [issue] = response.json()["extra"]["issues"]
    assert (issue["code"], issue["row"]) == ("ragged_row", 1), issue


def test_a_byte_order_mark_starts_the_first_column_name_not_joins_it(trained: Trained) -> None:
    response = _predict_csv(trained, ("\ufeff" + f"{TITANIC_HEADER}\n{GOOD_ROW}\n").encode())
    assert response.status_code == 200, response.text
    latin1 = (
        b"\xef\xbb\xbf" + TITANIC_HEADER.encode() + b"\n" + GOOD_ROW.replace("Southampton", "S\xe9").encode("latin-1")
    )
    refused = _predict_csv(trained, latin1 + b"\n")
    assert refused.status_code == 422 and refused.json()["extra"]["issues"][0]["code"] == "invalid_csv", refused.text


@pytest.mark.timeout(180)
@pytest.mark.skipif(
    WORKER_URL is not None,
    reason="/api/health then also asks the Space, which answers slowly while it predicts the same file; "
    "the API's own event loop is what this bounds, in the main run",
)
def test_a_big_csv_streams_in_chunks_while_health_stays_quick(trained: Trained, api: Api) -> None:
    rows = 30_000
    polls = iter(range(50))
    idle = _slowest_health(api, lambda: next(polls, None) is not None)
    content = (TITANIC_HEADER + "\n" + "\n".join([GOOD_ROW] * rows) + "\n").encode()
    result: dict[str, httpx.Response] = {}
    worker = threading.Thread(target=lambda: result.setdefault("r", _predict_csv(trained, content)))
    worker.start()
    deadline = time.monotonic() + 120
    slowest = _slowest_health(api, lambda: worker.is_alive() and time.monotonic() < deadline)
    worker.join(timeout=1)
    assert "r" in result, "the prediction did not finish within 2 minutes"
    assert result["r"].status_code == 200, result["r"].text
    assert len(result["r"].json()["predictions"]) == rows
    print(f"slowest /api/health: {slowest * 1000:.0f} ms predicting, {idle * 1000:.0f} ms idle")
    # The aim is 100 ms; on a shared 2-core machine under load the worst poll measured 107-203 ms (idle 18-35
    # ms), or more while other suites ran, against seconds when the whole file was checked on the event loop.
    # The bound catches that stall without timing a loaded machine (the latency itself is a bench figure).
    assert slowest < 1.0 + idle, f"/api/health took {slowest * 1000:.0f} ms while a CSV was predicted"


def _slowest_health(api: Api, go_on: Callable[[], bool]) -> float:
    """The slowest /api/health answer, polled every 20 ms while `go_on()`."""
    slowest = 0.0
    while go_on():
        started = time.perf_counter()
        assert api.client.get("/api/health").status_code in (200, 503)
        slowest = max(slowest, time.perf_counter() - started)
        time.sleep(0.02)
    return slowest


def _upload(user: User, name: str, content: bytes) -> httpx.Response:
    return user.post("/api/datasets", files={"file": (name, content, "application/octet-stream")})


def _parquet(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


def _jsonl(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_ndjson(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "write"), [("t.parquet", _parquet), ("t.jsonl", _jsonl)])
def test_nul_characters_in_uploaded_names_and_values_are_removed(user: User, name: str, write: Any) -> None:
    frame = pl.DataFrame({"te\x00xt": ["a\x00b", "c"] * 5, "y": [1, 2] * 5})
    response = _upload(user, name, write(frame))
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert [c["name"] for c in dataset["columns"]] == ["text", "y"]
    preview = user.get(f"/api/datasets/{dataset['id']}/preview?limit=2").json()
    assert "\x00" not in json.dumps(preview) and "ab" in json.dumps(preview)


@pytest.mark.parametrize(("name", "write"), [("t.parquet", _parquet), ("t.jsonl", _jsonl)])
@pytest.mark.parametrize("column", [[1, 2], {"a": 1}])
def test_columns_of_lists_or_records_are_refused_by_name(user: User, name: str, write: Any, column: Any) -> None:
    frame = pl.DataFrame({"nested": [column] * 4, "y": [1, 2, 3, 4]})
    response = _upload(user, name, write(frame))
    assert response.status_code == 422, response.text
    assert response.json()["extra"]["issues"][0]["column"] == "nested"


def test_a_json_lines_file_nested_500_deep_is_refused_by_name(user: User) -> None:
    deep: Any = {"a": 1}
    for _ in range(500):
        deep = {"x": deep}
    content = "\n".join(json.dumps({"k": i, "deep": deep}) for i in range(3)).encode()
    response = _upload(user, "deep.jsonl", content)
    assert response.status_code == 422, response.text
    assert response.json()["extra"]["issues"][0]["column"] == "deep"
