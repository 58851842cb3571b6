"""Plot data (never images): what the frontend draws, thinned to a few hundred points per curve."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as M
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance

from automl_worker.evaluate import Outcome

MAX_POINTS = 300
IMPORTANCE_ROWS = 2000
IMPORTANCE_REPEATS = 5


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    n = len(arrays[0])
    keep = np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).astype(int)) if n else np.array([], dtype=int)
    return [np.round(a[keep].astype(float), 6).tolist() for a in arrays]


def _sample(n: int, seed: int) -> np.ndarray:
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_POINTS, replace=False))


def confusion(out: Outcome, classes: Sequence[Any]) -> dict[str, Any]:
    matrix = M.confusion_matrix(out.y, out.pred, labels=list(range(len(classes))))
    return {"labels": list(classes), "matrix": matrix.tolist()}


def _per_class(
    out: Outcome, classes: Sequence[Any], curve: Callable[[np.ndarray, np.ndarray], dict[str, Any]]
) -> dict[str, Any]:
    scores = out.proba if out.proba is not None else out.scores
    assert scores is not None and out.y is not None
    targets = [1] if len(classes) == 2 else range(len(classes))
    found = []
    for k in targets:
        truth = (out.y == k).astype(int)
        if 0 < truth.sum() < len(truth) and np.all(np.isfinite(scores[:, k])):
            found.append({"label": classes[k], **curve(truth, scores[:, k])})
    return {"curves": found}


def roc(out: Outcome, classes: Sequence[Any]) -> dict[str, Any]:
    def curve(truth: np.ndarray, s: np.ndarray) -> dict[str, Any]:
        fpr, tpr, _ = M.roc_curve(truth, s)
        x, y = _thin(fpr, tpr)
        return {"fpr": x, "tpr": y, "auc": float(M.auc(fpr, tpr))}

    return _per_class(out, classes, curve)


def pr(out: Outcome, classes: Sequence[Any]) -> dict[str, Any]:
    def curve(truth: np.ndarray, s: np.ndarray) -> dict[str, Any]:
        precision, recall, _ = M.precision_recall_curve(truth, s)
        r, p = _thin(recall[::-1], precision[::-1])
        return {"recall": r, "precision": p, "average_precision": float(M.average_precision_score(truth, s))}

    return _per_class(out, classes, curve)


def calibration(out: Outcome, classes: Sequence[Any]) -> dict[str, Any] | None:
    if out.proba is None:
        return None

    def curve(truth: np.ndarray, p: np.ndarray) -> dict[str, Any]:
        observed, predicted = calibration_curve(truth, p, n_bins=10, strategy="uniform")
        return {"predicted": predicted.round(6).tolist(), "observed": observed.round(6).tolist()}

    return _per_class(out, classes, curve)


def actual_vs_predicted(out: Outcome, seed: int) -> dict[str, Any]:
    assert out.y is not None
    pick = _sample(len(out.y), seed)
    return {"actual": np.round(out.y[pick], 6).tolist(), "predicted": np.round(out.pred[pick], 6).tolist()}


def residuals(out: Outcome, seed: int) -> dict[str, Any]:
    assert out.y is not None
    pick = _sample(len(out.y), seed)
    resid = out.y - out.pred
    counts, edges = np.histogram(resid, bins=30)
    return {
        "predicted": np.round(out.pred[pick], 6).tolist(),
        "residual": np.round(resid[pick], 6).tolist(),
        "histogram": {"counts": counts.tolist(), "edges": np.round(edges, 6).tolist()},
    }


def feature_importance(
    model: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    seed: int,
    n_jobs: int,
    rows: int = IMPORTANCE_ROWS,
    repeats: int = IMPORTANCE_REPEATS,
) -> dict[str, Any]:
    """Permutation importance of the raw input columns on (at most `rows`) held-out rows."""
    if len(X) > rows:
        pick = np.random.default_rng(seed).choice(len(X), rows, replace=False)
        X, y = X.iloc[pick], y[pick]
    result = permutation_importance(model, X, y, n_repeats=repeats, random_state=seed, n_jobs=1)
    order = np.argsort(-result.importances_mean)
    return {
        "features": [str(X.columns[i]) for i in order],
        "importance": np.round(result.importances_mean[order], 6).tolist(),
        "std": np.round(result.importances_std[order], 6).tolist(),
    }


def cluster_sizes(labels: np.ndarray) -> dict[str, Any]:
    values, counts = np.unique(labels, return_counts=True)
    return {"clusters": values.tolist(), "sizes": counts.tolist()}
