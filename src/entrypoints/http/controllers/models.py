"""Trained models: browse, download (skops), delete, and predict on JSON rows or a CSV file."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import OpenAPIMediaType, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath
from litestar.response import Stream

from automl_core.errors import InvalidInput, UnsupportedFormat
from automl_core.issues import Issue
from automl_core.models import Predictions
from automl_core.services.models import ModelService
from entrypoints.http.dependencies import CurrentUser, Models, SettingsDep
from entrypoints.http.hooks import check_json_body
from entrypoints.http.limits import PREDICT
from entrypoints.http.openapi import BINARY_FILE, form, with_request_body
from entrypoints.http.params import Limit, Offset
from entrypoints.http.predict_csv import predict_csv
from entrypoints.http.schemas import ModelOut, ModelPage, PredictIn, PredictionsOut
from entrypoints.http.uploads import read_body, receive_file, scratch_dir
from entrypoints.settings import Settings

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


async def _predictions(
    request: Request[Any, Any, Any], settings: Settings, models: ModelService, owner_id: str, model_id: str
) -> Predictions:
    media_type, _ = request.content_type
    if media_type == "application/json":
        try:
            body = await read_body(request, MAX_JSON_BYTES)
            check_json_body(body)
            rows = msgspec.json.decode(body, type=PredictIn).rows
        except msgspec.DecodeError as exc:
            raise InvalidInput(
                'send `{"rows": [{feature: value}, ...]}`', [Issue("invalid_body", str(exc), field="rows")]
            ) from None
        return await models.predict(owner_id, model_id, rows)
    if media_type == "multipart/form-data":
        with scratch_dir(settings.data_dir, "predict-") as workdir:
            upload = await receive_file(request, workdir, settings.max_upload_bytes)
            return await predict_csv(models, owner_id, model_id, upload.path)
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
        opt=PREDICT,
    )
    async def predict(
        self,
        model_id: FromPath[str],
        request: Request[Any, Any, Any],
        user: CurrentUser,
        models: Models,
        settings: SettingsDep,
    ) -> PredictionsOut:
        predictions = await _predictions(request, settings, models, user.id, model_id)
        return PredictionsOut(
            predictions=predictions.predictions,
            probabilities=predictions.probabilities,
            classes=predictions.classes,
        )
