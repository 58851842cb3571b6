"""Input an attacker sends: bodies nested a thousand deep, NUL characters in any content type. Each is
a 4xx naming what is wrong, on SQLite and PostgreSQL, before any work and without a traceback."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import Api, Trained, User

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
