"""The step-preview contract: the table that flows out of one node, computed by the worker.

Shared by the API and every executor like `execution.py`: a `PreviewRequest` (the graph up to the
node, datasets by id as Parquet beside it) answers with a `PreviewResult` or a `PreviewFailure`
naming the node at fault.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from automl_core.errors import InvalidInput
from automl_core.execution import CONTRACT_VERSION
from automl_core.issues import Issue
from automl_core.workflow import Graph

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PreviewRequest(msgspec.Struct, kw_only=True):
    workflow: Graph
    node_id: str
    dataset_hashes: dict[str, str] = msgspec.field(default_factory=dict)
    seed: int = 0
    limit: int = DEFAULT_LIMIT
    fitted: bytes | None = None
    """A model step's pipeline as a run fitted it (skops), when the caller has it: its predictions are shown
    instead of fitting again (AutoML steps are only previewed this way)."""
    contract_version: int = CONTRACT_VERSION


class PreviewColumn(msgspec.Struct, frozen=True):
    name: str
    dtype: str


class SplitSizes(msgspec.Struct, frozen=True, omit_defaults=True):
    train: int
    test: int
    folds: int | None = None


class PreviewResult(msgspec.Struct, kw_only=True, omit_defaults=True, tag="preview"):
    """`kind` is `rows` (training rows as they leave the node) or `predictions` (a model's predictions on
    the test rows beside the truth)."""

    node_id: str
    kind: Literal["rows", "predictions"] = "rows"
    columns: list[PreviewColumn]
    rows: list[list[Any]]
    total_rows: int
    split: SplitSizes | None = None
    cached: bool = False
    engine_seconds: float = 0.0
    log: list[str] = msgspec.field(default_factory=list)


class PreviewFailure(msgspec.Struct, kw_only=True, omit_defaults=True, tag="failed"):
    message: str
    node_id: str | None = None


PreviewOutcome = PreviewResult | PreviewFailure

_outcome_decoder = msgspec.json.Decoder(PreviewOutcome)


def encode_outcome(outcome: PreviewOutcome) -> bytes:
    return msgspec.json.encode(outcome)


def decode_outcome(data: bytes | str) -> PreviewOutcome:
    outcome: PreviewOutcome = _outcome_decoder.decode(data)
    return outcome


class StepPreviewFailed(InvalidInput):
    """The worker could not compute the step (the user's graph or data is at fault): a 422 naming the node."""

    def __init__(self, message: str, node_id: str | None = None) -> None:
        super().__init__(message, [Issue("preview_failed", message, node_id=node_id)])
        self.node_id = node_id


def raise_failure(outcome: PreviewOutcome) -> PreviewResult:
    """The result, or StepPreviewFailed when the worker reported a failure."""
    if isinstance(outcome, PreviewFailure):
        raise StepPreviewFailed(outcome.message, outcome.node_id)
    return outcome
