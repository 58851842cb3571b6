"""LightGBM, XGBoost and CatBoost behind the scikit-learn interface, each with its own categorical handling.

The engine's native preparation puts the encoded categorical columns first (ordinal codes, missing and
unseen values as NaN): LightGBM is told their positions, XGBoost their feature types, and CatBoost,
which wants integer or text categories, gets integer codes (missing and unseen as -1; `Prep` encoding
"codes"). Every library runs on one thread, like the engine's other OpenMP code (engine.OPENMP_THREADS).

Fits can stop early twice over: on a validation share of the training rows (early stopping, when there
are enough rows) and at a deadline, both checked after every boosting round.
"""

from __future__ import annotations

import time
from typing import Any, cast

import numpy as np
from sklearn.model_selection import train_test_split

LIBRARY_FAMILIES = ("lightgbm", "xgboost", "catboost")
EARLY_STOPPING_ROWS = 1_000
"""Below this many training rows every round is kept: a validation share would be too small to judge."""
VALIDATION_SHARE = 0.1
PATIENCE = 50
"""Rounds without improvement on the validation share before boosting stops."""


XGB_MAX_CAT_THRESHOLD = 4
"""Categories a split may send one way: XGBoost's default (64) overfits identifier-like columns (R² of
0.45 against 0.87 on mpg, whose `name` column has ~300 values)."""
NATIVE_ENCODING = {"lightgbm": "native", "xgboost": "native", "catboost": "codes"}


def estimator(family: str, p: dict[str, Any], classify: bool, seed: int, categorical: int, n_columns: int) -> Any:
    """The library's estimator for `n_columns` inputs whose first `categorical` hold category codes."""
    cats = list(range(categorical))
    if family == "lightgbm":
        from lightgbm import LGBMClassifier, LGBMRegressor

        lgbm = LGBMClassifier if classify else LGBMRegressor
        return lgbm(
            n_estimators=p["n_estimators"],
            learning_rate=p["learning_rate"],
            num_leaves=p["num_leaves"],
            min_child_samples=p["min_child_samples"],
            reg_lambda=p["reg_lambda"],
            colsample_bytree=p["colsample_bytree"],
            random_state=p.get("seed", seed),
            n_jobs=1,
            verbose=-1,
            # The Dataset's own `categorical_feature` alias: as a constructor param it persists with the model.
            **cast("dict[str, Any]", {"categorical_column": cats} if cats else {}),
        )
    if family == "xgboost":
        from xgboost import XGBClassifier, XGBRegressor

        xgb = XGBClassifier if classify else XGBRegressor
        return xgb(
            n_estimators=p["n_estimators"],
            learning_rate=p["learning_rate"],
            max_depth=p["max_depth"],
            min_child_weight=p["min_child_weight"],
            subsample=p["subsample"],
            colsample_bytree=p["colsample_bytree"],
            reg_lambda=p["reg_lambda"],
            tree_method="hist",
            enable_categorical=bool(cats),
            max_cat_threshold=XGB_MAX_CAT_THRESHOLD,
            **({"feature_types": ["c"] * categorical + ["q"] * (n_columns - categorical)} if cats else {}),
            random_state=p.get("seed", seed),
            n_jobs=1,
        )
    if family == "catboost":
        from catboost import CatBoostClassifier, CatBoostRegressor

        cat = CatBoostClassifier if classify else CatBoostRegressor
        return cat(
            iterations=p["iterations"],
            learning_rate=p["learning_rate"],
            depth=p["depth"],
            l2_leaf_reg=p["l2_leaf_reg"],
            random_seed=p.get("seed", seed),
            thread_count=1,
            verbose=0,
            allow_writing_files=False,
            **({"cat_features": cats} if cats else {}),
        )
    raise ValueError(f"no estimator for {family!r}")


def is_library_model(model: Any) -> bool:
    return type(model).__module__.split(".")[0] in LIBRARY_FAMILIES


def rounds_param(model: Any) -> str:
    return "iterations" if type(model).__module__.startswith("catboost") else "n_estimators"


def fit(model: Any, X: Any, y: Any, deadline: float | None, seed: int = 0) -> dict[str, int] | None:
    """Fit with early stopping on a validation share and a stop at `deadline`; the rounds reached if cut."""
    validate = len(X) >= EARLY_STOPPING_ROWS
    eval_set = None
    if validate:
        stratify = y if _is_classifier(model) and np.bincount(np.asarray(y, dtype=np.int64)).min() >= 2 else None
        train, valid = train_test_split(
            np.arange(len(X)), test_size=VALIDATION_SHARE, random_state=seed, stratify=stratify
        )
        X_fit, y_fit = _rows(X, train), np.asarray(y)[train]
        eval_set = (_rows(X, valid), np.asarray(y)[valid])
    else:
        X_fit, y_fit = X, y
    stopped = [False]
    library = type(model).__module__.split(".")[0]
    if library == "lightgbm":
        _fit_lightgbm(model, X_fit, y_fit, eval_set, deadline, stopped)
    elif library == "xgboost":
        _fit_xgboost(model, X_fit, y_fit, eval_set, deadline, stopped)
    else:
        _fit_catboost(model, X_fit, y_fit, eval_set, deadline, stopped)
    if stopped[0]:
        return {rounds_param(model): _rounds_done(model)}
    return None


def _fit_lightgbm(model: Any, X: Any, y: Any, eval_set: Any, deadline: float | None, stopped: list[bool]) -> None:
    import lightgbm

    def at_deadline(env: Any) -> None:
        if deadline is not None and time.monotonic() >= deadline and env.iteration + 1 < env.end_iteration:
            stopped[0] = True
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

    callbacks: list[Any] = [at_deadline]
    kwargs: dict[str, Any] = {}
    if eval_set is not None:
        callbacks.append(lightgbm.early_stopping(PATIENCE, verbose=False))
        kwargs.update(eval_X=(eval_set[0],), eval_y=(eval_set[1],))
    model.fit(X, y, callbacks=callbacks, **kwargs)


def _fit_xgboost(model: Any, X: Any, y: Any, eval_set: Any, deadline: float | None, stopped: list[bool]) -> None:
    import xgboost

    class AtDeadline(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if deadline is not None and time.monotonic() >= deadline:
                stopped[0] = True
                return True
            return False

    # Callbacks and early stopping are constructor params in XGBoost: set for this fit, cleared after it
    # so the saved model holds neither.
    model.set_params(callbacks=[AtDeadline()], early_stopping_rounds=PATIENCE if eval_set is not None else None)
    try:
        model.fit(X, y, **({"eval_set": [eval_set], "verbose": False} if eval_set is not None else {}))
    finally:
        model.set_params(callbacks=None, early_stopping_rounds=None)


def _fit_catboost(model: Any, X: Any, y: Any, eval_set: Any, deadline: float | None, stopped: list[bool]) -> None:
    class AtDeadline:
        def after_iteration(self, info: Any) -> bool:
            if deadline is not None and time.monotonic() >= deadline:
                stopped[0] = True
                return False
            return True

    kwargs: dict[str, Any] = {"callbacks": [AtDeadline()]}
    if eval_set is not None:
        kwargs.update(eval_set=eval_set, early_stopping_rounds=PATIENCE, use_best_model=True)
    model.fit(X, y, **kwargs)


def _rounds_done(model: Any) -> int:
    library = type(model).__module__.split(".")[0]
    if library == "lightgbm":
        return int(model.booster_.current_iteration())
    if library == "xgboost":
        return int(model.get_booster().num_boosted_rounds())
    return int(model.tree_count_)


def _is_classifier(model: Any) -> bool:
    return "Classifier" in type(model).__name__


def _rows(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]

