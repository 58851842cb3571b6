"""Tables as the engine sees them: read from Parquet, typed with the domain's logical dtypes.

Numeric and boolean columns become float64 and text becomes object (NaN for missing), the same
normalisation `frame_from_rows` applies at prediction time, so a fitted pipeline sees one layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from automl_core.datasets import NUMERIC, Column, DatasetSchema
from automl_worker.errors import PredictionError

FEATURE_DTYPES = frozenset({"integer", "float", "boolean", "string"})
"""Logical dtypes a pipeline takes; other columns (dates, nested values) are left out and logged."""


def logical_dtype(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float"
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
        or pa.types.is_dictionary(arrow_type)
    ):
        return "string"
    if pa.types.is_temporal(arrow_type):
        return "datetime"
    return "other"


@dataclass(frozen=True)
class Table:
    arrow: pa.Table
    dtypes: dict[str, str]

    @classmethod
    def read(cls, path: Path) -> Table:
        arrow = pq.read_table(path)
        return cls(arrow, {f.name: logical_dtype(f.type) for f in arrow.schema})

    def schema(self, dataset_id: str) -> DatasetSchema:
        columns = [
            Column(
                name=name,
                dtype=dtype,
                missing=self.arrow.column(name).null_count,
                unique=pc.count_distinct(self.arrow.column(name), mode="all").as_py(),
            )
            for name, dtype in self.dtypes.items()
        ]
        return DatasetSchema(id=dataset_id, row_count=self.arrow.num_rows, columns=columns)

    def features(self, names: Sequence[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {name: _normalise(self.arrow.column(name), self.dtypes[name]) for name in names},
            index=pd.RangeIndex(self.arrow.num_rows),
        )

    def values(self, name: str) -> np.ndarray:
        """A column's raw values (object array for text, None for missing)."""
        return np.asarray(self.arrow.column(name).to_pylist(), dtype=object)


def _normalise(column: pa.ChunkedArray, dtype: str) -> np.ndarray:
    if dtype in NUMERIC or dtype == "boolean":
        return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    values = np.asarray(column.to_pylist(), dtype=object)
    values[pd.isna(values)] = np.nan
    return values


def frame_from_rows(rows: Sequence[Mapping[str, Any]], features: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Prediction input in the training layout; a value that cannot be read raises naming row and column."""
    data: dict[str, list[Any]] = {name: [] for name, _ in features}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise PredictionError("a row is an object of feature values", row=i)
        for name, dtype in features:
            if name not in row:
                raise PredictionError(f"missing feature `{name}` (send null for a missing value)", i, name)
            data[name].append(_cell(row[name], dtype, i, name))
    return pd.DataFrame(
        {name: np.asarray(data[name], dtype=object if dtype == "string" else np.float64) for name, dtype in features}
    )


def _cell(value: Any, dtype: str, row: int, column: str) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if dtype == "string":
        if isinstance(value, bool | int | float | str):
            return str(value)
        raise PredictionError(f"`{column}` takes text", row, column)
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if dtype == "boolean" and text in ("true", "false"):
            return float(text == "true")
        try:
            return float(text) if text else np.nan
        except ValueError:
            raise PredictionError(f"`{column}` takes a number, not {value!r}", row, column) from None
    raise PredictionError(f"`{column}` takes a number", row, column)
