"""Datasets: streamed upload, listing, preview, profile, delete."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath

from entrypoints.http.dependencies import CurrentUser, Datasets, SettingsDep
from entrypoints.http.limits import UPLOAD
from entrypoints.http.openapi import BINARY_FILE, form, with_request_body
from entrypoints.http.params import Limit, Offset
from entrypoints.http.schemas import DatasetOut, DatasetPage, PreviewOut, ProfileOut
from entrypoints.http.uploads import receive_file, scratch_dir

UPLOAD_BODY = with_request_body(
    "The table (CSV, TSV, Parquet or JSON lines) as `file`, and an optional display `name`.",
    {"multipart/form-data": form(["file"], file=BINARY_FILE, name=Schema(type=OpenAPIType.STRING))},
)


class DatasetController(Controller):
    path = "/api/datasets"
    tags = ["datasets"]

    @post(
        "/",
        summary="Upload a table (streamed)",
        operation_class=UPLOAD_BODY,
        request_max_body_size=None,
        opt=UPLOAD,
    )
    async def upload(
        self, request: Request[Any, Any, Any], user: CurrentUser, datasets: Datasets, settings: SettingsDep
    ) -> DatasetOut:
        with scratch_dir(settings.data_dir, "upload-") as workdir:
            upload = await receive_file(request, workdir, settings.max_upload_bytes)
            name = upload.fields.get("name")
            dataset = await datasets.upload(user.id, upload.path, upload.filename, name, workdir, upload.size)
        return DatasetOut.of(dataset)

    @get("/", summary="Your datasets, newest first")
    async def list_datasets(
        self, user: CurrentUser, datasets: Datasets, limit: Limit = 50, offset: Offset = 0
    ) -> DatasetPage:
        page = await datasets.list(user.id, limit, offset)
        return DatasetPage(items=[DatasetOut.of(d) for d in page.items], total=page.total)

    @get("/{dataset_id:str}", summary="One dataset")
    async def get_dataset(self, dataset_id: FromPath[str], user: CurrentUser, datasets: Datasets) -> DatasetOut:
        return DatasetOut.of(await datasets.get(user.id, dataset_id))

    @get("/{dataset_id:str}/preview", summary="A page of rows")
    async def preview(
        self,
        dataset_id: FromPath[str],
        user: CurrentUser,
        datasets: Datasets,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PreviewOut:
        preview = await datasets.preview(user.id, dataset_id, limit, offset)
        return PreviewOut(columns=preview.columns, rows=preview.rows, total_rows=preview.total_rows)

    @get("/{dataset_id:str}/profile", summary="Per-column statistics")
    async def profile(self, dataset_id: FromPath[str], user: CurrentUser, datasets: Datasets) -> ProfileOut:
        return ProfileOut(columns=await datasets.profile(user.id, dataset_id))

    @delete("/{dataset_id:str}", summary="Delete a dataset (models trained on it keep working)")
    async def delete_dataset(self, dataset_id: FromPath[str], user: CurrentUser, datasets: Datasets) -> None:
        await datasets.delete(user.id, dataset_id)
