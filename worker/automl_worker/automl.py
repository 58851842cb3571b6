"""The AutoML node: Optuna TPE over preprocessing and model families, then Caruana ensemble selection.

Strong defaults are queued first, so the smallest budget still returns a tuned-by-hand model; TPE
then explores, a median pruner stops trials whose first folds are already poor, and a trial that
would run past the search's deadline is pruned between folds (or, on larger tables, before it
starts). That deadline moves: it is the node's end time less what the refit, evaluation, plots and
artifact of the best model so far are estimated to need (`budget.Plan`). Greedy ensemble selection
with replacement (Caruana et al. 2004) over the out-of-fold predictions of the best trials whose
refit still fits the time left is kept only if it beats the best single model on those predictions.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import optuna
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.model_selection import (
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import Pipeline

from automl_core.catalog import CATALOG, default_metric, task_family
from automl_core.runs import LeaderboardEntry
from automl_worker import memory
from automl_worker.boosting import LIBRARY_FAMILIES, NATIVE_ENCODING
from automl_worker.budget import Clock, Cost, Plan, combined
from automl_worker.evaluate import LOWER_IS_BETTER, Outcome, predict, score
from automl_worker.fitting import Context
from automl_worker.growing import fit_until
from automl_worker.steps import Prep, auto_prep, estimator

REPEATED_BELOW = 2_000
REPEATS = 2
"""Tables under REPEATED_BELOW rows are searched on 5-fold CV repeated REPEATS times: every row is
validated twice, by different models, so the choice among close configurations is less noise."""
SEARCH_ROWS = 50_000
"""Above this many rows the search runs on a sample; the final refit still sees every row."""
SVM_ROWS = 5_000
PROBE_FROM = 1_000
PROBE_ROWS = 2_000
"""Above PROBE_FROM training rows, each trial after the first finished one first fits a sample of
at most PROBE_ROWS rows (a quarter of them on smaller tables): the score feeds the pruner, and the
time, scaled up, says whether the full trial fits in the budget left (a slow forest on a big table
is skipped instead of overrunning). The first trial, the strongest default, is never skipped this
way: the extrapolation overrates boosting's fixed costs."""
RESERVE_CAP = 0.4
"""Room for an ensemble's refit takes at most this share of the budget from the search."""
RESERVE_FIRST = 0.15
"""Share of the budget kept for after the search until a finished trial has measured its costs."""
CALL_PROBE_ROWS = 5
ENSEMBLE_POOL = 15
ENSEMBLE_ROUNDS = 30

CLASSIFICATION_FAMILIES = (
    "hist_gradient_boosting",
    "lightgbm",
    "catboost",
    "xgboost",
    "logistic_regression",
    "random_forest",
    "extra_trees",
    "knn",
    "mlp",
    "svm",
)
REGRESSION_FAMILIES = (
    "hist_gradient_boosting",
    "lightgbm",
    "catboost",
    "xgboost",
    "ridge",
    "random_forest",
    "extra_trees",
    "knn",
    "mlp",
    "svm",
)


@dataclass(frozen=True)
class Candidate:
    """A preprocessing + model configuration; builds an unfitted pipeline for a given table."""

    family: str
    params: dict[str, Any]
    prep: Prep

    def build(self, X: pd.DataFrame, task: str, seed: int, n_jobs: int) -> Pipeline:
        prep, native = auto_prep(X, self.prep)
        params = dict(self.params)
        if native:
            params["categorical_features"] = native
        model: Any = estimator(self.family, params, task, seed, n_jobs, X.shape[1])
        if self.family == "ridge" and task_family(task) == "classification":
            model = CalibratedClassifierCV(model, cv=3)
        return Pipeline([*([("prep", prep)] if prep is not None else []), ("model", model)])

    def describe(self) -> dict[str, Any]:
        shown = {k: v for k, v in self.params.items() if k != "seed"}
        return {**shown, "encoding": self.prep.encoding, "scale": self.prep.scale}


def _space(trial: optuna.Trial | optuna.trial.FixedTrial, family: str, classify: bool) -> Candidate:
    """The search space per family; parameter names carry the family so TPE keeps them apart."""
    s = trial
    params: dict[str, Any]
    if family == "hist_gradient_boosting":
        params = {
            "learning_rate": s.suggest_float("hgb_learning_rate", 0.01, 0.3, log=True),
            "max_iter": s.suggest_int("hgb_max_iter", 50, 500, log=True),
            "max_leaf_nodes": s.suggest_int("hgb_max_leaf_nodes", 8, 128, log=True),
            "min_samples_leaf": s.suggest_int("hgb_min_samples_leaf", 5, 100, log=True),
            "l2_regularization": s.suggest_float("hgb_l2_regularization", 1e-6, 10.0, log=True),
            "max_features": s.suggest_float("hgb_max_features", 0.3, 1.0),
        }
        return Candidate(family, params, Prep(impute=False, encoding="native"))
    if family in LIBRARY_FAMILIES:
        return Candidate(family, _library_space(s, family), Prep(impute=False, encoding=NATIVE_ENCODING[family]))
    if family == "decision_tree":
        params = {
            "max_depth": s.suggest_int("dt_max_depth", 2, 30, log=True),
            "min_samples_leaf": s.suggest_int("dt_min_samples_leaf", 1, 50, log=True),
        }
        return Candidate(family, params, Prep(encoding="ordinal"))
    if family in ("random_forest", "extra_trees"):
        key = "rf" if family == "random_forest" else "et"
        params = {
            "n_estimators": s.suggest_int(f"{key}_n_estimators", 50, 300, log=True),
            "max_features": s.suggest_float(f"{key}_max_features", 0.05, 1.0),
            "min_samples_leaf": s.suggest_int(f"{key}_min_samples_leaf", 1, 20, log=True),
            "max_depth": None,
        }
        return Candidate(family, params, Prep(encoding="ordinal"))
    scale = s.suggest_categorical(f"{family}_scale", ["standard", "quantile"]) if family != "naive_bayes" else "none"
    prep = Prep(scale=scale)
    if family == "logistic_regression":
        params = {"C": s.suggest_float("lr_C", 1e-3, 1e3, log=True), "max_iter": 1000, "class_weight": "none"}
    elif family in ("ridge", "lasso"):
        params = {"alpha": s.suggest_float(f"{family}_alpha", 1e-4, 1e3, log=True), "max_iter": 5000}
    elif family == "linear_regression":
        params = {"fit_intercept": True}
    elif family == "knn":
        params = {
            "n_neighbors": s.suggest_int("knn_n_neighbors", 1, 50, log=True),
            "weights": s.suggest_categorical("knn_weights", ["uniform", "distance"]),
        }
    elif family == "mlp":
        params = {
            "hidden_units": s.suggest_int("mlp_hidden_units", 16, 256, log=True),
            "layers": s.suggest_int("mlp_layers", 1, 2),
            "alpha": s.suggest_float("mlp_alpha", 1e-6, 1e-1, log=True),
            "max_iter": 300,
            "early_stopping": True,
        }
    elif family == "svm":
        params = {
            "C": s.suggest_float("svm_C", 1e-2, 1e3, log=True),
            "kernel": "rbf",
            "gamma": "scale",
            "probability": classify,
        }
    elif family == "naive_bayes":
        params = {"var_smoothing": s.suggest_float("nb_var_smoothing", 1e-12, 1e-2, log=True)}
    else:
        raise ValueError(family)
    return Candidate(family, params, prep)


def _library_space(s: optuna.Trial | optuna.trial.FixedTrial, family: str) -> dict[str, Any]:
    """LightGBM, XGBoost, CatBoost: rounds are a ceiling, early stopping on a validation share picks the count."""
    if family == "lightgbm":
        return {
            "learning_rate": s.suggest_float("lgbm_learning_rate", 0.01, 0.3, log=True),
            "n_estimators": s.suggest_int("lgbm_n_estimators", 50, 1000, log=True),
            "num_leaves": s.suggest_int("lgbm_num_leaves", 8, 256, log=True),
            "min_child_samples": s.suggest_int("lgbm_min_child_samples", 3, 100, log=True),
            "reg_lambda": s.suggest_float("lgbm_reg_lambda", 1e-6, 10.0, log=True),
            "colsample_bytree": s.suggest_float("lgbm_colsample_bytree", 0.3, 1.0),
        }
    if family == "xgboost":
        return {
            "learning_rate": s.suggest_float("xgb_learning_rate", 0.01, 0.3, log=True),
            "n_estimators": s.suggest_int("xgb_n_estimators", 50, 1000, log=True),
            "max_depth": s.suggest_int("xgb_max_depth", 2, 10),
            "min_child_weight": s.suggest_float("xgb_min_child_weight", 0.1, 20.0, log=True),
            "subsample": s.suggest_float("xgb_subsample", 0.5, 1.0),
            "colsample_bytree": s.suggest_float("xgb_colsample_bytree", 0.3, 1.0),
            "reg_lambda": s.suggest_float("xgb_reg_lambda", 1e-3, 10.0, log=True),
        }
    return {
        "learning_rate": s.suggest_float("cb_learning_rate", 0.02, 0.3, log=True),
        "iterations": s.suggest_int("cb_iterations", 100, 1000, log=True),
        "depth": s.suggest_int("cb_depth", 4, 8),
        "l2_leaf_reg": s.suggest_float("cb_l2_leaf_reg", 1.0, 10.0, log=True),
    }


def _defaults(families: Sequence[str], classify: bool, n_features: int) -> list[dict[str, Any]]:
    """Hand-tuned starting points, strongest first: these run before TPE takes over."""
    sqrt_share = round(min(1.0, max(0.05, 1 / math.sqrt(max(n_features, 1)))), 3)
    queue: list[dict[str, Any]] = [
        {
            "family": "hist_gradient_boosting",
            "hgb_learning_rate": 0.1,
            "hgb_max_iter": 100,
            "hgb_max_leaf_nodes": 31,
            "hgb_min_samples_leaf": 20,
            "hgb_l2_regularization": 1e-6,
            "hgb_max_features": 1.0,
        },
        {
            "family": "lightgbm",
            "lgbm_learning_rate": 0.05,
            "lgbm_n_estimators": 500,
            "lgbm_num_leaves": 31,
            "lgbm_min_child_samples": 20,
            "lgbm_reg_lambda": 1e-6,
            "lgbm_colsample_bytree": 0.9,
        },
        {"family": "logistic_regression", "logistic_regression_scale": "standard", "lr_C": 1.0},
        {"family": "catboost", "cb_learning_rate": 0.08, "cb_iterations": 500, "cb_depth": 6, "cb_l2_leaf_reg": 3.0},
        {"family": "ridge", "ridge_scale": "standard", "ridge_alpha": 1.0},
        {
            "family": "random_forest",
            "rf_n_estimators": 200,
            "rf_max_features": sqrt_share if classify else 1.0,
            "rf_min_samples_leaf": 1,
        },
        {
            "family": "extra_trees",
            "et_n_estimators": 200,
            "et_max_features": sqrt_share if classify else 1.0,
            "et_min_samples_leaf": 1,
        },
        {
            "family": "hist_gradient_boosting",
            "hgb_learning_rate": 0.05,
            "hgb_max_iter": 300,
            "hgb_max_leaf_nodes": 15,
            "hgb_min_samples_leaf": 10,
            "hgb_l2_regularization": 0.1,
            "hgb_max_features": 0.8,
        },
        {
            "family": "xgboost",
            "xgb_learning_rate": 0.1,
            "xgb_n_estimators": 300,
            "xgb_max_depth": 6,
            "xgb_min_child_weight": 1.0,
            "xgb_subsample": 0.9,
            "xgb_colsample_bytree": 0.9,
            "xgb_reg_lambda": 1.0,
        },
        {"family": "knn", "knn_scale": "standard", "knn_n_neighbors": 15, "knn_weights": "distance"},
        {"family": "mlp", "mlp_scale": "quantile", "mlp_hidden_units": 128, "mlp_layers": 1, "mlp_alpha": 1e-4},
        {"family": "svm", "svm_scale": "standard", "svm_C": 1.0},
        {"family": "lasso", "lasso_scale": "standard", "lasso_alpha": 0.01},
        {"family": "linear_regression", "linear_regression_scale": "standard"},
        {"family": "naive_bayes", "nb_var_smoothing": 1e-9},
        {"family": "decision_tree", "dt_max_depth": 8, "dt_min_samples_leaf": 5},
    ]
    return [q for q in queue if q["family"] in families]


def families_for(task: str, asked: Sequence[str], n_rows: int) -> list[str]:
    if asked:
        return list(asked)
    found = CLASSIFICATION_FAMILIES if task_family(task) == "classification" else REGRESSION_FAMILIES
    return [f for f in found if (f != "svm" or n_rows <= SVM_ROWS) and (f not in LIBRARY_FAMILIES or installed(f))]


def installed(family: str) -> bool:
    """The boosting libraries come with the worker extra; a slimmer install searches without them."""
    return importlib.util.find_spec(family) is not None


@dataclass
class Fold:
    X_train: pd.DataFrame
    y_train: np.ndarray
    X_valid: pd.DataFrame
    rows: np.ndarray
    """Positions of the validation rows in the search table."""
    y_valid: np.ndarray


def search_splits(y: np.ndarray, task: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Repeated 5-fold CV on small tables (one split's luck would pick the model there), 3-fold on
    medium ones, one 80/20 hold-out on large ones."""
    n = len(y)
    classify = task_family(task) == "classification"
    stratify = classify and np.bincount(y.astype(int)).min() >= 5
    if n > 10_000:
        rows = np.arange(n)
        train, valid = train_test_split(rows, test_size=0.2, random_state=seed, stratify=y if stratify else None)
        return [(np.sort(train), np.sort(valid))]
    if n < REPEATED_BELOW:
        repeated = RepeatedStratifiedKFold if stratify else RepeatedKFold
        return list(repeated(n_splits=5, n_repeats=REPEATS, random_state=seed).split(np.zeros(n), y))
    splitter = (
        StratifiedKFold(3, shuffle=True, random_state=seed) if stratify else KFold(3, shuffle=True, random_state=seed)
    )
    return list(splitter.split(np.zeros(n), y))


def sample_rows(y: np.ndarray, task: str, seed: int) -> np.ndarray | None:
    if len(y) <= SEARCH_ROWS:
        return None
    classify = task_family(task) == "classification"
    rows, _ = train_test_split(
        np.arange(len(y)), train_size=SEARCH_ROWS, random_state=seed, stratify=y if classify else None
    )
    return np.sort(rows)


class TrialRunner(Protocol):
    """Where the search's fits run. In process by default (one trial at a time); a cluster executor
    installs its own with `trials_on`, and the search then runs `slots` trials at once, each fit a task."""

    slots: int
    n_jobs: int | None
    """Cores one fit may use there (None: the engine's own setting)."""

    def share(self, value: Any) -> Any:
        """A handle for data every fit reads (the folds), shipped once rather than with each fit."""
        ...

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) where the fits run, waiting for its result."""
        ...


class InProcess:
    slots = 1
    n_jobs = None

    def share(self, value: Any) -> Any:
        return value

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)


_TRIAL_RUNNER: contextvars.ContextVar[TrialRunner | None] = contextvars.ContextVar("trial_runner", default=None)


@contextlib.contextmanager
def trials_on(runner: TrialRunner) -> Iterator[None]:
    """Searches started inside run their trials' fits on `runner` (the engine's signature stays as is)."""
    token = _TRIAL_RUNNER.set(runner)
    try:
        yield
    finally:
        _TRIAL_RUNNER.reset(token)


def fit_and_predict(
    candidate: Candidate,
    fold: Fold,
    subset: np.ndarray | None,
    task: str,
    n_classes: int,
    seed: int,
    n_jobs: int,
    allowed_s: float | None = None,
) -> Fitted:
    """One fit of a trial: module level, so a cluster runner can ship it to a worker.

    `allowed_s` (seconds from now, as clocks differ between machines) stops a growing fit early."""
    X, y = (fold.X_train, fold.y_train) if subset is None else (fold.X_train.iloc[subset], fold.y_train[subset])
    t0 = time.perf_counter()
    model = candidate.build(X, task, seed, n_jobs)
    reached = fit_until(model, X, y, None if allowed_s is None else time.monotonic() + allowed_s)
    t1 = time.perf_counter()
    outcome = predict(model, fold.X_valid, fold.rows, fold.y_valid, task, n_classes)
    t2 = time.perf_counter()
    call = predict_call_seconds(model, fold.X_valid)
    per_row = max(t2 - t1 - call, 0.0) / max(len(fold.rows), 1)
    return Fitted(outcome, Cost(t1 - t0, len(X), per_row, call, memory.model_bytes(model)), reached)


def predict_call_seconds(model: Any, X: pd.DataFrame) -> float:
    """A predict call's fixed cost, timed on a few rows."""
    t0 = time.perf_counter()
    model.predict(X.iloc[:CALL_PROBE_ROWS])
    return time.perf_counter() - t0


@dataclass
class Fitted:
    """A fit's predictions on its validation rows and what it cost."""

    outcome: Outcome
    cost: Cost
    reached: dict[str, int] | None = None
    """Set when the deadline stopped a growing fit: the rounds or trees it has."""


@dataclass
class SearchResult:
    metric: str
    members: list[tuple[Candidate, float]]
    oof: Outcome
    score: float
    leaderboard: list[LeaderboardEntry]
    trials: int
    """Trials that finished (not pruned, not cut by the deadline)."""
    costs: list[Cost] = field(default_factory=list)
    """What each member's fit on one search fold cost, in `members` order."""
    notes: list[str] = field(default_factory=list)


@dataclass
class _Done:
    candidate: Candidate
    score: float
    oof: Outcome
    cost: Cost


def search(
    ctx: Context,
    node_id: str,
    folds: Sequence[Fold],
    task: str,
    n_classes: int,
    *,
    metric: str,
    families: Sequence[str],
    clock: Clock,
    plan: Plan,
    max_trials: int | None,
    ensemble: bool,
    on_trial: Callable[[LeaderboardEntry], None],
) -> SearchResult:
    """Trials until the search's deadline (or `max_trials`, or a finish signal), then the ensemble."""
    fold_seconds: dict[str, float] = {}
    """Seconds per fold by family (and the slowest probe), to tell whether the next fit still fits."""
    metric = default_metric(task) if metric == "auto" else metric
    minimize = metric in LOWER_IS_BETTER
    classify = task_family(task) == "classification"
    n_features = folds[0].X_train.shape[1]
    done: dict[int, _Done] = {}
    cut: list[_Done] = []
    """The first trial's finished folds when the deadline stopped it before any trial finished."""
    leaderboard: list[LeaderboardEntry] = []
    rows = np.concatenate([f.rows for f in folds])
    y_all = np.concatenate([f.y_valid for f in folds])

    def best() -> _Done | None:
        return min(done.values(), key=lambda d: d.score if minimize else -d.score) if done else None

    def deadline() -> float:
        """The node's end less what the best model so far needs after the search: all of it for that
        model alone (its refit on every row is worth more than more trials), a capped share for an
        ensemble around it."""
        leader = best()
        if leader is None:
            return clock.end - RESERVE_FIRST * clock.budget_s
        alone = plan.after_search(leader.cost, ensemble=False)
        grouped = plan.after_search(leader.cost, ensemble=True) if plan.ensemble else alone
        return clock.end - max(alone, min(grouped, RESERVE_CAP * clock.budget_s))

    def due() -> bool:
        return time.monotonic() >= deadline() or ctx.should_finish()

    n_train = len(folds[0].X_train)
    probe_rows = min(PROBE_ROWS, n_train // 4)
    probe = (
        np.sort(np.random.default_rng(ctx.seed).choice(n_train, probe_rows, replace=False))
        if n_train > PROBE_FROM
        else None
    )
    growth = (n_train / max(probe_rows, 1)) ** 1.1

    runner = _TRIAL_RUNNER.get() or InProcess()
    shared = [runner.share(fold) for fold in folds]
    bookkeeping = threading.Lock()  # trials finish concurrently when the runner has several slots

    def fit_fold(candidate: Candidate, i: int, subset: np.ndarray | None = None) -> Fitted:
        n_jobs = runner.n_jobs or ctx.n_jobs
        allowed = max(deadline() - time.monotonic(), 0.0)
        fitted: Fitted = runner.call(
            fit_and_predict, candidate, shared[i], subset, task, n_classes, ctx.seed, n_jobs, allowed
        )
        return fitted

    def objective(trial: optuna.Trial) -> float:
        ctx.check()
        family = trial.suggest_categorical("family", list(families))
        candidate = _space(trial, family, classify)
        parts: list[Outcome] = []
        costs: list[Cost] = []
        fold_scores: list[float] = []
        fit_seconds = 0.0
        estimate = fold_seconds.get(family, 0.0)
        step = 0

        def out_of_time() -> optuna.TrialPruned:
            if not done and parts:
                cut.append(_Done(candidate, float(np.mean(fold_scores)), Outcome.concat(parts), _mean(costs)))
            return optuna.TrialPruned("would overrun the budget")

        try:
            if probe is not None and done:
                if time.monotonic() + fold_seconds.get("probe", 0.0) > deadline():
                    raise out_of_time()
                t0 = time.perf_counter()
                fitted = fit_fold(candidate, 0, probe)
                if fitted.reached is not None:
                    raise out_of_time()
                probe_time = time.perf_counter() - t0
                fold_seconds["probe"] = max(fold_seconds.get("probe", 0.0), probe_time)
                estimate = max(estimate, probe_time * growth)
                if time.monotonic() + estimate * len(folds) > deadline():
                    raise out_of_time()
                probed = score(metric, task, fitted.outcome)
                if not math.isnan(probed):
                    trial.report(probed, step)
                step += 1
                if trial.should_prune():
                    raise optuna.TrialPruned
            for i in range(len(folds)):
                if ctx.should_finish() or time.monotonic() + (fit_seconds / i if i else estimate) > deadline():
                    raise out_of_time()
                t0 = time.perf_counter()
                fitted = fit_fold(candidate, i)
                fit_seconds += time.perf_counter() - t0
                if fitted.reached is not None:
                    if done:
                        raise out_of_time()
                    # The first trial cut short is still the run's model: it keeps what it grew.
                    candidate = Candidate(candidate.family, {**candidate.params, **fitted.reached}, candidate.prep)
                fold_seconds[family] = fit_seconds / (i + 1)
                value = score(metric, task, fitted.outcome)
                if math.isnan(value):
                    raise optuna.TrialPruned(f"{metric} cannot be computed")
                parts.append(fitted.outcome)
                costs.append(fitted.cost)
                fold_scores.append(value)
                trial.report(float(np.mean(fold_scores)), step)
                step += 1
                if i < len(folds) - 1 and trial.should_prune():
                    raise optuna.TrialPruned
        except (ValueError, ArithmeticError) as exc:
            ctx.log(f"trial {trial.number} ({family}) failed: {exc}", node_id, "warning")
            raise optuna.TrialPruned from exc
        mean = float(np.mean(fold_scores))
        oof = Outcome.concat(parts)
        with bookkeeping:
            done[trial.number] = _Done(candidate, mean, oof, _mean(costs))
            _keep_best(done, minimize)
        entry = LeaderboardEntry(family, candidate.describe(), round(mean, 6), round(fit_seconds, 3))
        leaderboard.append(entry)
        on_trial(entry)
        clock.announce(clock.used(), f"searching: trial {trial.number}, {family} {metric}={mean:.4f}")
        return mean

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize" if minimize else "maximize",
        sampler=optuna.samplers.TPESampler(seed=ctx.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
    )
    for params in _defaults(families, classify, n_features):
        study.enqueue_trial(params)

    def stop_when_due(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if due() or ctx.should_stop():
            study.stop()

    with clock.phase("search", "searching"):
        if not due():
            study.optimize(
                objective,
                n_trials=max_trials,
                timeout=max(deadline() - time.monotonic(), 1e-3),
                n_jobs=runner.slots,
                callbacks=[stop_when_due],
                catch=(),
            )
    ctx.check()
    if not done and cut:
        ctx.log(
            f"the budget ran out during the first trial: keeping {cut[0].candidate.family}, "
            f"validated on {len(cut[0].oof.rows)} rows",
            node_id,
            "warning",
        )
        done[0] = cut[0]
        leaderboard.append(
            LeaderboardEntry(cut[0].candidate.family, cut[0].candidate.describe(), round(cut[0].score, 6), 0.0)
        )
    if not done:
        with clock.phase("fallback", "no trial finished in time: fitting the first default"):
            defaults = _defaults(families, classify, n_features)
            return _fallback(ctx, node_id, folds, task, n_classes, metric, defaults, max(clock.left() / 2, 0.0))
    leader = best()
    assert leader is not None
    found = SearchResult(
        metric=metric,
        members=[(leader.candidate, 1.0)],
        oof=leader.oof,
        score=leader.score,
        leaderboard=leaderboard,
        trials=sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials),
        costs=[leader.cost],
    )
    if ensemble and len(done) > 1:
        with clock.phase("ensemble", "choosing an ensemble"):
            _ensemble(found, list(done.values()), clock, plan, task, rows, y_all, minimize)
    leaderboard.sort(key=lambda e: (e.score or 0.0) * (1 if minimize else -1))
    return found


def _ensemble(
    found: SearchResult,
    pool: list[_Done],
    clock: Clock,
    plan: Plan,
    task: str,
    rows: np.ndarray,
    y: np.ndarray,
    minimize: bool,
) -> None:
    """Greedy selection over the models whose refit, prediction and plots fit the time left; kept if better."""

    room = memory.room_bytes()

    def fits(costs: list[Cost]) -> bool:
        """Refit, evaluation, plots and artifact fit the time left, and the refit fits the memory limit."""
        model = combined(costs, plan.refit_rows)
        seconds = model.fit_s + plan.evaluate_and_plots(model, 1.0, model.fit_s) + plan.save_s()
        return seconds <= clock.left() and model.model_bytes + plan.data_bytes() <= room

    affordable = [d for d in pool if fits([d.cost])]
    picked = _caruana(affordable, found.metric, task, rows, y, minimize)
    if picked is None:
        return
    members, oof, value = picked
    if not (value < found.score if minimize else value > found.score):
        return
    costs = [next(d.cost for d in affordable if d.candidate is c) for c, _ in members]
    if not fits(costs):
        found.notes.append(f"an ensemble of {len(members)} models would not fit the time left: keeping the best model")
        return
    found.notes.append(
        f"ensemble of {len(members)} models: {found.metric} {value:.4f} vs best single {found.score:.4f}"
    )
    found.leaderboard.append(
        LeaderboardEntry(
            "ensemble",
            {"members": [c.family for c, _ in members], "weights": [round(w, 4) for _, w in members]},
            round(value, 6),
            0.0,
        )
    )
    found.members, found.oof, found.score, found.costs = members, oof, value, costs


def _mean(costs: list[Cost]) -> Cost:
    return Cost(
        float(np.mean([c.fit_s for c in costs])),
        int(np.mean([c.rows for c in costs])),
        float(np.mean([c.predict_s_per_row for c in costs])),
        float(np.mean([c.predict_call_s for c in costs])),
        int(max(c.model_bytes for c in costs)),
    )


def _keep_best(done: dict[int, _Done], minimize: bool) -> None:
    """Only the ensemble pool's worth of out-of-fold predictions stays in memory."""
    if len(done) <= ENSEMBLE_POOL:
        return
    ranked = sorted(done, key=lambda k: done[k].score if minimize else -done[k].score)
    for key in ranked[ENSEMBLE_POOL:]:
        del done[key]


def _caruana(
    pool: list[_Done], metric: str, task: str, rows: np.ndarray, y: np.ndarray, minimize: bool
) -> tuple[list[tuple[Candidate, float]], Outcome, float] | None:
    classify = task_family(task) == "classification"
    if classify and any(d.oof.proba is None for d in pool):
        pool = [d for d in pool if d.oof.proba is not None]
    if len(pool) < 2:
        return None
    preds = [(d.oof.proba if classify else d.oof.pred) for d in pool]

    def outcome(blend: np.ndarray) -> Outcome:
        if classify:
            return Outcome(rows, y, blend.argmax(axis=1), proba=blend)
        return Outcome(rows, y, blend)

    def value(blend: np.ndarray) -> float:
        v = score(metric, task, outcome(blend))
        return math.inf if math.isnan(v) else (v if minimize else -v)

    counts = np.zeros(len(pool))
    total = np.zeros_like(preds[0], dtype=float)
    best_value, best_counts = math.inf, counts.copy()
    for _ in range(ENSEMBLE_ROUNDS):
        n = counts.sum()
        trials = [value((total + p) / (n + 1)) for p in preds]
        j = int(np.argmin(trials))
        counts[j] += 1
        total += preds[j]
        if trials[j] < best_value:
            best_value, best_counts = trials[j], counts.copy()
    if (best_counts > 0).sum() < 2:
        return None
    weights = best_counts / best_counts.sum()
    blend = np.sum([w * p for w, p in zip(weights, preds, strict=True)], axis=0)
    members = [(pool[j].candidate, float(weights[j])) for j in np.flatnonzero(best_counts)]
    return members, outcome(blend), (best_value if minimize else -best_value)


def _fallback(
    ctx: Context,
    node_id: str,
    folds: Sequence[Fold],
    task: str,
    n_classes: int,
    metric: str,
    defaults: list[dict[str, Any]],
    allowed_s: float,
) -> SearchResult:
    """No trial finished in time: score the first default on one fold so the run still returns a model."""
    ctx.log("the budget ran out before any trial finished: keeping the first default model", node_id, "warning")
    candidate = _space(
        optuna.trial.FixedTrial(defaults[0]), defaults[0]["family"], task_family(task) == "classification"
    )
    fitted = fit_and_predict(candidate, folds[0], None, task, n_classes, ctx.seed, ctx.n_jobs, allowed_s)
    value = score(metric, task, fitted.outcome)
    entry = LeaderboardEntry(candidate.family, candidate.describe(), round(value, 6), 0.0)
    return SearchResult(metric, [(candidate, 1.0)], fitted.outcome, value, [entry], 0, costs=[fitted.cost])



def label_of(members: Sequence[tuple[Candidate, float]]) -> str:
    """The final model in the user's words: "Random forest", or "an ensemble of LightGBM + k-NN"."""
    labels = [CATALOG[f"model.{c.family}"].label for c, _ in members]
    return labels[0] if len(labels) == 1 else f"an ensemble of {' + '.join(labels)}"


def final_model(
    members: Sequence[tuple[Candidate, float]],
    X: pd.DataFrame,
    y: np.ndarray,
    task: str,
    seed: int,
    n_jobs: int,
    deadline: float | None = None,
) -> tuple[Any, dict[str, int] | None]:
    """The winner (or the weighted ensemble) fitted on every row it may see.

    A single winner that grows (boosting, forests) stops growing at `deadline`; the second value then
    says how far it got."""
    if len(members) == 1:
        model = members[0][0].build(X, task, seed, n_jobs)
        return model, fit_until(model, X, y, deadline)
    estimators = [(f"m{i}_{c.family}", c.build(X, task, seed, n_jobs)) for i, (c, _) in enumerate(members)]
    weights = [w for _, w in members]
    if task_family(task) == "classification":
        return VotingClassifier(estimators, voting="soft", weights=weights).fit(X, y), None
    return VotingRegressor(estimators, weights=weights).fit(X, y), None
