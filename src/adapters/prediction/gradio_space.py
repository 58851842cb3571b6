"""Predictions on the Gradio worker (the Space's `predict` API), over the executor's own HTTP client.

`POST /gradio_api/call/predict` with `[request JSON, model file or null]`; the answer is one
`automl_core.prediction` answer JSON. The Space keeps each model it received by SHA-256 (in memory,
least recently used evicted, and on its disk), so the artifact is uploaded once, not per prediction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from adapters.executors.gradio_space import GradioSpaceExecutor, SpaceError
from adapters.prediction.by_reference import predict_by_reference
from automl_core.errors import Unavailable
from automl_core.models import Predictions
from automl_core.ports import BlobStore

API_NAME = "predict"


class GradioSpacePredictor:
    def __init__(self, space: GradioSpaceExecutor, blobs: BlobStore) -> None:
        self.space = space
        self.blobs = blobs

    async def predict(self, artifact_key: str, rows: list[dict[str, Any]], explain: bool = False) -> Predictions:
        return await predict_by_reference(self._send, self.blobs, artifact_key, rows, explain)

    async def _send(self, request: bytes, artifact: Path | None) -> bytes:
        try:
            files = await self.space.upload({"model.skops": artifact}, "the model") if artifact else [None]
            outputs = await self.space.call(API_NAME, [request.decode(), files[0]], "predict")
        except SpaceError as exc:
            raise Unavailable(str(exc)) from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"could not reach the Space at {self.space.space_url} to predict: {exc}") from None
        answer = outputs[0]
        if not isinstance(answer, str):
            raise Unavailable(f"the Space's predict answer is not text: {str(answer)[:200]}")
        return answer.encode()
