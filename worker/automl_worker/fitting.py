"""Fit a compiled branch on training rows only: the steps in edge order, then the estimator.

Row filters act here, on the training rows at their place in the chain, and are not part of the
fitted pipeline: at prediction time (and on test rows) every row goes through.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline

from automl_core.execution import ExecutionEvent, LogEvent
from automl_core.workflow import Node
from automl_worker.boosting import NATIVE_ENCODING
from automl_worker.errors import EngineCancelled, EngineError
from automl_worker.steps import (
    NAN_NATIVE,
    ROW_FILTERS,
    WHOLE_TABLE,
    Prep,
    auto_prep,
    categorical_columns,
    estimator,
    params_of,
    row_mask,
    transformer_for,
)


@dataclass
class Context:
    """What every stage of a run shares: seed, cores, the event sink, the stop and finish flags."""

    seed: int = 0
    emit: Callable[[ExecutionEvent], None] = lambda event: None
    should_stop: Callable[[], bool] = lambda: False
    """Cancel: the run's work is discarded."""
    should_finish: Callable[[], bool] = lambda: False
    """Finish now: searches stop and keep the best model found so far."""
    n_jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    log_lines: list[str] = field(default_factory=list)
    _said: set[tuple[str, str | None]] = field(default_factory=set)

    def log(self, message: str, node_id: str | None = None, level: str = "info") -> None:
        """Each message once per run (folds repeat the same findings)."""
        if (message, node_id) in self._said:
            return
        self._said.add((message, node_id))
        self.log_lines.append(f"{level}: {message}" + (f" [{node_id}]" if node_id else ""))
        self.emit(LogEvent(message=message, level=level, node_id=node_id))

    def check(self) -> None:
        if self.should_stop():
            raise EngineCancelled


def step_name(node_id: str) -> str:
    return node_id.replace("__", "_")


@contextmanager
def attribute(ctx: Context, node: Node) -> Iterator[None]:
    """Failures inside become EngineErrors naming the node; convergence warnings become log lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            yield
        except (EngineError, EngineCancelled):
            raise
        except Exception as exc:
            raise EngineError(f"{node.type} failed: {exc}", node.id) from exc
        finally:
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                ctx.log("did not converge; raise max_iter or scale the features", node.id, "warning")


@dataclass
class Prefix:
    """The branch's fitted preprocessing and the training rows as they leave it."""

    steps: list[tuple[str, Any]]
    X: pd.DataFrame
    y: np.ndarray | None


def fit_prefix(ctx: Context, nodes: Sequence[Node], X: pd.DataFrame, y: np.ndarray | None, task: str) -> Prefix:
    steps: list[tuple[str, Any]] = []
    for node in nodes:
        ctx.check()
        with attribute(ctx, node):
            if node.type in ROW_FILTERS:
                keep = row_mask(node, X, y)
                if not keep.all():
                    ctx.log(f"removed {int((~keep).sum())} of {len(keep)} training rows", node.id)
                if keep.sum() < 2:
                    raise EngineError("this filter leaves fewer than two training rows", node.id)
                X, y = X[keep], None if y is None else y[keep]
                continue
            if node.type in WHOLE_TABLE:
                prep, _ = auto_prep(X, Prep())
                if prep is not None:
                    _say_encoded(ctx, X, node.id, "one-hot")
                    steps.append((f"{step_name(node.id)}_prep", prep))
                    X = prep.fit_transform(X, y)
            step = transformer_for(node, X, task)
            if step is None:
                ctx.log("no columns to act on: step skipped", node.id)
                continue
            X = step.fit_transform(X, y)
            steps.append((step_name(node.id), step))
    if X.shape[1] == 0:
        raise EngineError("no feature columns are left", nodes[-1].id if nodes else None)
    return Prefix(steps, X, y)


def _say_encoded(ctx: Context, X: pd.DataFrame, node_id: str, how: str) -> None:
    text = categorical_columns(X)
    if text:
        shown = ", ".join(text[:5]) + (", …" if len(text) > 5 else "")
        ctx.log(f"encoded {len(text)} text column(s) automatically ({how}): {shown}", node_id)


def model_pipeline(node: Node, X: pd.DataFrame, task: str, ctx: Context) -> Pipeline:
    """Automatic preparation plus the node's estimator, unfitted."""
    family = node.type.removeprefix("model.")
    encoding = NATIVE_ENCODING.get(family, "onehot")
    prep, native = auto_prep(X, Prep(impute=family not in NAN_NATIVE, encoding=encoding))
    _say_encoded(ctx, X, node.id, "one-hot" if encoding == "onehot" else "as the library's own categories")
    if family not in NAN_NATIVE and X.isna().to_numpy().any():
        ctx.log("filled missing values with the column median (no imputer drawn)", node.id)
    params = {**params_of(node), **({"categorical_features": native} if native else {})}
    model = estimator(family, params, task, ctx.seed, ctx.n_jobs, X.shape[1])
    return Pipeline([*([("prep", prep)] if prep is not None else []), ("model", model)])


def fit_branch(
    ctx: Context,
    steps: Sequence[Node],
    node: Node,
    X: pd.DataFrame,
    y: np.ndarray | None,
    task: str,
    final: Callable[[Prefix], Any] | None = None,
) -> tuple[Pipeline, float]:
    """The whole branch fitted on these rows; `final` overrides how the estimator part is fitted."""
    started = time.perf_counter()
    prefix = fit_prefix(ctx, steps, X, y, task)
    ctx.check()
    with attribute(ctx, node):
        if final is not None:
            head = final(prefix)
        else:
            head = model_pipeline(node, prefix.X, task, ctx)
            head.fit(prefix.X, prefix.y)
    return Pipeline([*prefix.steps, ("estimator", head)]), time.perf_counter() - started
