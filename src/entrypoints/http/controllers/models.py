"""Trained models: browse, download (skops), delete, and predict on JSON rows or a CSV file."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import OpenAPIMediaType, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream

from automl_core.errors import InvalidInput, UnsupportedFormat
from automl_core.issues import Issue
from automl_core.models import Predictions, row_schema
from automl_core.services.models import ModelService
from entrypoints.http.dependencies import CurrentUser, Models, SettingsDep
from entrypoints.http.hooks import check_json_body
from entrypoints.http.limits import PREDICT
from entrypoints.http.model_openapi import model_openapi
from entrypoints.http.openapi import BINARY_FILE, form, with_request_body
from entrypoints.http.params import Limit, Offset
from entrypoints.http.predict_csv import predict_csv
from entrypoints.http.schemas import ExplanationOut, ModelOut, ModelPage, PredictIn, PredictionsOut
from entrypoints.http.uploads import read_body, receive_file, scratch_dir
from entrypoints.settings import Settings

MAX_JSON_BYTES = 32 * 1024 * 1024
"""JSON rows are read whole to decode them; a bigger batch goes as a (streamed) CSV file."""


PREDICT_BODY = with_request_body(
    "Rows as JSON `{rows: [{feature: value}]}`, or a CSV file as the multipart part `file`. Each row follows "
    "the model's own row schema, `GET /api/models/{model_id}/schema`; `GET /api/models/{model_id}/openapi.json` "
    "is this operation for one model with that schema embedded (models are private and change with every run, "
    "so the shared document cannot list them). `?explain=true` adds each row's SHAP values (at most 100 rows).",
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


def _filename(name: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    return f"{stem[:80]}.{extension}"


async def _predictions(
    request: Request[Any, Any, Any],
    settings: Settings,
    models: ModelService,
    owner_id: str,
    model_id: str,
    explain: bool = False,
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
        return await models.predict(owner_id, model_id, rows, explain=explain)
    if media_type == "multipart/form-data":
        if explain:
            issue = Issue("explain_needs_rows", "send the rows to explain as JSON (at most 100)", field="explain")
            raise InvalidInput("explanations are given for JSON rows, not for a CSV file", [issue])
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
        summary="The fitted pipeline as a skops file, or as ONNX (409 with the reason when it has none)",
        media_type="application/octet-stream",
    )
    async def download(
        self,
        model_id: FromPath[str],
        user: CurrentUser,
        models: Models,
        file_format: Annotated[Literal["skops", "onnx"], QueryParameter(name="format")] = "skops",
    ) -> Stream:
        model, chunks = await models.download(user.id, model_id, file_format)
        return Stream(
            chunks,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{_filename(model.name, file_format)}"'},
        )

    @get("/{model_id:str}/explanations", summary="Global SHAP explanation computed on held-out rows in the run")
    async def explanations(self, model_id: FromPath[str], user: CurrentUser, models: Models) -> ExplanationOut:
        return msgspec.convert(await models.explanation(user.id, model_id), ExplanationOut)

    @get("/{model_id:str}/schema", summary="JSON Schema of one prediction row", media_type="application/schema+json")
    async def schema(self, model_id: FromPath[str], user: CurrentUser, models: Models) -> dict[str, Any]:
        model = await models.get(user.id, model_id)
        return row_schema(model.name, model.features)

    @get(
        "/{model_id:str}/openapi.json",
        summary="An OpenAPI document for predicting with this model, its row schema embedded in the body",
    )
    async def openapi(
        self, model_id: FromPath[str], request: Request[Any, Any, Any], user: CurrentUser, models: Models
    ) -> dict[str, Any]:
        model = await models.get(user.id, model_id)
        return model_openapi(model, str(request.base_url).rstrip("/"))

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
        explain: FromQuery[bool] = False,
    ) -> PredictionsOut:
        predictions = await _predictions(request, settings, models, user.id, model_id, explain)
        return msgspec.convert(msgspec.to_builtins(predictions), PredictionsOut)
