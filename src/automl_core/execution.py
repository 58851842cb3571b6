"""The worker contract: what every executor sends to the engine and what comes back.

Versioned msgspec Structs shared by the API, the local process pool, the Gradio Space and Dask, so a
request means the same thing wherever it runs. Datasets travel separately (as Parquet), keyed by id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from automl_core.models import Feature
from automl_core.runs import LeaderboardEntry, NodeState
from automl_core.workflow import Graph

CONTRACT_VERSION = 1

ENGINE_ENTRY = "automl_worker.engine:run"
"""`module:function` of the engine every executor runs, imported on the worker's side only.

Its signature is `Engine`: `run(request, datasets, on_event, should_stop, finish_requested)`.
`should_stop` turning true cancels the job (nothing is kept); `finish_requested` turning true asks the
AutoML search to stop now and keep the best model found so far (the job then completes)."""


class ExecutionRequest(msgspec.Struct, kw_only=True):
    run_id: str
    workflow: Graph
    dataset_hashes: dict[str, str] = msgspec.field(default_factory=dict)
    """dataset id -> content hash; the Parquet files themselves travel next to the request."""
    seed: int = 0
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
    primary_metric: str | None = None
    """The metric the node optimised (AutoML's `metric`) or the task's default."""
    timings: dict[str, float] = msgspec.field(default_factory=dict)
    """Seconds per phase: `search_s`, `refit_s`, `evaluate_s`, `plots_s`, `explain_s`, `onnx_s`, …
    (never in `metrics`)."""
    artifact: bytes = b""
    """The fitted pipeline as a skops file (never a pickle)."""
    explanation: dict[str, Any] | None = None
    """Global SHAP explanation: {method, output, features: [{name, mean_abs}], sample: {...}}."""
    onnx: bytes = b""
    """The pipeline as ONNX, when it converts (checked against the model on held-out rows)..."""
    onnx_error: str | None = None
    """...else why it does not."""


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


class NodeEvent(msgspec.Struct, tag="node", kw_only=True, omit_defaults=True):
    """One step of the workflow changed state (running, succeeded, failed, skipped)."""

    node_id: str
    state: NodeState
    message: str | None = None


class TrialEvent(msgspec.Struct, tag="trial", kw_only=True, omit_defaults=True):
    """One AutoML trial finished."""

    node_id: str
    entry: LeaderboardEntry


class CompletedEvent(msgspec.Struct, tag="completed", kw_only=True):
    result: ExecutionResult


class FailedEvent(msgspec.Struct, tag="failed", kw_only=True, omit_defaults=True):
    message: str
    node_id: str | None = None


ExecutionEvent = ProgressEvent | LogEvent | NodeEvent | TrialEvent | CompletedEvent | FailedEvent
"""Progress, log, node and trial events stream; exactly one completed or failed event ends a job."""

Emit = Callable[[ExecutionEvent], None]
Signal = Callable[[], bool]
Engine = Callable[[ExecutionRequest, Mapping[str, Path], Emit, Signal, Signal], ExecutionResult]
"""The engine's signature (see ENGINE_ENTRY)."""

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


def failure_event(exc: BaseException) -> FailedEvent:
    """The terminal event for an engine that raised: its own errors carry `message` and `node_id`;
    anything else is named by its type."""
    node_id = getattr(exc, "node_id", None)
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        message = f"{type(exc).__name__}: {exc}"
    return FailedEvent(message=message, node_id=node_id if isinstance(node_id, str) else None)
