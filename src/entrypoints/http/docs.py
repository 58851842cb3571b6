"""The API docs viewer, served by this process: Swagger UI's files come from the swagger-ui-bundle
package, so `/schema` works offline (no CDN)."""

from __future__ import annotations

from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

ASSETS = "/schema-assets"


def docs_assets_router() -> Router:
    return create_static_files_router(path=ASSETS, directories=[swagger_ui_path], include_in_schema=False)


def docs_viewer() -> SwaggerRenderPlugin:
    """Swagger UI at `/schema` (and `/schema/swagger`), its script and styles from `ASSETS`."""
    return SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
    )
