"""The worker contract: what every executor sends to the engine and what comes back.

Versioned msgspec Structs shared by the API, the local process pool, the Gradio Space and Dask, so a
request means the same thing wherever it runs. Datasets travel separately (as Parquet), keyed by id.
"""

from __future__ import annotations

from typing import Any

import msgspec

from automl_core.models import Feature
from automl_core.runs import LeaderboardEntry
from automl_core.workflow import Graph

CONTRACT_VERSION = 1


class ExecutionRequest(msgspec.Struct, kw_only=True):
    run_id: str
    workflow: Graph
    dataset_hashes: dict[str, str] = msgspec.field(default_factory=dict)
    """dataset id -> content hash; the Parquet files themselves travel next to the request."""
    seed: int = 0
    time_budget_s: float | None = None
    """An overall cap on the run; AutoML nodes also carry their own budget."""
    contract_version: int = CONTRACT_VERSION


class BranchResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One trained model/automl node."""

    node_id: str
    algorithm: str
    task: str
    target: str | None
    dataset_id: str
    metrics: dict[str, float] = msgspec.field(default_factory=dict)
    leaderboard: list[LeaderboardEntry] | None = None
    plots: dict[str, Any] = msgspec.field(default_factory=dict)
    features: list[Feature] = msgspec.field(default_factory=list)
    classes: list[Any] | None = None
    fit_seconds: float = 0.0
    artifact: bytes = b""
    """The fitted pipeline as a skops file (never a pickle)."""
    explanation: dict[str, Any] | None = None
    """Global SHAP explanation: {method, output, features: [{name, mean_abs}], sample: {...}}."""
    onnx: bytes = b""
    """The pipeline as ONNX, when it converts (checked against the model on held-out rows)..."""
    onnx_error: str | None = None
    """...else why it does not."""
    timings: dict[str, float] = msgspec.field(default_factory=dict)
    """Seconds per phase (explain_s, onnx_s, ...), kept apart from metrics."""


class ExecutionResult(msgspec.Struct, kw_only=True):
    branches: list[BranchResult]
    library_versions: dict[str, str] = msgspec.field(default_factory=dict)
    log: list[str] = msgspec.field(default_factory=list)
    engine_seconds: float = 0.0
    contract_version: int = CONTRACT_VERSION


class ProgressEvent(msgspec.Struct, tag="progress", kw_only=True, omit_defaults=True):
    fraction: float
    message: str = ""
    node_id: str | None = None


class LogEvent(msgspec.Struct, tag="log", kw_only=True, omit_defaults=True):
    message: str
    level: str = "info"
    node_id: str | None = None


class TrialEvent(msgspec.Struct, tag="trial", kw_only=True, omit_defaults=True):
    """One AutoML trial finished."""

    node_id: str
    entry: LeaderboardEntry


class CompletedEvent(msgspec.Struct, tag="completed", kw_only=True):
    result: ExecutionResult


class FailedEvent(msgspec.Struct, tag="failed", kw_only=True, omit_defaults=True):
    message: str
    node_id: str | None = None


ExecutionEvent = ProgressEvent | LogEvent | TrialEvent | CompletedEvent | FailedEvent
"""Progress, log and trial events stream; exactly one completed or failed event ends a job."""

TERMINAL_EVENTS = (CompletedEvent, FailedEvent)

_event_decoder = msgspec.json.Decoder(ExecutionEvent)


def encode_event(event: ExecutionEvent) -> bytes:
    return msgspec.json.encode(event)


def decode_event(data: bytes | str) -> ExecutionEvent:
    event: ExecutionEvent = _event_decoder.decode(data)
    return event


def encode_request(request: ExecutionRequest) -> bytes:
    return msgspec.json.encode(request)


def decode_request(data: bytes | str) -> ExecutionRequest:
    return msgspec.json.decode(data, type=ExecutionRequest)
