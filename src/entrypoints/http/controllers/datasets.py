"""Datasets: streamed upload, listing, preview, profile, delete."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery

from automl_core.errors import InvalidInput
from automl_core.issues import Issue
from automl_core.ports import ReadOptions
from entrypoints.http.dependencies import CurrentUser, Datasets, SettingsDep
from entrypoints.http.limits import UPLOAD
from entrypoints.http.openapi import BINARY_FILE, form, with_request_body
from entrypoints.http.params import Limit, Offset
from entrypoints.http.schemas import DatasetOut, DatasetPage, PreviewOut, ProfileOut
from entrypoints.http.uploads import receive_file, scratch_dir, unless_client_leaves

_TEXT = Schema(type=OpenAPIType.STRING)
UPLOAD_BODY = with_request_body(
    "The table (CSV, TSV, Parquet or JSON lines) as `file`, an optional display `name`, and for "
    "delimited text the optional `delimiter`, `encoding`, `skip_rows` (lines before the header) and "
    "`header_row` (`true`|`false`).",
    {
        "multipart/form-data": form(
            ["file"],
            file=BINARY_FILE,
            name=_TEXT,
            delimiter=_TEXT,
            encoding=_TEXT,
            skip_rows=Schema(type=OpenAPIType.INTEGER, minimum=0),
            header_row=Schema(type=OpenAPIType.BOOLEAN),
        )
    },
)
MAX_SKIP_ROWS = 10_000


def read_options(fields: dict[str, str]) -> ReadOptions:
    """The upload's read options from its form fields; a bad one is a 422 naming the field."""

    def bad(name: str, message: str) -> InvalidInput:
        return InvalidInput(message, [Issue("invalid_option", message, field=name)])

    skip = fields.get("skip_rows", "").strip() or "0"
    if not skip.isdigit() or int(skip) > MAX_SKIP_ROWS:
        raise bad("skip_rows", f"skip_rows must be a whole number from 0 to {MAX_SKIP_ROWS}")
    header = fields.get("header_row", "true").strip().lower() or "true"
    if header not in ("true", "false"):
        raise bad("header_row", "header_row must be true or false")
    return ReadOptions(
        delimiter=fields.get("delimiter") or None,
        encoding=fields.get("encoding", "").strip() or None,
        skip_rows=int(skip),
        header_row=header == "true",
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
            options = read_options(upload.fields)
            dataset = await unless_client_leaves(
                request, datasets.upload(user.id, upload.path, upload.filename, name, workdir, upload.size, options)
            )
        return DatasetOut.of(dataset, (await datasets.duplicate_of(user.id)).get(dataset.id))

    @get("/", summary="Your datasets, newest first")
    async def list_datasets(
        self, user: CurrentUser, datasets: Datasets, limit: Limit = 50, offset: Offset = 0
    ) -> DatasetPage:
        page = await datasets.list(user.id, limit, offset)
        copies = await datasets.duplicate_of(user.id)
        return DatasetPage(items=[DatasetOut.of(d, copies.get(d.id)) for d in page.items], total=page.total)

    @get("/{dataset_id:str}", summary="One dataset")
    async def get_dataset(self, dataset_id: FromPath[str], user: CurrentUser, datasets: Datasets) -> DatasetOut:
        dataset = await datasets.get(user.id, dataset_id)
        return DatasetOut.of(dataset, (await datasets.duplicate_of(user.id)).get(dataset.id))

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

    @delete(
        "/{dataset_id:str}",
        summary="Delete a dataset (models trained on it keep working); 409 naming the saved workflows "
        "that use it, unless force=true",
    )
    async def delete_dataset(
        self, dataset_id: FromPath[str], user: CurrentUser, datasets: Datasets, force: FromQuery[bool] = False
    ) -> None:
        await datasets.delete(user.id, dataset_id, force)
