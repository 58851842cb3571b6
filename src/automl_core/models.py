"""Trained models: what they predict from (feature schema), how well, and where they came from."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from automl_core.issues import Issue


class Feature(msgspec.Struct, frozen=True, omit_defaults=True):
    name: str
    dtype: str
    categories: list[str] | None = None
    """The text values seen in training (a text column with few enough of them): the only ones accepted."""


MAX_CATEGORIES = 200
"""A text column with more distinct values is free text to the row schema (no allowed list)."""

_JSON_TYPES = {"integer": "number", "float": "number", "boolean": "boolean", "string": "string"}


def row_schema(name: str, features: Sequence[Feature]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one prediction row: every feature required, each nullable (imputed)."""
    properties: dict[str, Any] = {}
    for feature in features:
        kind = _JSON_TYPES.get(feature.dtype, "string")
        prop: dict[str, Any] = {"type": [kind, "null"], "x-dtype": feature.dtype}
        if feature.categories is not None:
            prop["enum"] = [*feature.categories, None]
        properties[feature.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"A row for {name}",
        "type": "object",
        "properties": properties,
        "required": [f.name for f in features],
        "additionalProperties": True,
    }


class Provenance(msgspec.Struct, kw_only=True):
    workflow: str
    """The id of the workflow that produced the model."""
    dataset_id: str
    dataset_hash: str
    seed: int
    library_versions: dict[str, str]
    workflow_hash: str = ""


class ModelRecord(msgspec.Struct, kw_only=True):
    id: str
    owner_id: str
    name: str
    run_id: str
    node_id: str
    algorithm: str
    task: str
    target: str | None
    metrics: dict[str, float]
    features: list[Feature]
    classes: list[Any] | None = None
    primary_metric: str | None = None
    """The metric its node optimised (or the task's default): the one to rank models by."""
    created_at: datetime
    provenance: Provenance
    artifact_key: str
    """Blob key of the skops file."""
    onnx_key: str | None = None
    """Blob key of the ONNX file, when the pipeline converts..."""
    onnx_error: str | None = None
    """...else why it does not (None for models trained before ONNX export existed)."""
    explanation: dict[str, Any] | None = None
    """Global SHAP explanation computed in the run: {method, output, features, sample}."""

    @property
    def formats(self) -> list[str]:
        """Download formats this model has."""
        return ["skops", *(["onnx"] if self.onnx_key else [])]


class RowExplanation(msgspec.Struct):
    """SHAP values of one predicted row: base_value + sum(contributions) is the explained raw output."""

    base_value: float
    contributions: dict[str, float]


class Predictions(msgspec.Struct, omit_defaults=True):
    predictions: list[Any]
    probabilities: list[list[float]] | None = None
    classes: list[Any] | None = None
    explanations: list[RowExplanation] | None = None
    output: str | None = None
    """What explanations explain: probability, log_odds, decision (of the predicted class) or value."""


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _coerce(value: Any, dtype: str) -> tuple[Any, str | None]:
    """The value as the feature's type, or why it can't be."""
    if value is None or value == "":
        return None, None
    if dtype in ("integer", "float"):
        if isinstance(value, bool):
            return float(value), None
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return None, f"expected a number, got {value!r}"
        else:
            return None, f"expected a number, got {type(value).__name__}"
        if not math.isfinite(number):
            return None, f"expected a finite number, got {value!r}"
        return number, None
    if dtype == "boolean":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE, None
        return None, f"expected true or false, got {value!r}"
    if isinstance(value, dict | list):
        return None, f"expected a single value, got {type(value).__name__}"
    return (value if isinstance(value, str) else str(value)), None


def check_rows(
    features: Sequence[Feature], rows: Sequence[Any], first_row: int = 0
) -> tuple[list[dict[str, Any]], list[Issue]]:
    """Rows checked against a model's feature schema: coerced rows, or every problem by row and column
    (rows numbered from `first_row`, for a file checked a chunk at a time).

    A missing cell (null or empty) is allowed, as the pipeline imputes; a missing column is not.
    Columns the model does not use are ignored.
    """
    clean: list[dict[str, Any]] = []
    issues: list[Issue] = []
    for index, row in enumerate(rows, start=first_row):
        if not isinstance(row, Mapping):
            issues.append(Issue("invalid_row", "each row is an object of feature: value", row=index))
            continue
        out: dict[str, Any] = {}
        for feature in features:
            if feature.name not in row:
                issues.append(
                    Issue(
                        "missing_column",
                        f"row {index} has no `{feature.name}`",
                        row=index,
                        column=feature.name,
                    )
                )
                continue
            value, problem = _coerce(row[feature.name], feature.dtype)
            if not problem and value is not None and feature.categories is not None and value not in feature.categories:
                shown = ", ".join(feature.categories[:10]) + (", …" if len(feature.categories) > 10 else "")
                problem = f"{value!r} was not seen in training (one of: {shown})"
            if problem:
                issues.append(
                    Issue(
                        "invalid_value",
                        f"row {index}, `{feature.name}`: {problem}",
                        row=index,
                        column=feature.name,
                    )
                )
            out[feature.name] = value
        clean.append(out)
    if not rows:
        issues.append(Issue("no_rows", "send at least one row"))
    return clean, issues
