"""Prediction on the worker's side: loaded models kept warm, least recently used evicted first.

Every place that predicts (the API's warm local process, the Gradio Space, a Dask worker) answers the
same `automl_core.prediction` request through a `ModelCache`. Models are keyed by the SHA-256 of their
artifact, checked against the bytes received, so a reference can never name a different model; a
model the cache does not hold is answered `missing_artifact`, and the caller sends it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from automl_core.prediction import PredictAnswer, PredictProblem, decode_request, encode_answer
from automl_worker.artifacts import ArtifactError, ModelInfo, load, predict_with
from automl_worker.errors import PredictionError

DEFAULT_MODELS = 8


class ModelCache:
    def __init__(self, max_models: int = DEFAULT_MODELS, store: Path | None = None) -> None:
        """`store` keeps received artifacts on disk by hash, so a model evicted from memory (or held
        before a restart) reloads without being sent again."""
        self.max_models = max_models
        self.store = store
        self._models: OrderedDict[str, tuple[Any, ModelInfo]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._models)

    def answer(self, request: bytes | str, artifact: bytes | Path | None = None) -> bytes:
        """The encoded answer to an encoded PredictRequest; never raises for what the caller sent."""
        try:
            req = decode_request(request)
        except ValueError as exc:
            return _problem("failed", f"not a prediction request: {exc}")
        try:
            model = self._model(req.artifact_sha256, artifact)
        except ArtifactError as exc:
            return _problem("invalid_artifact", str(exc))
        if model is None:
            return _problem("missing_artifact", f"this worker does not hold model {req.artifact_sha256[:12]}…")
        try:
            predictions = predict_with(*model, req.rows, explain=req.explain)
        except PredictionError as exc:
            return encode_answer(
                PredictAnswer(
                    problem=PredictProblem(kind="invalid_rows", message=str(exc), row=exc.row, column=exc.column)
                )
            )
        except Exception as exc:  # the caller must hear about every failure, not a dead worker
            return _problem("failed", f"the model failed to predict: {type(exc).__name__}: {exc}")
        return encode_answer(PredictAnswer(predictions=predictions))

    def _model(self, sha256: str, artifact: bytes | Path | None) -> tuple[Any, ModelInfo] | None:
        with self._lock:
            if sha256 in self._models:
                self._models.move_to_end(sha256)
                return self._models[sha256]
        data = self._bytes(sha256, artifact)
        if data is None:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ArtifactError("the artifact sent does not match the SHA-256 it was named by")
        model = load(data)
        self._keep(sha256, data)
        with self._lock:
            self._models[sha256] = model
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
        return model

    def _bytes(self, sha256: str, artifact: bytes | Path | None) -> bytes | None:
        if isinstance(artifact, bytes):
            return artifact
        if isinstance(artifact, Path):
            return artifact.read_bytes()
        stored = self._stored(sha256)
        return stored.read_bytes() if stored is not None and stored.is_file() else None

    def _stored(self, sha256: str) -> Path | None:
        if self.store is None or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return None
        return self.store / f"{sha256}.skops"

    def _keep(self, sha256: str, data: bytes) -> None:
        stored = self._stored(sha256)
        if stored is not None and not stored.exists():
            stored.parent.mkdir(parents=True, exist_ok=True)
            partial = stored.with_suffix(f".{threading.get_ident()}.part")
            partial.write_bytes(data)
            partial.replace(stored)


def _problem(kind: Any, message: str) -> bytes:
    return encode_answer(PredictAnswer(problem=PredictProblem(kind=kind, message=message)))


CACHE = ModelCache()
"""The process's models: the local predictor's warm process and each Dask worker use this one."""


def answer(request: bytes | str, artifact: bytes | Path | None = None) -> bytes:
    return CACHE.answer(request, artifact)
