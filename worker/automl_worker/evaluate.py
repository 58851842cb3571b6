"""Scores and predictions. Class labels are codes 0..K-1 throughout; the classes list maps them back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import metrics as M

from automl_core.catalog import CLUSTERING_METRICS, metrics_for, task_family

LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae", "mape", "davies_bouldin"})
SILHOUETTE_SAMPLE = 2000


@dataclass
class Outcome:
    """Predictions for evaluation rows; `proba` for classifiers that have it, else `scores`."""

    rows: np.ndarray
    y: np.ndarray | None
    pred: np.ndarray
    proba: np.ndarray | None = None
    scores: np.ndarray | None = None

    @staticmethod
    def concat(parts: list[Outcome]) -> Outcome:
        def cat(values: Iterable[np.ndarray | None]) -> np.ndarray | None:
            vals = list(values)
            return None if any(v is None for v in vals) else np.concatenate(vals)  # type: ignore[arg-type]

        return Outcome(
            rows=np.concatenate([p.rows for p in parts]),
            y=cat(p.y for p in parts),
            pred=np.concatenate([p.pred for p in parts]),
            proba=cat(p.proba for p in parts),
            scores=cat(p.scores for p in parts),
        )


def first_of_each_row(out: Outcome) -> Outcome:
    """One prediction per row (the first) when repeated folds validated rows more than once."""
    _, first = np.unique(out.rows, return_index=True)
    if len(first) == len(out.rows):
        return out
    keep = np.sort(first)

    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[keep]

    return Outcome(out.rows[keep], pick(out.y), out.pred[keep], pick(out.proba), pick(out.scores))


def predict(
    model: object, X: pd.DataFrame, rows: np.ndarray, y: np.ndarray | None, task: str, n_classes: int
) -> Outcome:
    pred = np.asarray(model.predict(X))  # type: ignore[attr-defined]
    if task_family(task) != "classification":
        return Outcome(rows, y, pred)
    seen = np.asarray(model.classes_)  # type: ignore[attr-defined]
    if hasattr(model, "predict_proba"):
        proba = np.zeros((len(X), n_classes))
        proba[:, seen] = model.predict_proba(X)
        proba /= proba.sum(axis=1, keepdims=True)  # float32 libraries (XGBoost) sum to 1 only roughly
        return Outcome(rows, y, pred, proba=proba)
    raw = np.asarray(model.decision_function(X))  # type: ignore[attr-defined]
    scores = np.full((len(X), n_classes), -np.inf)
    if raw.ndim == 1:
        scores[:, seen[1]] = raw
        scores[:, seen[0]] = -raw
    else:
        scores[:, seen] = raw
    return Outcome(rows, y, pred, scores=scores)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def supervised_metrics(task: str, out: Outcome, names: Iterable[str] | None = None) -> dict[str, float]:
    wanted = list(names or metrics_for(task))
    found: dict[str, float] = {}
    assert out.y is not None
    y, pred = out.y, out.pred
    for name in wanted:
        value = _metric(name, task, y, pred, out)
        if value is not None:
            found[name] = value
    return found


def _metric(name: str, task: str, y: np.ndarray, pred: np.ndarray, out: Outcome) -> float | None:
    if task_family(task) == "regression":
        error = y - pred
        if name == "rmse":
            return _finite(np.sqrt(np.mean(error**2)))
        if name == "mae":
            return _finite(np.mean(np.abs(error)))
        if name == "r2":
            return _finite(M.r2_score(y, pred)) if len(y) > 1 else None
        if name == "mape":
            return _finite(M.mean_absolute_percentage_error(y, pred))
        return None
    simple = {
        "accuracy": lambda: M.accuracy_score(y, pred),
        "balanced_accuracy": lambda: M.balanced_accuracy_score(y, pred),
        "precision_macro": lambda: M.precision_score(y, pred, average="macro", zero_division=0),
        "recall_macro": lambda: M.recall_score(y, pred, average="macro", zero_division=0),
        "f1_macro": lambda: M.f1_score(y, pred, average="macro", zero_division=0),
        "f1_weighted": lambda: M.f1_score(y, pred, average="weighted", zero_division=0),
    }
    if name in simple:
        return _finite(simple[name]())
    k = (out.proba if out.proba is not None else out.scores).shape[1]  # type: ignore[union-attr]
    if name == "log_loss":
        if out.proba is None:
            return None
        return _finite(M.log_loss(y, np.clip(out.proba, 1e-15, 1), labels=list(range(k))))
    if name == "roc_auc":
        return roc_auc(y, out.proba if out.proba is not None else out.scores, k)
    return None


def roc_auc(y: np.ndarray, scores: np.ndarray | None, k: int) -> float | None:
    if scores is None or len(np.unique(y)) < 2:
        return None
    if k == 2:
        return _finite(M.roc_auc_score(y, scores[:, 1]))
    present = np.unique(y)
    if len(present) < k:
        return None
    proba = scores if np.all(np.isfinite(scores)) else None
    if proba is None:
        return None
    proba = proba / proba.sum(axis=1, keepdims=True).clip(1e-15)
    return _finite(M.roc_auc_score(y, proba, multi_class="ovr", average="macro"))


def clustering_metrics(
    Xt: np.ndarray, labels: np.ndarray, seed: int, names: Iterable[str] | None = None
) -> dict[str, float]:
    wanted = set(names or CLUSTERING_METRICS)
    n_labels = len(np.unique(labels))
    if not 2 <= n_labels < len(labels):
        return {}
    found: dict[str, float] = {}
    if "silhouette" in wanted:
        sample = min(SILHOUETTE_SAMPLE, len(labels))
        found["silhouette"] = float(M.silhouette_score(Xt, labels, sample_size=sample, random_state=seed))
    if "davies_bouldin" in wanted:
        found["davies_bouldin"] = float(M.davies_bouldin_score(Xt, labels))
    if "calinski_harabasz" in wanted:
        found["calinski_harabasz"] = float(M.calinski_harabasz_score(Xt, labels))
    return found


def score(metric: str, task: str, out: Outcome) -> float:
    """One metric for the search; NaN when it cannot be computed on these rows."""
    value = supervised_metrics(task, out, [metric]).get(metric)
    return float("nan") if value is None else value


def mean_metrics(parts: list[dict[str, float]]) -> dict[str, float]:
    names = {k for p in parts for k in p}
    return {k: float(np.mean([p[k] for p in parts if k in p])) for k in sorted(names)}
