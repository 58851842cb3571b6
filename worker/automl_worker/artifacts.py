"""Model artifacts: skops files (never pickles) holding the fitted pipeline and what it needs to predict.

Loading trusts an explicit, closed allowlist (`automl_worker.allowlist`: the classes the catalog's
nodes write), checked against what the file declares before anything is imported or built. The same
check runs when an artifact arrives from an executor (`verify`, asked by the API through its
`ArtifactVerifier` port) and whenever a model is loaded to predict.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import numpy as np
import skops.io as sio

from automl_core.models import Predictions, RowExplanation
from automl_worker.allowlist import UntrustedArtifact, audit
from automl_worker.data import frame_from_rows
from automl_worker.errors import PredictionError

FORMAT = "automl-worker/1"
LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy", "pandas", "optuna", "lightgbm", "xgboost-cpu", "catboost")


class ArtifactError(ValueError):
    """The bytes are not an artifact this engine wrote, or carry types it does not trust."""


class ModelInfo(msgspec.Struct, kw_only=True):
    algorithm: str
    task: str
    target: str | None
    features: list[tuple[str, str]]
    classes: list[Any] | None
    library_versions: dict[str, str]
    background: list[list[Any]] | None = None
    """A few training rows (None for missing cells): what Kernel SHAP masks with at prediction time."""


def library_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def dump(pipeline: Any, info: ModelInfo) -> bytes:
    bundle = {"format": FORMAT, "pipeline": pipeline, "info": msgspec.to_builtins(info)}
    data: bytes = sio.dumps(bundle, compression=zipfile.ZIP_DEFLATED)
    return data


def load(data: bytes) -> tuple[Any, ModelInfo]:
    """The pipeline and its description; ArtifactError for anything off the allowlist or unreadable."""
    try:
        audit(data)
        # Every type it names passed `audit`; skops re-checks them against its own defaults as well.
        bundle = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    except UntrustedArtifact as exc:
        raise ArtifactError(str(exc)) from None
    except Exception as exc:
        raise ArtifactError(f"not a readable skops artifact: {type(exc).__name__}: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT or not isinstance(bundle.get("info"), dict):
        raise ArtifactError("not an artifact written by this engine")
    try:
        info = msgspec.convert(bundle["info"], ModelInfo)
    except msgspec.ValidationError as exc:
        raise ArtifactError(f"the artifact's model description is not valid: {exc}") from None
    if not hasattr(bundle["pipeline"], "predict"):
        raise ArtifactError("the artifact holds no model that predicts")
    return bundle["pipeline"], info


def verify(data: bytes) -> None:
    """Check an artifact on arrival exactly as prediction will load it (ArtifactError if refused)."""
    load(data)


@functools.lru_cache(maxsize=8)
def _load_recent(data: bytes) -> tuple[Any, ModelInfo]:
    """Loading a forest through skops takes ~1 s; a model being predicted with is usually asked again."""
    return load(data)


def load_model_info(data: bytes) -> ModelInfo:
    return load(data)[1]


def predict(artifact: bytes, rows: Sequence[Mapping[str, Any]], explain: bool = False) -> Predictions:
    """Predictions for JSON rows; raises PredictionError naming the row and column that do not fit."""
    return predict_with(*_load_recent(artifact), rows, explain=explain)


def predict_with(
    pipeline: Any, info: ModelInfo, rows: Sequence[Mapping[str, Any]], explain: bool = False
) -> Predictions:
    """Predictions of a loaded model (see `automl_worker.serving`, which keeps models loaded).

    With `explain`, each row's SHAP values too (of the predicted class for a classifier)."""
    X = frame_from_rows(rows, info.features)
    codes = np.asarray(pipeline.predict(X))
    found = Predictions(predictions=codes.tolist())
    if info.classes is not None:
        found.predictions = [info.classes[int(c)] for c in codes]
        found.classes = list(info.classes)
        if hasattr(pipeline, "predict_proba"):
            full = np.zeros((len(X), len(info.classes)))
            full[:, np.asarray(pipeline.classes_, dtype=int)] = pipeline.predict_proba(X)
            found.probabilities = np.round(full, 6).tolist()
    if explain:
        found.explanations, found.output = _explain(pipeline, info, X)
    return found


def _explain(pipeline: Any, info: ModelInfo, X: Any) -> tuple[list[RowExplanation], str]:
    from automl_worker.explain import Explainer, background_frame, explain_rows

    if not info.background:
        raise PredictionError("this model was trained before explanations existed: retrain it to explain")
    explainer = Explainer(
        pipeline, info.features, len(info.classes or ()), background_frame(info.background, info.features)
    )
    codes = np.asarray(pipeline.predict(X), dtype=int) if info.classes is not None else None
    merged, base, values, _ = explain_rows(explainer, X, codes)
    names = [n for n, _ in info.features]
    rows = [
        RowExplanation(base_value=float(b), contributions=dict(zip(names, v.tolist(), strict=True)))
        for b, v in zip(base, values, strict=True)
    ]
    return rows, merged.output
