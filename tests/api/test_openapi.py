"""The served OpenAPI agrees with API.md: every documented method and path is there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.conftest import Api

API_MD = (Path(__file__).parents[2] / "../shared/API.md").resolve()
ENDPOINT = re.compile(r"`((?:GET|POST|PUT|DELETE|PATCH)(?:\|(?:GET|POST|PUT|DELETE|PATCH))*) (/api/[^`\s?]*)")


def documented() -> set[tuple[str, str]]:
    """(method, path with `{}` for each parameter) for every endpoint API.md names."""
    found = set()
    for methods, path in ENDPOINT.findall(API_MD.read_text()):
        for method in methods.split("|"):
            found.add((method.lower(), re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))))
    return found


def served(api: Api) -> set[tuple[str, str]]:
    schema = api.anonymous().get("/schema/openapi.json").json()
    return {
        (method, re.sub(r"\{[^}]*\}", "{}", path))
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete", "patch"}
    }


def test_api_md_is_found_and_parsed() -> None:
    endpoints = documented()
    assert len(endpoints) >= 30
    assert ("post", "/api/workflows/{}/execute") in endpoints
    assert ("delete", "/api/models/{}") in endpoints


def test_every_documented_endpoint_is_served(api: Api) -> None:
    assert documented() - served(api) == set()


def test_schema_ui_is_served_with_its_assets_from_here(api: Api) -> None:
    """The docs viewer works offline: every script and stylesheet it loads is served by the API itself."""
    client = api.anonymous()
    for page in ("/schema", "/schema/swagger"):
        response = client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "<title>AutoML platform</title>" in response.text and "SwaggerUIBundle" in response.text, page
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', response.text)
        assert len(assets) == 3, assets
        for url in assets:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            served = client.get(url)
            assert served.status_code == 200 and len(served.content) > 1000, url


@pytest.mark.parametrize(
    ("path", "method", "media_type"),
    [
        ("/api/datasets", "post", "multipart/form-data"),
        ("/api/models/{model_id}/predict", "post", "multipart/form-data"),
        ("/api/models/{model_id}/predict", "post", "application/json"),
    ],
)
def test_raw_bodies_are_documented(api: Api, path: str, method: str, media_type: str) -> None:
    schema = api.anonymous().get("/schema/openapi.json").json()
    assert media_type in schema["paths"][path][method]["requestBody"]["content"]
