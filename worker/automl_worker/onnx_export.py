"""The fitted pipeline as ONNX, converted once at training time and checked against the model itself.

skl2onnx converts the scikit-learn steps; onnxmltools' converters take LightGBM and XGBoost (CatBoost
has none for a model inside a pipeline).

ONNX outlives library versions: ONNX Runtime (or any ONNX runtime) predicts without scikit-learn.
The graph takes one input per user column (text as strings, everything else as float32; a missing
text value is the string "nan", a missing number NaN), outputs class codes (the metadata's `classes`
names them) and probabilities, or the value. A pipeline whose ONNX predictions differ from its own on
held-out rows is not offered: the reason is kept instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime as rt
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor
from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
from skl2onnx import convert_sklearn, update_registered_converter
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from xgboost import XGBClassifier, XGBRegressor

PROBABILITY_TOLERANCE = 1e-4
CHECK_ROWS = 200
OPSETS = {"": 17, "ai.onnx.ml": 3}
"""onnxmltools' tree converters write the ai.onnx.ml 3 tree ensembles."""

# LightGBM and XGBoost inside a scikit-learn pipeline: onnxmltools' converters, registered with skl2onnx.
for _library_model, _name, _converter in (
    (LGBMClassifier, "LightGbmLGBMClassifier", convert_lightgbm),
    (LGBMRegressor, "LightGbmLGBMRegressor", convert_lightgbm),
    (XGBClassifier, "XGBoostXGBClassifier", convert_xgboost),
    (XGBRegressor, "XGBoostXGBRegressor", convert_xgboost),
):
    _classifier = _name.endswith("Classifier")
    update_registered_converter(
        _library_model,
        _name,
        calculate_linear_classifier_output_shapes if _classifier else calculate_linear_regressor_output_shapes,
        _converter,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]} if _classifier else {"split": None},
    )


class NotConvertible(Exception):
    """Why this pipeline has no ONNX form (shown to the user as the 409 reason)."""


def convert(
    pipeline: Pipeline,
    features: Sequence[tuple[str, str]],
    classes: Sequence[Any] | None,
    metadata: dict[str, Any],
    check: pd.DataFrame,
) -> bytes:
    """ONNX bytes whose predictions match `pipeline` on the `check` rows, or NotConvertible."""
    _refuse_infrequent(pipeline)
    inputs = [
        (name, StringTensorType([None, 1]) if dtype == "string" else FloatTensorType([None, 1]))
        for name, dtype in features
    ]
    try:
        model = convert_sklearn(pipeline, initial_types=inputs, options={"zipmap": False}, target_opset=OPSETS)
    except Exception as exc:
        raise NotConvertible(f"skl2onnx cannot convert this pipeline: {_first_line(exc)}") from None
    for node in model.graph.node:
        if node.op_type == "OneHotEncoder":
            # Unknown categories: scikit-learn's encoders here give all zeros, so must ONNX.
            for attribute in node.attribute:
                if attribute.name == "zeros":
                    attribute.i = 1
    props = {
        **{k: json.dumps(v) for k, v in metadata.items()},
        "features": json.dumps([{"name": n, "dtype": d} for n, d in features]),
        "classes": json.dumps(list(classes) if classes is not None else None, default=str),
    }
    onnx.helper.set_model_props(model, props)
    data: bytes = model.SerializeToString()
    _check(data, pipeline, features, classes is not None, check.iloc[:CHECK_ROWS])
    return data


def _refuse_infrequent(pipeline: Any) -> None:
    for step in _walk(pipeline):
        if type(step).__module__.startswith("catboost"):
            raise NotConvertible("CatBoost has no ONNX converter for a model inside a scikit-learn pipeline")
        if isinstance(step, OneHotEncoder) and any(c is not None for c in step.infrequent_categories_ or []):
            raise NotConvertible("a one-hot encoder groups infrequent categories, which ONNX cannot express")


def _walk(step: Any) -> list[Any]:
    found = [step]
    for attr in ("steps", "transformers_", "estimators_"):
        for item in getattr(step, attr, None) or []:
            inner = item[1] if isinstance(item, tuple) else item
            if not isinstance(inner, str):
                found += _walk(inner)
    return found


def feeds(X: pd.DataFrame, features: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Rows in the ONNX graph's input layout: one (n, 1) column per user column."""
    out = {}
    for name, dtype in features:
        column = X[name]
        if dtype == "string":
            out[name] = column.map(lambda v: v if isinstance(v, str) else "nan").to_numpy(dtype=object).reshape(-1, 1)
        else:
            out[name] = column.to_numpy(dtype=np.float32).reshape(-1, 1)
    return out


def run(data: bytes, X: pd.DataFrame, features: Sequence[tuple[str, str]]) -> list[np.ndarray]:
    session = rt.InferenceSession(data, providers=["CPUExecutionProvider"])
    return list(session.run(None, feeds(X, features)))


def _check(
    data: bytes, pipeline: Pipeline, features: Sequence[tuple[str, str]], classify: bool, X: pd.DataFrame
) -> None:
    try:
        outputs = run(data, X, features)
    except Exception as exc:
        raise NotConvertible(f"ONNX Runtime cannot run the converted pipeline: {_first_line(exc)}") from None
    if classify:
        labels = np.asarray(outputs[0]).ravel()
        if not np.array_equal(labels, np.asarray(pipeline.predict(X)).ravel()):
            raise NotConvertible("the ONNX graph predicts other labels than the model on held-out rows")
        if len(outputs) > 1 and hasattr(pipeline, "predict_proba"):
            gap = np.abs(np.asarray(outputs[1]) - pipeline.predict_proba(X)).max(initial=0.0)
            if gap > PROBABILITY_TOLERANCE:
                raise NotConvertible(f"ONNX probabilities differ from the model's by up to {gap:.2g}")
        return
    values = np.asarray(outputs[0], dtype=np.float64).ravel()
    expected = np.asarray(pipeline.predict(X), dtype=np.float64)
    gap = float(np.abs(values - expected).max(initial=0.0))
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    if gap > PROBABILITY_TOLERANCE * scale:
        raise NotConvertible(f"ONNX predictions differ from the model's by up to {gap:.2g}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
