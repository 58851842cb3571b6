"""The Litestar application: controllers, dependencies, error map, OpenAPI, frontend, lifecycle.

At start-up the database is migrated to head, runs whose replica died (lease expired) go back to the
queue to be retried once, and the run supervisor starts in this process; at shutdown it stops and the
adapters release what they hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler

from adapters.persistence.sqlalchemy import migrate
from adapters.private_files import private_dir
from entrypoints.container import Container, close
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.catalog import CatalogController
from entrypoints.http.controllers.datasets import DatasetController
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.controllers.models import ModelController
from entrypoints.http.controllers.runs import RunController
from entrypoints.http.controllers.workflows import WorkflowController
from entrypoints.http.csrf import OriginCheckMiddleware
from entrypoints.http.dependencies import DEPENDENCIES
from entrypoints.http.docs import docs_assets_router, docs_viewer
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.hooks import check_request
from entrypoints.http.limits import rate_limits
from entrypoints.http.static import frontend_router

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"


@contextlib.asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    container: Container = app.state.container
    private_dir(container.settings().data_dir)  # database, blobs, secret: the server's account only
    await migrate(container.settings().database_url)
    supervisor = container.supervisor()
    await supervisor.recover()  # before serving: runs a dead process held are requeued (retried once)
    task = asyncio.create_task(supervisor.run_forever(), name="run-supervisor")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await supervisor.shutdown()
        await close(container)


def create_app(container: Container) -> Litestar:
    settings = container.settings()
    handlers: list[ControllerRouterHandler] = [
        HealthController,
        AuthController,
        DatasetController,
        CatalogController,
        WorkflowController,
        RunController,
        ModelController,
        docs_assets_router(),
    ]
    if settings.frontend_dir is not None and settings.frontend_dir.is_dir():
        handlers.append(frontend_router(settings.frontend_dir))
    return Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=check_request,
        middleware=[*rate_limits(settings), OriginCheckMiddleware()],
        state=State({"container": container}),
        lifespan=[_lifespan],
        cors_config=(
            CORSConfig(allow_origins=[settings.frontend_url], allow_credentials=True) if settings.frontend_url else None
        ),
        openapi_config=OpenAPIConfig(
            title="AutoML platform",
            version=API_VERSION,
            description="Upload tables, build and run workflows, keep and use the models they train.",
            path="/schema",
            render_plugins=[docs_viewer()],
        ),
    )
