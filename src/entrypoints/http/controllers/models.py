"""Trained models: browse, download (skops), delete, and predict on JSON rows or a CSV file."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import msgspec
import polars as pl
from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import OpenAPIMediaType, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath
from litestar.response import Stream

from automl_core.errors import InvalidInput, UnsupportedFormat
from automl_core.issues import Issue
from entrypoints.http.dependencies import CurrentUser, Models, SettingsDep
from entrypoints.http.hooks import check_json_body
from entrypoints.http.openapi import BINARY_FILE, form, with_request_body
from entrypoints.http.params import Limit, Offset
from entrypoints.http.schemas import ModelOut, ModelPage, PredictIn, PredictionsOut
from entrypoints.http.uploads import read_body, receive_file, scratch_dir

MAX_JSON_BYTES = 32 * 1024 * 1024
"""JSON rows are read whole to decode them; a bigger batch goes as a (streamed) CSV file."""


PREDICT_BODY = with_request_body(
    "Rows as JSON `{rows: [{feature: value}]}`, or a CSV file as the multipart part `file`.",
    {
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                properties={"rows": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT))},
                required=["rows"],
            )
        ),
        "multipart/form-data": form(["file"], file=BINARY_FILE),
    },
)


def _filename(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    return f"{stem[:80]}.skops"


def _read_csv(path: Path) -> list[dict[str, Any]]:
    """Every cell as text: the model's feature schema decides the types, not CSV inference."""
    try:
        return pl.read_csv(path, infer_schema=False).to_dicts()
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "the CSV file could not be read", [Issue("invalid_csv", str(exc).splitlines()[0], field="file")]
        ) from None


async def _rows(request: Request[Any, Any, Any], settings: SettingsDep) -> list[Any]:
    media_type, _ = request.content_type
    if media_type == "application/json":
        try:
            body = await read_body(request, MAX_JSON_BYTES)
            check_json_body(body)
            return msgspec.json.decode(body, type=PredictIn).rows
        except msgspec.DecodeError as exc:
            raise InvalidInput(
                'send `{"rows": [{feature: value}, ...]}`', [Issue("invalid_body", str(exc), field="rows")]
            ) from None
    if media_type == "multipart/form-data":
        with scratch_dir(settings.data_dir, "predict-") as workdir:
            upload = await receive_file(request, workdir, settings.max_upload_bytes)
            return await asyncio.to_thread(_read_csv, upload.path)
    raise UnsupportedFormat(f"send JSON rows or a multipart CSV file, not {media_type or 'no content type'}")


class ModelController(Controller):
    path = "/api/models"
    tags = ["models"]

    @get("/", summary="Your trained models, newest first")
    async def list_models(self, user: CurrentUser, models: Models, limit: Limit = 50, offset: Offset = 0) -> ModelPage:
        page = await models.list(user.id, limit, offset)
        return ModelPage(items=[ModelOut.of(m) for m in page.items], total=page.total)

    @get("/{model_id:str}", summary="One model, with its features and provenance")
    async def get_model(self, model_id: FromPath[str], user: CurrentUser, models: Models) -> ModelOut:
        return ModelOut.of(await models.get(user.id, model_id))

    @delete("/{model_id:str}", summary="Delete a model and its artifact")
    async def delete_model(self, model_id: FromPath[str], user: CurrentUser, models: Models) -> None:
        await models.delete(user.id, model_id)

    @get(
        "/{model_id:str}/download",
        summary="The fitted pipeline as a skops file",
        media_type="application/octet-stream",
    )
    async def download(self, model_id: FromPath[str], user: CurrentUser, models: Models) -> Stream:
        model, chunks = await models.download(user.id, model_id)
        return Stream(
            chunks,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{_filename(model.name)}"'},
        )

    @post(
        "/{model_id:str}/predict",
        status_code=200,
        summary="Predict on rows (JSON) or a CSV file",
        operation_class=PREDICT_BODY,
        request_max_body_size=None,
    )
    async def predict(
        self,
        model_id: FromPath[str],
        request: Request[Any, Any, Any],
        user: CurrentUser,
        models: Models,
        settings: SettingsDep,
    ) -> PredictionsOut:
        rows = await _rows(request, settings)
        predictions = await models.predict(user.id, model_id, rows)
        return PredictionsOut(
            predictions=predictions.predictions,
            probabilities=predictions.probabilities,
            classes=predictions.classes,
        )
