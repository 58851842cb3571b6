"""What every predictor does the same way: name the model by hash, send it only when asked for it.

An adapter supplies `send(request, artifact)`, which delivers one encoded `PredictRequest` (with the
artifact's local file, or None) to wherever it predicts and returns the encoded answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from automl_core.errors import InvalidInput, Unavailable
from automl_core.issues import Issue
from automl_core.models import Predictions
from automl_core.ports import BlobStore
from automl_core.prediction import PredictAnswer, PredictRequest, decode_answer, encode_request

Send = Callable[[bytes, Path | None], Awaitable[bytes]]


async def predict_by_reference(
    send: Send, blobs: BlobStore, artifact_key: str, rows: list[dict[str, Any]], explain: bool = False
) -> Predictions:
    """Ask by reference first; on `missing_artifact`, send the same request with the artifact file."""
    request = encode_request(PredictRequest(artifact_sha256=artifact_key, rows=rows, explain=explain))
    answer = _decoded(await send(request, None))
    if answer.problem is not None and answer.problem.kind == "missing_artifact":
        async with blobs.as_file(artifact_key) as path:
            answer = _decoded(await send(request, path))
    return _predictions(answer)


def _decoded(data: bytes) -> PredictAnswer:
    try:
        return decode_answer(data)
    except msgspec.DecodeError as exc:
        raise Unavailable(f"the prediction worker sent an answer this API can't read: {exc}") from None


def _predictions(answer: PredictAnswer) -> Predictions:
    problem = answer.problem
    if problem is None and answer.predictions is not None:
        return answer.predictions
    if problem is not None and problem.kind == "invalid_rows":
        issue = Issue("invalid_value", problem.message, row=problem.row, column=problem.column)
        raise InvalidInput("some rows do not fit the model's features", [issue])
    if problem is not None and problem.kind == "invalid_artifact":
        raise Unavailable(f"the prediction worker refused this model's file: {problem.message}")
    reason = problem.message if problem is not None else "an answer without predictions"
    raise Unavailable(f"the prediction worker could not predict: {reason}")
