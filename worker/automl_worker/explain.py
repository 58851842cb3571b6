"""SHAP explanations in the user's own columns, for any fitted branch pipeline.

A pipeline is split into units (one model, or each member of a voting ensemble) that share the
branch's preprocessing. A tree model whose inputs each come from one user column (one-hot outputs,
imputed, scaled, selected columns) is explained exactly by TreeExplainer and its contributions are
summed back onto those columns. Anything else (linear models, kNN, SVMs, PCA or polynomial steps in
front of a tree) is explained as a function of the user's columns by Kernel SHAP,
which masks a column with values of a small background sample of training rows. An ensemble's
explanation is its members' weighted sum, each member explained in the ensemble's output space
(probability for classifiers, the value for regressors), so contributions always add up with the
base value to the explained output.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shap  # at import (seconds): warm worker processes pay it once, never inside a budget
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.feature_selection import SelectKBest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

BACKGROUND_ROWS = 10
"""Training rows the model-agnostic explainer masks with: its cost grows linearly with them."""
GLOBAL_ROWS = 100
"""Held-out rows explained for a model's global explanation (the sample the UI plots) by trees..."""
KERNEL_ROWS = 20
"""...and by Kernel SHAP (tens of milliseconds a row: it runs the model on coalitions x background rows)."""
KERNEL_COALITIONS = 64
"""Column coalitions Kernel SHAP evaluates per row (all of them when there are fewer): additivity is
exact for any count, the variance of each value falls with more."""
BATCH = 10
TREE_CLASSES = (
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "LGBMClassifier",
    "LGBMRegressor",
    "XGBClassifier",
    "XGBRegressor",
    "CatBoostClassifier",
    "CatBoostRegressor",
)
PROBABILITY_TREES = frozenset(n for n in TREE_CLASSES[:6] if n.endswith("Classifier"))
"""Tree classifiers whose raw output (what TreeExplainer explains) is the class probability."""
TREE_METHOD = "shap.TreeExplainer"
KERNEL_METHOD = "shap.KernelExplainer"


@dataclass
class Contributions:
    """Per-row SHAP values over the user's columns: `base[i] + values[i].sum() == output[i]`."""

    base: np.ndarray
    """(n, C): one base value per row and output (a class, or the one regression value)."""
    values: np.ndarray
    """(n, M, C) over the M user columns."""
    method: str
    output: str
    """What is explained: probability, log_odds, decision or value."""

    def of_class(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Base values (n,) and contributions (n, M) of one output per row (the predicted class)."""
        rows = np.arange(len(chosen))
        return self.base[rows, chosen], self.values[rows, :, chosen]


@dataclass
class _Unit:
    weight: float
    steps: list[Any]
    model: Any


class Explainer:
    """Explains a fitted branch pipeline's rows in its user columns (features in training order)."""

    def __init__(
        self, pipeline: Pipeline, features: Sequence[tuple[str, str]], n_classes: int, background: pd.DataFrame
    ) -> None:
        self.features = list(features)
        self.n_classes = n_classes
        self.background = background
        prefix = [step for _, step in pipeline.steps[:-1]]
        head = pipeline.steps[-1][1]
        self.ensemble = isinstance(head, VotingClassifier | VotingRegressor)
        if self.ensemble:
            members = [m for m in head.estimators_]
            weights = np.asarray(head.weights if head.weights is not None else [1.0] * len(members), dtype=float)
            weights = weights / weights.sum()
            self.units = [_Unit(float(w), prefix + _steps(m), _model(m)) for w, m in zip(weights, members, strict=True)]
        else:
            self.units = [_Unit(1.0, prefix + _steps(head), _model(head))]
        self._codes = _Codes(self.features, background)
        self._groupings = [self._tree_grouping(u) for u in self.units]

    @property
    def exact(self) -> bool:
        """Every unit is explained by TreeExplainer (fast): the global sample can be larger."""
        return all(g is not None for g in self._groupings)

    def _tree_grouping(self, unit: _Unit) -> np.ndarray | None:
        name = type(unit.model).__name__
        wanted = ("probability" if self.n_classes else "value") if self.ensemble else None
        if name not in TREE_CLASSES or wanted not in (None, _tree_output(name, self.n_classes)):
            return None
        return _grouping(unit.steps, [n for n, _ in self.features], self.background.iloc[:1])

    def explain(self, X: pd.DataFrame) -> Contributions:
        parts = [self._unit(u, g, X) for u, g in zip(self.units, self._groupings, strict=True)]
        methods = sorted({p.method for p in parts})
        if not self.ensemble:
            return parts[0]
        base = sum(u.weight * p.base for u, p in zip(self.units, parts, strict=True))
        values = sum(u.weight * p.values for u, p in zip(self.units, parts, strict=True))
        method = f"weighted sum of members ({' + '.join(methods)})"
        return Contributions(np.asarray(base), np.asarray(values), method, parts[0].output)

    def _unit(self, unit: _Unit, grouping: np.ndarray | None, X: pd.DataFrame) -> Contributions:
        if grouping is not None:
            found = _tree(unit, X, grouping, self.n_classes)
            if found is not None:
                return Contributions(*found, TREE_METHOD, _tree_output(type(unit.model).__name__, self.n_classes))
        return self._kernel(unit, X)

    def _kernel(self, unit: _Unit, X: pd.DataFrame) -> Contributions:
        output, fn = _output_fn(unit, self.n_classes)

        def predict(codes: np.ndarray) -> np.ndarray:
            return fn(self._codes.decode(codes))

        M = len(self.features)
        explainer = shap.KernelExplainer(predict, self._codes.encode(self.background), link="identity", seed=0)
        coalitions = min(2**M - 2, max(KERNEL_COALITIONS, 2 * M + 2)) if M > 1 else 2
        values = np.asarray(
            explainer.shap_values(self._codes.encode(X), nsamples=coalitions, l1_reg=False, silent=True), dtype=float
        )
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        if values.ndim == 2:
            values = values[:, :, None]
        base = np.broadcast_to(expected, (len(X), len(expected))).copy()
        values, base = _expand(values, base, self.n_classes)
        return Contributions(base, values, KERNEL_METHOD, output)


def _expand(values: np.ndarray, base: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A binary model's single margin becomes two outputs: the negative one is class 0's."""
    if n_classes == 2 and values.shape[2] == 1:
        return np.concatenate([-values, values], axis=2), np.concatenate([-base, base], axis=1)
    return values, base


def _tree_output(name: str, n_classes: int) -> str:
    if not n_classes:
        return "value"
    return "probability" if name in PROBABILITY_TREES else "log_odds"


def _steps(head: Any) -> list[Any]:
    return [s for _, s in head.steps[:-1]] if isinstance(head, Pipeline) else []


def _model(head: Any) -> Any:
    return head.steps[-1][1] if isinstance(head, Pipeline) else head


def _transform(steps: Sequence[Any], X: pd.DataFrame) -> Any:
    for step in steps:
        X = step.transform(X)
    return X


def _output_fn(unit: _Unit, n_classes: int) -> tuple[str, Callable[[pd.DataFrame], np.ndarray]]:
    """What Kernel SHAP explains for this unit: probabilities over all K classes, a
    decision function, or the regression value."""
    model = unit.model
    if not n_classes:
        return "value", lambda X: np.asarray(model.predict(_transform(unit.steps, X)), dtype=float)
    seen = np.asarray(model.classes_, dtype=int)
    if hasattr(model, "predict_proba"):

        def proba(X: pd.DataFrame) -> np.ndarray:
            full = np.zeros((len(X), n_classes))
            full[:, seen] = model.predict_proba(_transform(unit.steps, X))
            return full

        return "probability", proba

    def decision(X: pd.DataFrame) -> np.ndarray:
        raw = np.asarray(model.decision_function(_transform(unit.steps, X)), dtype=float)
        if raw.ndim == 1:
            return raw[:, None]
        full = np.zeros((len(X), n_classes))
        full[:, seen] = raw
        return full

    return "decision", decision


def _tree(unit: _Unit, X: pd.DataFrame, grouping: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact tree SHAP values on the model's inputs, summed onto the user columns they come from."""
    try:
        explainer = shap.TreeExplainer(unit.model)
    except Exception:
        return None
    Z = _transform(unit.steps, X)
    raw = np.asarray(explainer.shap_values(Z, check_additivity=False), dtype=float)
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
    if raw.ndim == 2:
        raw = raw[:, :, None]
    values = np.einsum("nfc,fm->nmc", raw, grouping)
    base = np.broadcast_to(expected, (len(X), len(expected))).copy()
    if n_classes and values.shape[2] not in (1, n_classes):
        seen = np.asarray(unit.model.classes_, dtype=int)
        full_v, full_b = np.zeros((len(X), values.shape[1], n_classes)), np.zeros((len(X), n_classes))
        full_v[:, :, seen], full_b[:, seen] = values, base
        values, base = full_v, full_b
    values, base = _expand(values, base, n_classes)
    return base, values


def _grouping(steps: Sequence[Any], columns: list[str], probe: pd.DataFrame) -> np.ndarray | None:
    """A (model inputs x user columns) 0/1 matrix when each model input derives from one user column.

    None when a step mixes columns (PCA, polynomial features) or its outputs can't be traced.
    """
    source = {c: c for c in columns}
    for step in steps:
        traced = _trace(step, list(source))
        if traced is None:
            return None
        source = {out: source[src] for out, src in traced}
        probe = step.transform(probe)
        if list(getattr(probe, "columns", [])) != list(source):
            return None
    index = {c: i for i, c in enumerate(columns)}
    matrix = np.zeros((len(source), len(columns)))
    for row, src in enumerate(source.values()):
        matrix[row, index[src]] = 1.0
    return matrix


def _trace(step: Any, inputs: list[str]) -> list[tuple[str, str]] | None:
    """(output column, input column) for a column-local step, in output order; None if it mixes."""
    if isinstance(step, Pipeline):
        pairs = [(c, c) for c in inputs]
        for _, inner in step.steps:
            traced = _trace(inner, [out for out, _ in pairs])
            if traced is None:
                return None
            origin = dict(pairs)
            pairs = [(out, origin[src]) for out, src in traced]
        return pairs
    if isinstance(step, ColumnTransformer):
        pairs = []
        for _, inner, cols in step.transformers_:
            names = [inputs[c] if isinstance(c, int | np.integer) else c for c in np.atleast_1d(cols).tolist()]
            if isinstance(inner, str):
                pairs += [] if inner == "drop" else [(c, c) for c in names]
                continue
            traced = _trace(inner, names)
            if traced is None:
                return None
            pairs += traced
        return pairs
    if isinstance(step, SelectKBest):
        return [(c, c) for c, keep in zip(inputs, step.get_support(), strict=True) if keep]
    if isinstance(step, OneHotEncoder):
        outputs = list(step.get_feature_names_out(inputs))
        counts = [
            len(cats) - len(infrequent if infrequent is not None else []) + (infrequent is not None)
            for cats, infrequent in zip(step.categories_, _infrequent(step), strict=True)
        ]
        if sum(counts) != len(outputs):
            return None
        owners = [c for c, n in zip(inputs, counts, strict=True) for _ in range(n)]
        return list(zip(outputs, owners, strict=True))
    if isinstance(step, str):
        return None
    try:
        outputs = list(step.get_feature_names_out(inputs))
    except Exception:
        return None
    return list(zip(outputs, inputs, strict=True)) if outputs == inputs else None


def _infrequent(encoder: OneHotEncoder) -> list[Any]:
    found = getattr(encoder, "infrequent_categories_", None)
    return list(found) if found is not None else [None] * len(encoder.categories_)


class _Codes:
    """User rows as the numeric matrix the model-agnostic explainer masks: text becomes category codes."""

    def __init__(self, features: Sequence[tuple[str, str]], background: pd.DataFrame) -> None:
        self.features = list(features)
        self.categories: dict[str, list[Any]] = {}
        for name, dtype in self.features:
            if dtype == "string":
                self.categories[name] = sorted({v for v in background[name] if isinstance(v, str)})

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        columns = []
        for name, _ in self.features:
            if name in self.categories:
                known = self.categories[name]
                for v in X[name]:
                    if isinstance(v, str) and v not in known:
                        known.append(v)
                lookup = {v: i for i, v in enumerate(known)}
                columns.append([lookup.get(v, -1) if isinstance(v, str) else -1 for v in X[name]])
            else:
                columns.append(X[name].to_numpy(dtype=np.float64))
        return np.asarray(columns, dtype=np.float64).T

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for j, (name, _) in enumerate(self.features):
            if name in self.categories:
                known = np.asarray([*self.categories[name], np.nan], dtype=object)
                idx = codes[:, j].astype(int)
                data[name] = known[np.where(idx < 0, len(known) - 1, idx)]
            else:
                data[name] = codes[:, j]
        return pd.DataFrame(data)


def explain_rows(
    explainer: Explainer, X: pd.DataFrame, codes: np.ndarray | None, deadline: float = math.inf
) -> tuple[Contributions, np.ndarray, np.ndarray, int]:
    """Rows explained in batches until the deadline (at least one batch): everything, then the base
    values and contributions of each row's predicted class (`codes`; None for regression) and the count."""
    done: list[Contributions] = []
    count = 0
    while count < len(X) and (not done or time.monotonic() < deadline):
        done.append(explainer.explain(X.iloc[count : count + BATCH]))
        count = min(len(X), count + BATCH)
    merged = Contributions(
        np.concatenate([d.base for d in done]),
        np.concatenate([d.values for d in done]),
        done[0].method,
        done[0].output,
    )
    chosen = np.zeros(count, dtype=int) if codes is None else codes[:count]
    base, values = merged.of_class(chosen)
    return merged, base, values, count


def json_value(value: Any) -> Any:
    """A cell as JSON: NaN and None become null, numpy scalars plain numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return json_value(value.item())
    return value


def background_rows(X: pd.DataFrame, seed: int) -> list[list[Any]]:
    """The training rows the model-agnostic explainer masks with, stored with the model for predict."""
    picked = X.sample(min(BACKGROUND_ROWS, len(X)), random_state=seed) if len(X) else X
    return [[json_value(v) for v in row] for row in picked.itertuples(index=False)]


def background_frame(rows: Sequence[Sequence[Any]], features: Sequence[tuple[str, str]]) -> pd.DataFrame:
    names = [n for n, _ in features]
    frame = pd.DataFrame([list(r) for r in rows], columns=names)
    for name, dtype in features:
        if dtype == "string":
            frame[name] = frame[name].astype(object).where(frame[name].notna(), np.nan)
        else:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    return frame


def global_explanation(
    pipeline: Pipeline,
    features: Sequence[tuple[str, str]],
    n_classes: int,
    held_out: pd.DataFrame,
    background: pd.DataFrame,
    seed: int,
    deadline: float = math.inf,
) -> dict[str, Any]:
    """Mean |SHAP| per user column over a sample of held-out rows, and that sample's values."""
    explainer = Explainer(pipeline, features, n_classes, background)
    size = GLOBAL_ROWS if explainer.exact else KERNEL_ROWS
    sample = held_out.sample(min(size, len(held_out)), random_state=seed).sort_index()
    codes = np.asarray(pipeline.predict(sample), dtype=int) if n_classes else None
    merged, base, values, count = explain_rows(explainer, sample, codes, deadline)
    names = [n for n, _ in features]
    mean_abs = np.abs(values).mean(axis=0)
    ranked = sorted(zip(names, mean_abs.tolist(), strict=True), key=lambda p: -p[1])
    return {
        "method": merged.method,
        "output": merged.output,
        "features": [{"name": n, "mean_abs": round(v, 6)} for n, v in ranked],
        "sample": {
            "columns": names,
            "rows": [
                {n: json_value(v) for n, v in zip(names, row, strict=True)}
                for row in sample.iloc[:count].itertuples(index=False)
            ],
            "values": np.round(values, 6).tolist(),
            "base_values": np.round(base, 6).tolist(),
        },
    }
