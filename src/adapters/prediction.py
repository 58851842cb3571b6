"""Predictions in the API process: the worker's own artifact loader (skops, no pickle), off the event loop.

The worker package owns how a fitted pipeline is stored and loaded, so the API never re-implements it;
loading and predicting run in a thread because scikit-learn blocks. It is imported on first use: the
API starts without the worker extra installed and only needs it to predict.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from automl_core.errors import InvalidInput
from automl_core.issues import Issue
from automl_core.models import Predictions


class WorkerArtifactPredictor:
    async def predict(self, artifact: Path, rows: list[dict[str, object]]) -> Predictions:
        return await asyncio.to_thread(self._predict, artifact.read_bytes(), rows)

    @staticmethod
    def _predict(artifact: bytes, rows: list[dict[str, object]]) -> Predictions:
        from automl_worker.artifacts import predict
        from automl_worker.errors import PredictionError

        try:
            result = predict(artifact, rows)
        except PredictionError as exc:
            issue = Issue("invalid_value", str(exc), row=exc.row, column=exc.column)
            raise InvalidInput("some rows do not fit the model's features", [issue]) from None
        return msgspec.convert(msgspec.to_builtins(result), Predictions)
