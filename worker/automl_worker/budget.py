"""The AutoML node's wall-clock budget: one end time every phase plans against, and each phase's seconds.

`time_budget_s` runs from the moment the branch starts training to the moment its model is packaged:
search, ensemble selection, refit, evaluation on the test rows, plots and the artifact all fit in
it. The search therefore stops early enough to leave room for what follows; `Plan` estimates that
room from what the trials measured (fit and predict seconds per row), and the phases after the
search choose what still fits (ensemble members, rows to refit on, plots) instead of running over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from automl_worker import memory, onnx_export
from automl_worker.explain import BACKGROUND_ROWS, KERNEL_COALITIONS
from automl_worker.explain import BATCH as EXPLAIN_BATCH
from automl_worker.plots import IMPORTANCE_REPEATS, IMPORTANCE_ROWS

GROWTH = 1.1
"""Fit time grows a little faster than the rows (trees sort, boosting bins): seconds ∝ rows ** GROWTH."""
SAVE_SHARE = 0.02
SAVE_MIN_S = 0.5
"""Room kept for writing the artifact: skops files of forests take a moment."""
MIN_IMPORTANCE_ROWS = 200
IMPORTANCE_REPEAT_STEPS = (IMPORTANCE_REPEATS, 3, 2)
"""Below this many rows permutation importance is noise: the plot is left out instead."""
LEARNING_CURVE_WORK = 0.1 + 0.325 + 0.55 + 0.775 + 1.0
"""The learning curve refits the final model on these shares of the training rows."""
ENSEMBLE_ALLOWANCE = 1.6
"""While searching, an ensemble's refit is reserved as this many times the best model's."""


@dataclass
class Clock:
    """The end time of one AutoML node and the measured seconds of each phase it has run."""

    budget_s: float
    started: float = field(default_factory=time.monotonic)
    end: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    announce: Callable[[float, str], None] = lambda fraction, message: None
    """Progress: the share of the budget used so far and what is running."""

    def __post_init__(self) -> None:
        if not self.end:
            self.end = self.started + self.budget_s

    def left(self) -> float:
        return self.end - time.monotonic()

    def used(self) -> float:
        """The share of the budget spent, 0..1: what the progress bar shows."""
        return min(1.0, (time.monotonic() - self.started) / max(self.end - self.started, 1e-3))

    @contextmanager
    def phase(self, name: str, message: str) -> Iterator[None]:
        """Time a phase into `timings[f"{name}_s"]` and say it is running."""
        self.announce(self.used(), message)
        t0 = time.monotonic()
        try:
            yield
        finally:
            key = f"{name}_s"
            self.timings[key] = round(self.timings.get(key, 0.0) + time.monotonic() - t0, 3)


@dataclass(frozen=True)
class Cost:
    """What one fit measured: seconds to fit `rows` rows, seconds per predicted row and per predict call."""

    fit_s: float
    rows: int
    predict_s_per_row: float
    predict_call_s: float = 0.0
    """A pipeline's fixed cost per predict call (column transformers, input checks): what dominates
    permutation importance, which predicts a few thousand rows once per column and repeat."""
    model_bytes: int = 0
    """What the fitted model holds that grows with its rows (forest nodes, k-NN's stored rows)."""

    def fit_on(self, rows: int) -> float:
        return float(self.fit_s * (max(rows, 1) / max(self.rows, 1)) ** GROWTH)

    def bytes_on(self, rows: int) -> int:
        return int(self.model_bytes * max(rows, 1) / max(self.rows, 1))

    def predict_on(self, rows: int, calls: int = 1) -> float:
        return (self.predict_call_s + self.predict_s_per_row * rows) * calls

    def rows_for(self, seconds: float) -> int:
        """The most rows a fit can take and still finish in `seconds`."""
        if self.fit_s <= 0:
            return 1 << 62
        return int(self.rows * (max(seconds, 0.0) / self.fit_s) ** (1 / GROWTH))


def combined(costs: list[Cost], rows: int) -> Cost:
    """An ensemble's cost: its members fitted (and predicting) one after the other."""
    return Cost(
        sum(c.fit_on(rows) for c in costs),
        rows,
        sum(c.predict_s_per_row for c in costs),
        sum(c.predict_call_s for c in costs),
        sum(c.bytes_on(rows) for c in costs),
    )


@dataclass(frozen=True)
class Plan:
    """The work after the search, sized for this table, so the search knows when it must stop."""

    refit_rows: int
    """Rows the final model is fitted on (0 when the search's out-of-fold models are the result)."""
    test_rows: int
    """Rows scored for the metrics (0 when the metrics come from the search's folds)."""
    n_features: int
    plots: tuple[str, ...]
    ensemble: bool
    budget_s: float
    held_out_rows: int = IMPORTANCE_ROWS
    """Rows permutation importance can score on (the test rows, or the first search fold's)."""

    def data_bytes(self) -> int:
        return memory.data_bytes(self.refit_rows, self.n_features)

    def after_search(self, best: Cost, ensemble: bool) -> float:
        """Seconds everything after the search needs if `best` (or, with `ensemble`, one around it) wins."""
        scale = ENSEMBLE_ALLOWANCE if ensemble else 1.0
        refit = best.fit_on(self.refit_rows) * scale
        explained = Cost(0.0, 1, best.predict_s_per_row * scale, best.predict_call_s * scale)
        return refit + self.evaluate_and_plots(best, scale, refit) + self.explain_s(explained) + self.save_s()

    def explain_s(self, model: Cost) -> float:
        """The explanation's first batch (Kernel SHAP, the costly case: the rest stops at the budget's
        end) and the ONNX check, which predicts a few hundred held-out rows twice."""
        kernel = model.predict_on(KERNEL_COALITIONS * BACKGROUND_ROWS, calls=EXPLAIN_BATCH)
        return kernel + model.predict_on(onnx_export.CHECK_ROWS, calls=2)

    def evaluate_and_plots(self, model: Cost, predict_scale: float, refit_s: float) -> float:
        scaled = Cost(
            refit_s, self.refit_rows, model.predict_s_per_row * predict_scale, model.predict_call_s * predict_scale
        )
        seconds = scaled.predict_on(self.test_rows)
        for name in self.plots:
            seconds += self.plot_s(name, scaled)
        return seconds

    def plot_s(self, name: str, model: Cost) -> float:
        """Estimated seconds of one plot for a model costing `model` (curves from predictions are free)."""
        if name == "feature_importance":
            rows = min(IMPORTANCE_ROWS, self.held_out_rows)
            extra_fit = 0.0 if self.test_rows else model.fit_s
            return extra_fit + model.predict_on(rows, self.n_features * IMPORTANCE_REPEATS)
        if name == "learning_curve":
            return model.fit_s * LEARNING_CURVE_WORK + model.predict_on(self.refit_rows + self.test_rows) * 5
        return 0.0

    def save_s(self) -> float:
        return max(SAVE_MIN_S, SAVE_SHARE * self.budget_s)


@dataclass
class PlotRoom:
    """Which plots still fit the time left, judged one by one as they are drawn."""

    clock: Clock
    plan: Plan
    model: Cost
    """The final model as measured: its refit seconds and seconds per predicted row."""
    left_out: list[str] = field(default_factory=list)

    def allows(self, name: str) -> bool:
        """Curves drawn from the predictions already made cost nothing; the others must fit what is left."""
        need = self.plan.plot_s(name, self.model)
        if need == 0.0 or need <= self.clock.left() - self.plan.save_s():
            return True
        self.left_out.append(name)
        return False

    def importance(self) -> tuple[int, int]:
        """Rows and repeats for permutation importance that fit the time left ((0, 0): none do)."""
        model = self.model
        room = self.clock.left() - self.plan.save_s() - (0.0 if self.plan.test_rows else model.fit_s)
        for repeats in IMPORTANCE_REPEAT_STEPS:
            per_call = room / (self.plan.n_features * repeats) - model.predict_call_s
            rows = int(per_call / model.predict_s_per_row) if model.predict_s_per_row > 0 else IMPORTANCE_ROWS
            if rows >= min(MIN_IMPORTANCE_ROWS, self.plan.held_out_rows):
                return min(rows, IMPORTANCE_ROWS), repeats
        self.left_out.append("feature_importance")
        return 0, 0
