"""Fits that stop at a deadline: boosting and forests grow in steps and keep what they have when time is up.

A fit in progress cannot be interrupted, and on a busy machine one boosting fit can take five times
its usual time, so a budget that only checks between fits is not kept. The iterative families are
therefore fitted by `warm_start` in a few steps (boosting rounds, trees), checking the clock between
steps: past the deadline the fit ends with fewer rounds or trees, a smaller but complete model.
LightGBM, XGBoost and CatBoost check after every round (`boosting.fit`), with early stopping too.
"""

from __future__ import annotations

import time
from typing import Any

from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline

from automl_worker import boosting

STEPS = 6
"""Fits per model: few enough that warm-start overhead stays small, enough that an overrun is a sixth."""
GROWS: dict[type, str] = {
    HistGradientBoostingClassifier: "max_iter",
    HistGradientBoostingRegressor: "max_iter",
    RandomForestClassifier: "n_estimators",
    RandomForestRegressor: "n_estimators",
    ExtraTreesClassifier: "n_estimators",
    ExtraTreesRegressor: "n_estimators",
}


def growth_param(model: Any) -> str | None:
    """The parameter that counts a model's rounds or trees, when it can grow by warm start."""
    return GROWS.get(type(model))


def fit_until(pipeline: Pipeline, X: Any, y: Any, deadline: float | None) -> dict[str, int] | None:
    """Fit `pipeline` on X, y; an iterative last step stops growing at `deadline` (time.monotonic).

    Returns None when the model is complete, else `{param: value}` it reached (its params say so too).
    """
    head = pipeline.steps[-1][1]
    if boosting.is_library_model(head):
        Xt = pipeline[:-1].fit_transform(X, y) if len(pipeline.steps) > 1 else X
        return boosting.fit(head, Xt, y, deadline)
    param = growth_param(head)
    if deadline is None or param is None:
        pipeline.fit(X, y)
        return None
    target = int(getattr(head, param))
    Xt = pipeline[:-1].fit_transform(X, y) if len(pipeline.steps) > 1 else X
    step = max(1, -(-target // STEPS))
    head.set_params(warm_start=True)
    reached = 0
    try:
        while reached < target:
            reached = min(target, reached + step)
            head.set_params(**{param: reached})
            head.fit(Xt, y)
            if getattr(head, "n_iter_", reached) < reached:
                return None  # boosting's own early stopping ended it: complete
            if reached < target and time.monotonic() >= deadline:
                return {param: reached}
        return None
    finally:
        head.set_params(warm_start=False)
