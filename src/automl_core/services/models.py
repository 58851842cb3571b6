"""Trained models: browse, download, delete, and predict on rows checked against the feature schema."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator
from typing import Any

from automl_core.errors import InvalidInput
from automl_core.models import ModelRecord, Predictions, check_rows
from automl_core.ports import BlobStore, Page, Predictor
from automl_core.services import UowFactory


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
        async with self.uow() as uow:
            in_use = await uow.models.blob_in_use(model.artifact_key)
        if not in_use:
            await self.blobs.delete(model.artifact_key)

    async def download(self, owner_id: str, model_id: str) -> tuple[ModelRecord, AsyncIterator[bytes]]:
        model = await self.get(owner_id, model_id)
        return model, self.blobs.open(model.artifact_key)

    async def predict(self, owner_id: str, model_id: str, rows: builtins.list[Any], first_row: int = 0) -> Predictions:
        """Every row is checked first; one bad cell rejects the batch with all problems named (rows are
        numbered from `first_row` when the batch is one chunk of a file)."""
        model = await self.get(owner_id, model_id)
        # Checking is pure Python over every cell: off the event loop, so a big batch holds no other request.
        clean, issues = await asyncio.to_thread(check_rows, model.features, rows, first_row)
        if issues:
            raise InvalidInput("some rows do not fit the model's features", issues)
        return await self.predictor.predict(model.artifact_key, clean)
