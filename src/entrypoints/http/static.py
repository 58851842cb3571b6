"""The built frontend (Next.js static export) served at `/`, so one process serves API and UI.

Next writes a page either as `edit/index.html` (trailing-slash export) or as `edit.html`; Litestar's
html mode finds the first, and the handler here finds the second, so `/workflows/edit?id=…` works with
either build setting. Unknown paths get the export's `404.html`.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from litestar import Router, get, head
from litestar.file_system import BaseLocalFileSystem
from litestar.params import FromPath
from litestar.response.file import ASGIFileResponse
from litestar.static_files.base import StaticFiles


def _page(root: Path, path: str) -> str:
    """`path`, or `path.html` when only that exists."""
    relative = PurePath(path.strip("/"))
    if relative.suffix or ".." in relative.parts or not relative.parts:
        return path
    if not (root / relative).exists() and (root / relative.with_name(f"{relative.name}.html")).is_file():
        return f"{relative}.html"
    return path


def frontend_router(root: Path) -> Router:
    root = root.resolve()
    files = StaticFiles(is_html_mode=True, directories=[root], file_system=BaseLocalFileSystem())

    @get("/", name="frontend-index", include_in_schema=False)
    async def index() -> ASGIFileResponse:
        return await files.handle(path="/", is_head_response=False)

    @get("/{file_path:path}", name="frontend", include_in_schema=False)
    async def page(file_path: FromPath[PurePath]) -> ASGIFileResponse:
        return await files.handle(path=_page(root, file_path.as_posix()), is_head_response=False)

    @head("/{file_path:path}", name="frontend-head", include_in_schema=False)
    async def page_head(file_path: FromPath[PurePath]) -> ASGIFileResponse:
        return await files.handle(path=_page(root, file_path.as_posix()), is_head_response=True)

    return Router(path="/", route_handlers=[index, page, page_head])
