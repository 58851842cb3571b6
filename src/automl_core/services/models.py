"""Trained models: browse, download, delete, and predict on rows checked against the feature schema."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator
from typing import Any

from automl_core.errors import Conflict, InvalidInput
from automl_core.issues import Issue
from automl_core.models import ModelRecord, Predictions, check_rows
from automl_core.ports import BlobStore, Page, Predictor
from automl_core.services import UowFactory

MAX_EXPLAINED_ROWS = 100
"""Explaining costs far more than predicting (Kernel SHAP runs the model thousands of times a row)."""


class ModelService:
    def __init__(self, uow: UowFactory, blobs: BlobStore, predictor: Predictor) -> None:
        self.uow = uow
        self.blobs = blobs
        self.predictor = predictor

    async def get(self, owner_id: str, model_id: str) -> ModelRecord:
        async with self.uow() as uow:
            return await uow.models.get(owner_id, model_id)

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[ModelRecord]:
        async with self.uow() as uow:
            return await uow.models.list(owner_id, limit, offset)

    async def delete(self, owner_id: str, model_id: str) -> None:
        async with self.uow() as uow:
            model = await uow.models.get(owner_id, model_id)
            await uow.models.delete(owner_id, model_id)
            await uow.commit()
        for key in (model.artifact_key, model.onnx_key):
            if key is None:
                continue
            async with self.uow() as uow:
                in_use = await uow.models.blob_in_use(key)
            if not in_use:
                await self.blobs.delete(key)

    async def download(
        self, owner_id: str, model_id: str, format: str = "skops"
    ) -> tuple[ModelRecord, AsyncIterator[bytes]]:
        """The skops file, or the ONNX one (Conflict saying why when the pipeline did not convert)."""
        model = await self.get(owner_id, model_id)
        if format == "onnx":
            if model.onnx_key is None:
                raise Conflict(
                    f"this model has no ONNX form: {model.onnx_error or 'it was trained before ONNX export'}"
                )
            return model, self.blobs.open(model.onnx_key)
        return model, self.blobs.open(model.artifact_key)

    async def explanation(self, owner_id: str, model_id: str) -> dict[str, Any]:
        model = await self.get(owner_id, model_id)
        if model.explanation is None:
            why = "clustering models have no target to explain" if model.task == "clustering" else "trained before"
            raise Conflict(f"this model has no explanation ({why})")
        return model.explanation

    async def predict(
        self, owner_id: str, model_id: str, rows: builtins.list[Any], first_row: int = 0, explain: bool = False
    ) -> Predictions:
        """Every row is checked first; one bad cell rejects the batch with all problems named (rows are
        numbered from `first_row` when the batch is one chunk of a file). `explain` adds SHAP values."""
        model = await self.get(owner_id, model_id)
        if explain and model.task == "clustering":
            raise InvalidInput(
                "clustering models have no target to explain", [Issue("not_explainable", "", field="explain")]
            )
        if explain and len(rows) > MAX_EXPLAINED_ROWS:
            issue = Issue("too_many_rows", f"explain at most {MAX_EXPLAINED_ROWS} rows at once", field="rows")
            raise InvalidInput(f"{len(rows)} rows are too many to explain", [issue])
        # Checking is pure Python over every cell: off the event loop, so a big batch holds no other request.
        clean, issues = await asyncio.to_thread(check_rows, model.features, rows, first_row)
        if issues:
            raise InvalidInput("some rows do not fit the model's features", issues)
        return await self.predictor.predict(model.artifact_key, clean, explain=explain)
