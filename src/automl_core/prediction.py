"""The prediction contract: what the API asks a worker (process, Space, Dask) to predict, and the answer.

Prediction runs where the models live, never in the API process. A request names its model by the
artifact's SHA-256 (its blob key): a worker that already holds that model predicts at once; one that
does not answers `missing_artifact`, and the caller sends the artifact along with the same request.
So an artifact crosses the wire once per worker, not once per prediction.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from automl_core.models import Predictions

PREDICT_CONTRACT_VERSION = 1


class PredictRequest(msgspec.Struct, kw_only=True):
    artifact_sha256: str
    rows: list[dict[str, Any]]
    """Rows already checked against the model's feature schema (`check_rows`)."""
    explain: bool = False
    """Also each row's SHAP values (Predictions.explanations)."""
    contract_version: int = PREDICT_CONTRACT_VERSION


ProblemKind = Literal["missing_artifact", "invalid_artifact", "invalid_rows", "failed"]


class PredictProblem(msgspec.Struct, kw_only=True, omit_defaults=True):
    kind: ProblemKind
    message: str
    row: int | None = None
    column: str | None = None


class PredictAnswer(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Exactly one of `predictions` and `problem`."""

    predictions: Predictions | None = None
    problem: PredictProblem | None = None


def encode_request(request: PredictRequest) -> bytes:
    return msgspec.json.encode(request)


def decode_request(data: bytes | str) -> PredictRequest:
    return msgspec.json.decode(data, type=PredictRequest)


def encode_answer(answer: PredictAnswer) -> bytes:
    return msgspec.json.encode(answer)


def decode_answer(data: bytes | str) -> PredictAnswer:
    return msgspec.json.decode(data, type=PredictAnswer)
