"""Request and response bodies of the HTTP API (API.md), as msgspec Structs.

Responses are built from domain objects here, so what leaves the server is chosen field by field:
owner ids, blob keys and other internals never leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from automl_core.datasets import Column, ColumnProfile, Dataset
from automl_core.issues import Issue
from automl_core.models import Feature, ModelRecord, Provenance
from automl_core.previews import DEFAULT_LIMIT as DEFAULT_PREVIEW_LIMIT
from automl_core.previews import MAX_LIMIT as MAX_PREVIEW_LIMIT
from automl_core.previews import PreviewColumn, PreviewResult, SplitSizes
from automl_core.runs import NodeStatus, Progress, Run, RunError, RunResult, RunStatus
from automl_core.users import User
from automl_core.workflow import SCHEMA_VERSION, Edge, Node, Workflow

Name = Annotated[str, Meta(min_length=1, max_length=200)]
Description = Annotated[str, Meta(max_length=10_000)]
Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)]


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every 4xx/5xx answer; `extra.issues` says where input went wrong."""

    status_code: int
    detail: str
    extra: dict[str, Any] | None = None


# --- auth -------------------------------------------------------------------------------------


class AuthConfig(msgspec.Struct):
    """Which sign-in methods the server offers; the frontend draws its sign-in page from it."""

    local: bool
    google: bool
    google_client_id: str | None


class LocalSignIn(msgspec.Struct):
    email: Email
    name: Annotated[str, Meta(max_length=200)] | None = None


class GoogleSignIn(msgspec.Struct):
    credential: Annotated[str, Meta(min_length=1, max_length=10_000)]


class UserOut(msgspec.Struct, omit_defaults=True):
    id: str
    email: str
    name: str
    picture: str | None = None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email, name=user.name, picture=user.picture)


# --- datasets ---------------------------------------------------------------------------------


class DatasetOut(msgspec.Struct):
    id: str
    name: str
    filename: str
    format: str
    size_bytes: int
    content_hash: str
    row_count: int
    columns: list[Column]
    created_at: datetime
    duplicate_of: str | None = None
    """The id of this user's earlier dataset with the same content, if any."""

    @classmethod
    def of(cls, d: Dataset, duplicate_of: str | None = None) -> DatasetOut:
        return cls(
            id=d.id,
            name=d.name,
            filename=d.filename,
            format=d.format,
            size_bytes=d.size_bytes,
            content_hash=d.content_hash,
            row_count=d.row_count,
            columns=d.columns,
            created_at=d.created_at,
            duplicate_of=duplicate_of,
        )


class DatasetPage(msgspec.Struct):
    items: list[DatasetOut]
    total: int


class PreviewOut(msgspec.Struct):
    columns: list[str]
    rows: list[list[Any]]
    total_rows: int


class ProfileOut(msgspec.Struct):
    columns: list[ColumnProfile]


# --- workflows --------------------------------------------------------------------------------


class WorkflowCreate(msgspec.Struct):
    name: Name
    nodes: list[Node] = msgspec.field(default_factory=list)
    edges: list[Edge] = msgspec.field(default_factory=list)
    description: Description = ""


class WorkflowUpdate(msgspec.Struct):
    """A full replacement. Send the `version` (or `updated_at`) you loaded: a stale one is a 409."""

    name: Name
    nodes: list[Node] = msgspec.field(default_factory=list)
    edges: list[Edge] = msgspec.field(default_factory=list)
    description: Description = ""
    version: int | None = None
    updated_at: datetime | None = None


class WorkflowOut(msgspec.Struct):
    id: str
    name: str
    description: str
    schema_version: int
    nodes: list[Node]
    edges: list[Edge]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, w: Workflow) -> WorkflowOut:
        return cls(
            id=w.id,
            name=w.name,
            description=w.description,
            schema_version=w.graph.schema_version,
            nodes=w.graph.nodes,
            edges=w.graph.edges,
            version=w.version,
            created_at=w.created_at,
            updated_at=w.updated_at,
        )


class WorkflowPage(msgspec.Struct):
    items: list[WorkflowOut]
    total: int


class GraphIn(msgspec.Struct):
    """A graph as the canvas holds it; items are checked one by one so every problem is reported."""

    nodes: list[dict[str, Any]] = msgspec.field(default_factory=list)
    edges: list[dict[str, Any]] = msgspec.field(default_factory=list)
    schema_version: int = SCHEMA_VERSION


class PreviewIn(msgspec.Struct):
    """The canvas's graph and the step to look at; only that step and what is above it are computed."""

    node_id: str
    nodes: list[dict[str, Any]] = msgspec.field(default_factory=list)
    edges: list[dict[str, Any]] = msgspec.field(default_factory=list)
    limit: Annotated[int, Meta(ge=1, le=MAX_PREVIEW_LIMIT)] = DEFAULT_PREVIEW_LIMIT
    seed: Annotated[int, Meta(ge=0, le=2**31 - 1)] | None = None


class StepPreviewOut(msgspec.Struct, kw_only=True):
    """The table flowing out of a step: training rows, or a model's test-row predictions beside the truth."""

    node_id: str
    kind: str
    columns: list[PreviewColumn]
    rows: list[list[Any]]
    total_rows: int
    split: SplitSizes | None
    cached: bool
    log: list[str]

    @classmethod
    def of(cls, r: PreviewResult) -> StepPreviewOut:
        return cls(
            node_id=r.node_id,
            kind=r.kind,
            columns=r.columns,
            rows=r.rows,
            total_rows=r.total_rows,
            split=r.split,
            cached=r.cached,
            log=r.log,
        )


class ValidationOut(msgspec.Struct):
    valid: bool
    issues: list[Issue]


class ExecuteIn(msgspec.Struct):
    """Either a saved workflow's id, or an unsaved graph (saved as a new workflow named `name`)."""

    workflow_id: str | None = None
    nodes: list[dict[str, Any]] | None = None
    edges: list[dict[str, Any]] | None = None
    name: Annotated[str, Meta(max_length=200)] | None = None
    seed: Annotated[int, Meta(ge=0, le=2**31 - 1)] | None = None


# --- runs -------------------------------------------------------------------------------------


class RunOut(msgspec.Struct, omit_defaults=True):
    id: str
    workflow_id: str
    status: RunStatus
    progress: Progress
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results: list[RunResult]
    seed: int
    error: RunError | None = None
    log: list[str] = msgspec.field(default_factory=list)
    nodes: dict[str, NodeStatus] = msgspec.field(default_factory=dict)
    finish_requested: bool = False

    @classmethod
    def of(cls, r: Run) -> RunOut:
        return cls(
            id=r.id,
            workflow_id=r.workflow_id,
            status=r.status,
            progress=r.progress,
            created_at=r.created_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            results=r.results,
            seed=r.seed,
            error=r.error,
            log=r.log,
            nodes=r.nodes,
            finish_requested=r.finish_requested,
        )


class RunPage(msgspec.Struct):
    items: list[RunOut]
    total: int


# --- models -----------------------------------------------------------------------------------


class ModelOut(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    run_id: str
    node_id: str
    algorithm: str
    task: str
    target: str | None
    metrics: dict[str, float]
    features: list[Feature]
    created_at: datetime
    provenance: Provenance
    classes: list[Any] | None = None
    formats: list[str] = msgspec.field(default_factory=lambda: ["skops"])
    """Download formats it has: skops, and onnx when the pipeline converted."""
    onnx_error: str | None = None
    """Why there is no ONNX form."""
    primary_metric: str | None = None

    @classmethod
    def of(cls, m: ModelRecord) -> ModelOut:
        return cls(
            id=m.id,
            name=m.name,
            run_id=m.run_id,
            node_id=m.node_id,
            algorithm=m.algorithm,
            task=m.task,
            target=m.target,
            metrics=m.metrics,
            features=m.features,
            created_at=m.created_at,
            provenance=m.provenance,
            classes=m.classes,
            formats=m.formats,
            onnx_error=None if m.onnx_key else m.onnx_error,
            primary_metric=m.primary_metric,
        )


class ModelPage(msgspec.Struct):
    items: list[ModelOut]
    total: int


class PredictIn(msgspec.Struct):
    """Rows of `feature: value`; checked against the model's features before predicting."""

    rows: list[Any]


class RowExplanationOut(msgspec.Struct):
    base_value: float
    contributions: dict[str, float]


class PredictionsOut(msgspec.Struct, omit_defaults=True):
    predictions: list[Any]
    probabilities: list[list[float]] | None = None
    classes: list[Any] | None = None
    explanations: list[RowExplanationOut] | None = None
    """With `?explain=true`: per row, SHAP values of the predicted class (or value)."""
    output: str | None = None
    """What the explanations add up to: probability, log_odds, decision or value."""


class FeatureImpact(msgspec.Struct):
    name: str
    mean_abs: float


class ExplanationSample(msgspec.Struct):
    columns: list[str]
    rows: list[dict[str, Any]]
    values: list[list[float]]
    """values[i][j]: SHAP value of columns[j] in rows[i] (of its predicted class)."""
    base_values: list[float]


class ExplanationOut(msgspec.Struct):
    method: str
    output: str
    features: list[FeatureImpact]
    """Mean |SHAP| per user column over held-out rows, largest first."""
    sample: ExplanationSample


# --- health -----------------------------------------------------------------------------------


class HealthOut(msgspec.Struct):
    status: str
    database: str
    executor: str
