"""Uploaded tables: their column schema and profile, and the task a target implies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

DType = Literal["integer", "float", "boolean", "string", "datetime", "other"]
"""Logical column types, independent of the storage engine's own type names."""

NUMERIC: frozenset[str] = frozenset({"integer", "float"})

MULTICLASS_MAX_INTEGER_LEVELS = 20
"""An integer target with at most this many distinct values is read as classes, not a quantity."""


class Column(msgspec.Struct, frozen=True):
    name: str
    dtype: str
    missing: int = 0
    unique: int = 0


class HistogramBin(msgspec.Struct, frozen=True):
    start: float
    end: float
    count: int


class TopValue(msgspec.Struct, frozen=True):
    value: Any
    count: int


class ColumnProfile(msgspec.Struct, frozen=True, omit_defaults=True):
    name: str
    dtype: str
    missing: int
    unique: int
    min: float | str | None = None
    max: float | str | None = None
    mean: float | None = None
    std: float | None = None
    top_values: list[TopValue] | None = None
    histogram: list[HistogramBin] | None = None


class Dataset(msgspec.Struct, kw_only=True):
    id: str
    owner_id: str
    name: str
    filename: str
    format: str
    size_bytes: int
    content_hash: str
    row_count: int
    columns: list[Column]
    blob_key: str
    created_at: datetime
    profile: list[ColumnProfile] = msgspec.field(default_factory=list)

    def schema(self) -> DatasetSchema:
        return DatasetSchema(id=self.id, row_count=self.row_count, columns=list(self.columns))


class DatasetSchema(msgspec.Struct, frozen=True):
    """What validation needs to know about a dataset, without touching storage."""

    id: str
    row_count: int
    columns: list[Column]

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


def infer_task(dtype: str, unique: int) -> str:
    """binary / multiclass / regression from a target column's type and number of distinct values.

    Shared by validation and the engine so the canvas and the run never disagree.
    """
    if unique <= 2:
        return "binary"
    if dtype in NUMERIC:
        if dtype == "integer" and unique <= MULTICLASS_MAX_INTEGER_LEVELS:
            return "multiclass"
        return "regression"
    return "multiclass"
