"""The built UI is served at `/` beside the API, whichever way Next exported its pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.memory import MemoryExecutor
from entrypoints.http import create_app
from tests.api.conftest import BASE_URL, build_container

PAGES = {
    "index.html": "<html>home</html>",
    "404.html": "<html>lost</html>",
    "workflows/edit/index.html": "<html>editor</html>",
    "models.html": "<html>models</html>",
    "_next/static/app.js": "console.log('ui')",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    root = tmp_path_factory.mktemp("frontend")
    for name, text in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    data = tmp_path_factory.mktemp("frontend-data")
    container = build_container(f"sqlite+aiosqlite:///{data / 'ui.db'}", data, MemoryExecutor(), frontend_dir=root)
    with TestClient(create_app(container), base_url=BASE_URL) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/", "home"),
        ("/workflows/edit/?id=42", "editor"),
        ("/workflows/edit?id=42", "editor"),
        ("/models", "models"),
        ("/models.html", "models"),
        ("/_next/static/app.js", "console.log"),
    ],
)
def test_pages(client: TestClient[Any], path: str, text: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert text in response.text


def test_html_pages_are_html(client: TestClient[Any]) -> None:
    assert client.get("/models").headers["content-type"].startswith("text/html")


def test_unknown_page_is_the_404_page(client: TestClient[Any]) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "lost" in response.text


def test_api_and_schema_still_answer(client: TestClient[Any]) -> None:
    assert client.get("/api/health").json()["database"] == "ok"
    assert client.get("/api/nope").status_code == 404
    assert client.get("/schema/openapi.json").status_code == 200


def test_no_frontend_folder_means_api_only(tmp_path: Path) -> None:
    container = build_container(
        f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path, MemoryExecutor(), frontend_dir=tmp_path / "missing"
    )
    app = create_app(container)
    assert all(not route.path.startswith("/{") for route in app.routes if route.path == "/")
    assert "/" not in {route.path for route in app.routes}


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"])
def test_no_escape_from_the_export(client: TestClient[Any], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "root:" not in response.text
