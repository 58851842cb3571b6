"""Litestar dependencies resolved from the container.

dependency-injector's `@inject`/`Provide[...]` markers do not reach Litestar handlers, so each
dependency here is a plain function Litestar calls, asking the container (kept in the app's state)
for the service. The signed-in user is itself a dependency: a handler that names `user` is private.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import URLSafeTimedSerializer
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from adapters.auth import GoogleIdentityProvider
from automl_core.errors import NotFound, Unauthorized
from automl_core.services.auth import AuthService
from automl_core.services.datasets import DatasetService
from automl_core.services.models import ModelService
from automl_core.services.previews import PreviewService
from automl_core.services.runs import RunService
from automl_core.services.workflows import WorkflowService
from automl_core.users import User
from entrypoints.container import Container
from entrypoints.http.session import session_token
from entrypoints.settings import Settings


def container_of(state: State) -> Container:
    container: Container = state.container
    return container


def _settings(state: State) -> Settings:
    settings: Settings = container_of(state).settings()
    return settings


def _auth(state: State) -> AuthService:
    service: AuthService = container_of(state).auth_service()
    return service


def _google(state: State) -> GoogleIdentityProvider:
    """Google sign-in's client; where the server offers no Google sign-in its routes do not exist (404)."""
    google: GoogleIdentityProvider | None = container_of(state).google()
    if google is None:
        raise NotFound("sign-in method", "google")
    return google


def _flow_signer(state: State) -> URLSafeTimedSerializer:
    signer: URLSafeTimedSerializer = container_of(state).flow_signer()
    return signer


def _datasets(state: State) -> DatasetService:
    service: DatasetService = container_of(state).dataset_service()
    return service


def _workflows(state: State) -> WorkflowService:
    service: WorkflowService = container_of(state).workflow_service()
    return service


def _runs(state: State) -> RunService:
    service: RunService = container_of(state).run_service()
    return service


def _models(state: State) -> ModelService:
    service: ModelService = container_of(state).model_service()
    return service


def _previews(state: State) -> PreviewService:
    service: PreviewService = container_of(state).preview_service()
    return service


async def _current_user(request: Request[Any, Any, Any], auth: NamedDependency[AuthService]) -> User:
    token = session_token(request)
    if not token:
        raise Unauthorized("sign in first")
    return await auth.user_for_token(token)


SettingsDep = NamedDependency[Settings]
Auth = NamedDependency[AuthService]
Google = NamedDependency[GoogleIdentityProvider]
FlowSigner = NamedDependency[URLSafeTimedSerializer]
Datasets = NamedDependency[DatasetService]
Workflows = NamedDependency[WorkflowService]
Runs = NamedDependency[RunService]
Models = NamedDependency[ModelService]
Previews = NamedDependency[PreviewService]
CurrentUser = NamedDependency[User]
"""Handler parameters that name these are injected by name (`user: CurrentUser` makes a handler private)."""

DEPENDENCIES = {
    "settings": Provide(_settings, sync_to_thread=False),
    "auth": Provide(_auth, sync_to_thread=False),
    "google": Provide(_google, sync_to_thread=False),
    "flow_signer": Provide(_flow_signer, sync_to_thread=False),
    "datasets": Provide(_datasets, sync_to_thread=False),
    "workflows": Provide(_workflows, sync_to_thread=False),
    "runs": Provide(_runs, sync_to_thread=False),
    "models": Provide(_models, sync_to_thread=False),
    "previews": Provide(_previews, sync_to_thread=False),
    "user": Provide(_current_user),
}
