"""Model artifacts: skops files (never pickles) holding the fitted pipeline and what it needs to predict.

Loading trusts an explicit allowlist: the types our engine writes, checked against what the file
declares, so a file carrying anything else is refused before it is built.
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

from automl_core.models import Predictions
from automl_worker.data import frame_from_rows

FORMAT = "automl-worker/1"
TRUSTED_PREFIXES = ("sklearn.",)
"""A partial is trusted as a wrapper only: the function it wraps must itself pass this list."""
TRUSTED_TYPES = frozenset(
    {
        "automl_worker.transforms.signed_log1p",
        "automl_worker.transforms.signed_sqrt",
        "builtins.slice",
        "functools.partial",
        "numpy.dtype",
        "numpy.float64",
        "numpy.int64",
        "numpy.ndarray",
        "numpy.random.mtrand.RandomState",
        "scipy.sparse._csr.csr_matrix",
        "scipy.special._ufuncs.expit",
    }
)
LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy", "pandas", "optuna")


class ArtifactError(ValueError):
    """The bytes are not an artifact this engine wrote, or carry types it does not trust."""


class ModelInfo(msgspec.Struct, kw_only=True):
    algorithm: str
    task: str
    target: str | None
    features: list[tuple[str, str]]
    classes: list[Any] | None
    library_versions: dict[str, str]


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
    return sio.dumps(bundle, compression=zipfile.ZIP_DEFLATED)


def trusted_types(data: bytes) -> list[str]:
    """The file's non-default types, if all of them are on our allowlist."""
    declared = sio.get_untrusted_types(data=data)
    refused = [t for t in declared if t not in TRUSTED_TYPES and not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ArtifactError(f"artifact holds types this engine does not trust: {', '.join(sorted(refused))}")
    return declared


def load(data: bytes) -> tuple[Any, ModelInfo]:
    try:
        bundle = sio.loads(data, trusted=trusted_types(data))
    except ArtifactError:
        raise
    except Exception as exc:
        raise ArtifactError(f"not a readable skops artifact: {exc}") from exc
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ArtifactError("not an artifact written by this engine")
    return bundle["pipeline"], msgspec.convert(bundle["info"], ModelInfo)


@functools.lru_cache(maxsize=8)
def _load_recent(data: bytes) -> tuple[Any, ModelInfo]:
    """Loading a forest through skops takes ~1 s; a model being predicted with is usually asked again."""
    return load(data)


def load_model_info(data: bytes) -> ModelInfo:
    return load(data)[1]


def predict(artifact: bytes, rows: Sequence[Mapping[str, Any]]) -> Predictions:
    """Predictions for JSON rows; raises PredictionError naming the row and column that do not fit."""
    return predict_with(*_load_recent(artifact), rows)


def predict_with(pipeline: Any, info: ModelInfo, rows: Sequence[Mapping[str, Any]]) -> Predictions:
    """Predictions of a loaded model (see `automl_worker.serving`, which keeps models loaded)."""
    X = frame_from_rows(rows, info.features)
    codes = np.asarray(pipeline.predict(X))
    if info.classes is None:
        return Predictions(predictions=codes.tolist())
    labels = [info.classes[int(c)] for c in codes]
    proba = None
    if hasattr(pipeline, "predict_proba"):
        full = np.zeros((len(X), len(info.classes)))
        full[:, np.asarray(pipeline.classes_, dtype=int)] = pipeline.predict_proba(X)
        proba = np.round(full, 6).tolist()
    return Predictions(predictions=labels, probabilities=proba, classes=list(info.classes))
