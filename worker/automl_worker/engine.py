"""The engine: compile each model branch of a workflow, fit it without leakage, evaluate, package.

A branch is the chain of nodes from a dataset to a model or AutoML node, in edge order. Its
preprocessing steps are fitted on training rows only, wherever the split sits in the chain (rows
are partitioned first, then the whole chain is fitted on the training part). Every executor (local
process, Gradio Space, Dask) calls `run`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from automl_core.catalog import CATALOG, DEFAULT_PLOTS, PLOTS, default_metric, task_family
from automl_core.datasets import infer_task
from automl_core.execution import (
    BranchResult,
    ExecutionEvent,
    ExecutionRequest,
    ExecutionResult,
    ProgressEvent,
    TrialEvent,
)
from automl_core.labels import node_labels
from automl_core.models import MAX_CATEGORIES, Feature
from automl_core.validation import validate_against_schemas
from automl_core.workflow import Graph, Node, model_branches
from automl_worker import automl, memory, onnx_export, plots
from automl_worker.artifacts import ModelInfo, dump, library_versions
from automl_worker.budget import Clock, Cost, Plan, PlotRoom, combined
from automl_worker.data import FEATURE_DTYPES, Table
from automl_worker.errors import EngineError
from automl_worker.evaluate import (
    Outcome,
    clustering_metrics,
    first_of_each_row,
    mean_metrics,
    predict,
    supervised_metrics,
)
from automl_worker.explain import background_frame, background_rows, global_explanation
from automl_worker.fitting import Context, Prefix, attribute, fit_branch, fit_prefix
from automl_worker.plots import IMPORTANCE_REPEATS, IMPORTANCE_ROWS
from automl_worker.steps import params_of
from automl_worker.tracking import StepTracker

INTERNAL_TEST_SIZE = 0.25
MIN_REFIT_ROWS = 2_000
"""A final model cut short by the budget still sees at least this many rows."""
LEARNING_CURVE_SIZES = (0.1, 0.325, 0.55, 0.775, 1.0)
OPENMP_THREADS = 1
"""OpenMP pools (gradient boosting, BLAS) spin-wait: on a busy shared machine two threads fitted the
same boosting model in 3-16 s against 0.5 s for one. Forests and kNN still use every core (joblib)."""

Split = tuple[np.ndarray, np.ndarray]
Trainer = Callable[[Prefix], Any]


def run(
    request: ExecutionRequest,
    datasets: Mapping[str, Path],
    on_event: Callable[[ExecutionEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    finish_requested: Callable[[], bool] | None = None,
) -> ExecutionResult:
    """Train every model/AutoML node of the request's workflow (`automl_core.execution.Engine`).

    The workflow is the run's snapshot, validated when the run was admitted: only what the data can
    break is checked again. Streams progress, log, node and trial events through `on_event` (the
    caller sends the terminal completed/failed event); raises EngineError naming the node at fault,
    EngineCancelled when `should_stop` turns true. `finish_requested` turning true ends an AutoML
    search early with the best model so far.
    """
    ctx = Context(
        seed=request.seed,
        emit=on_event or (lambda event: None),
        should_stop=should_stop or (lambda: False),
        should_finish=finish_requested or (lambda: False),
    )
    branches = model_branches(request.workflow)
    tracker = StepTracker(request.workflow, branches, ctx.emit)
    with threadpool_limits(OPENMP_THREADS):
        try:
            return _run(ctx, request, datasets, branches, tracker)
        except EngineError as exc:
            tracker.failed(exc.node_id, exc.message)
            raise


def _run(
    ctx: Context,
    request: ExecutionRequest,
    datasets: Mapping[str, Path],
    branches: dict[str, list[str]],
    tracker: StepTracker,
) -> ExecutionResult:
    started = time.monotonic()
    graph = request.workflow
    labels = node_labels(graph)
    tables = _read_tables(graph, datasets, tracker)
    _raise_first(validate_against_schemas(graph, {k: t.schema(k) for k, t in tables.items()}))
    results = []
    for i, (node_id, path) in enumerate(branches.items()):
        ctx.check()

        def progress(fraction: float, message: str, node_id: str = node_id, i: int = i) -> None:
            share = (i + min(max(fraction, 0.0), 1.0)) / len(branches)
            ctx.emit(ProgressEvent(fraction=round(share, 4), message=message, node_id=node_id))

        label = labels[node_id]
        progress(0.0, f"Training {label}")
        tracker.running(tracker.steps(node_id)[: len(path)])
        # The first branch's clock includes reading the tables: a budget counts from the run's start.
        branch_started = started if i == 0 else time.monotonic()
        result = _Branch(ctx, graph, path, tables, progress, tracker, branch_started).run()
        results.append(result)
        tracker.branch_done(node_id, _headline(result))
        progress(1.0, f"{label} done")
    return ExecutionResult(
        branches=results,
        library_versions=library_versions(),
        log=ctx.log_lines,
        engine_seconds=round(time.monotonic() - started, 3),
    )


def _raise_first(issues: Sequence[Any]) -> None:
    if issues:
        raise EngineError(issues[0].message, issues[0].node_id)


def _headline(result: BranchResult) -> str | None:
    """What a finished model step says: its primary metric's value."""
    value = result.metrics.get(result.primary_metric or "")
    return None if value is None else f"{result.primary_metric} {value:.4g}"


def _read_tables(graph: Graph, datasets: Mapping[str, Path], tracker: StepTracker) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for node in graph.nodes:
        ident = node.params.get("dataset_id") if node.type == "dataset" else None
        if not isinstance(ident, str):
            continue
        tracker.running([node.id], "reading")
        if ident not in tables:
            if ident not in datasets:
                raise EngineError(f"dataset {ident!r} was not sent with the request", node.id)
            try:
                tables[ident] = Table.read(Path(datasets[ident]))
            except (OSError, ValueError) as exc:
                raise EngineError(f"cannot read dataset {ident!r} as Parquet: {exc}", node.id) from exc
    return tables


@dataclass
class Data:
    dataset_id: str
    X: pd.DataFrame
    y: np.ndarray | None
    task: str
    target: str | None
    classes: list[Any] | None
    features: list[Feature]

    @property
    def n_classes(self) -> int:
        return len(self.classes or ())


def load_data(ctx: Context, node: Node, tables: Mapping[str, Table]) -> Data:
    """Features and target of a dataset node; rows without a target are dropped, classes coded 0..K-1."""
    p = params_of(node)
    table = tables[p["dataset_id"]]
    target = p["target"] or None
    names = [c for c in (p["features"] or table.dtypes) if c != target]
    skipped = [c for c in names if table.dtypes[c] not in FEATURE_DTYPES]
    if skipped:
        ctx.log(f"left out columns of unsupported type: {', '.join(skipped)}", node.id, "warning")
    names = [c for c in names if c not in skipped]
    if not names:
        raise EngineError("no feature columns to learn from", node.id)
    X = table.features(names)
    features = [Feature(c, table.dtypes[c], _categories(X[c]) if table.dtypes[c] == "string" else None) for c in names]
    if target is None:
        return Data(p["dataset_id"], X, None, "clustering", None, None, features)
    raw = table.values(target)
    present = ~pd.isna(raw)
    if not present.all():
        ctx.log(f"dropped {int((~present).sum())} rows with no `{target}` value", node.id)
        X, raw = X[present].reset_index(drop=True), raw[present]
    distinct = sorted(set(raw.tolist()), key=lambda v: (str(type(v)), v))
    task = p["task"] if p["task"] != "auto" else infer_task(table.dtypes[target], len(distinct))
    if len(distinct) < 2:
        raise EngineError(f"target `{target}` has a single value: nothing to learn", node.id)
    if task_family(task) == "regression":
        return Data(p["dataset_id"], X, raw.astype(np.float64), task, target, None, features)
    index = {v: i for i, v in enumerate(distinct)}
    y = np.fromiter((index[v] for v in raw), dtype=np.int64, count=len(raw))
    return Data(p["dataset_id"], X, y, task, target, distinct, features)


def _categories(column: pd.Series) -> list[str] | None:
    """The text values a column holds, when few enough to be a closed list (the row schema's enum)."""
    values = column.dropna().unique()
    return sorted(str(v) for v in values) if len(values) <= MAX_CATEGORIES else None


def plan_rows(split: Node | None, data: Data, seed: int, owner: str) -> tuple[list[Split], str]:
    """Training/evaluation row sets and the mode: holdout, kfold, or internal (no split drawn)."""
    n = len(data.X)
    classify = data.y is not None and task_family(data.task) == "classification"
    p = (
        params_of(split)
        if split
        else {"test_size": INTERNAL_TEST_SIZE, "stratify": True, "shuffle": True, "seed": seed}
    )
    node_id = split.id if split else owner
    stratify = classify and p["stratify"] and p["shuffle"]
    if split is not None and p["method"] == "kfold":
        k = p["folds"]
        if n < k:
            raise EngineError(f"{n} rows are too few for {k} folds", node_id)
        if stratify:
            rarest = int(np.bincount(data.y).min())  # type: ignore[arg-type]
            if rarest < k:
                raise EngineError(f"the rarest class has {rarest} rows, fewer than the {k} folds asked", node_id)
            splitter: Any = StratifiedKFold(k, shuffle=True, random_state=p["seed"])
        else:
            splitter = KFold(k, shuffle=p["shuffle"], random_state=p["seed"] if p["shuffle"] else None)
        return [(tr, te) for tr, te in splitter.split(np.zeros(n), data.y)], "kfold"
    test = max(1, round(n * p["test_size"]))
    if n - test < 2:
        raise EngineError(f"{n} rows are too few to hold out a test set", node_id)
    if stratify and np.bincount(data.y).min() < 2:  # type: ignore[arg-type]
        stratify = False
    rows = np.arange(n)
    train, held = train_test_split(
        rows,
        test_size=test,
        shuffle=p["shuffle"],
        random_state=p["seed"] if p["shuffle"] else None,
        stratify=data.y if stratify else None,
    )
    return [(np.sort(train), np.sort(held))], "holdout" if split else "internal"


def _children(graph: Graph, node_id: str, kind: str) -> list[Node]:
    return [graph.node(e.target) for e in graph.edges if e.source == node_id and graph.node(e.target).type == kind]


class _Branch:
    """One model/AutoML node: fit, evaluate, package."""

    def __init__(
        self,
        ctx: Context,
        graph: Graph,
        path: list[str],
        tables: Mapping[str, Table],
        progress: Callable[[float, str], None],
        tracker: StepTracker,
        started: float,
    ) -> None:
        """`started` is a `time.monotonic()` value: this node's start, from which its budget counts."""
        nodes = graph.node_map()
        self.ctx, self.progress, self.tracker, self.started = ctx, progress, tracker, started
        self.timings: dict[str, float] = {}
        self.node = nodes[path[-1]]
        middle = [nodes[i] for i in path[1:-1]]
        for n in middle:
            if n.type not in CATALOG:
                raise EngineError(f"unknown node type {n.type!r}", n.id)
            if not (n.type.startswith("preprocess.") or n.type == "split"):
                raise EngineError(f"{n.type} cannot sit between a dataset and a model", n.id)
        self.split = next((n for n in middle if n.type == "split"), None)
        self.steps = [n for n in middle if n.type != "split"]
        self.data = load_data(ctx, nodes[path[0]], tables)
        evaluations = _children(graph, self.node.id, "evaluate")
        chosen = [n.params.get("metrics") or [] for n in evaluations]
        self.metric_names = _union(chosen) if chosen and all(chosen) else []
        """Empty means every metric of the task (no evaluate node, or one that asks for all)."""
        views = _children(graph, self.node.id, "visualize") + [
            v for e in evaluations for v in _children(graph, e.id, "visualize")
        ]
        family = task_family(self.data.task)
        asked = _union([n.params.get("plots") or list(DEFAULT_PLOTS[family]) for n in views])
        self.plots = [p for p in PLOTS if p in asked]
        self.evaluations = [n.id for n in evaluations]
        self.views = [n.id for n in views]

    def run(self) -> BranchResult:
        started = time.perf_counter()
        data = self.data
        splits, mode = plan_rows(self.split, data, self.ctx.seed, self.node.id)
        if data.task == "clustering":
            result = self._cluster(splits, mode)
        elif self.node.type == "automl":
            result = self._automl(splits, mode)
        else:
            result = self._model(splits, mode)
        result.fit_seconds = round(time.perf_counter() - started, 3)
        timings = {**self.timings, **result.timings}
        result.timings = {k: round(v, 3) for k, v in timings.items() if k.endswith("_s")}
        result.primary_metric = result.primary_metric or default_metric(data.task)
        return result

    def _fit(self, rows: np.ndarray | None, trainer: Trainer | None = None) -> Pipeline:
        X = self.data.X if rows is None else self.data.X.iloc[rows]
        y = None if self.data.y is None else (self.data.y if rows is None else self.data.y[rows])
        pipeline, _ = fit_branch(self.ctx, self.steps, self.node, X, y, self.data.task, trainer)
        return pipeline

    def _outcome(self, model: Pipeline, rows: np.ndarray) -> Outcome:
        d = self.data
        y = None if d.y is None else d.y[rows]
        with attribute(self.ctx, self.node):
            return predict(model, d.X.iloc[rows], rows, y, d.task, d.n_classes)

    def _model(self, splits: list[Split], mode: str) -> BranchResult:
        clock = time.perf_counter()
        fitted, parts, per_fold = [], [], []
        label = CATALOG[self.node.type].label
        for i, (train, test) in enumerate(splits):
            fold = f" (fold {i + 1} of {len(splits)})" if mode == "kfold" else ""
            self.progress(i / (len(splits) + 1), f"fitting {label} on {len(train):,} rows{fold}")
            model = self._fit(train)
            out = self._outcome(model, test)
            fitted.append(model)
            parts.append(out)
            per_fold.append(supervised_metrics(self.data.task, out, self.metric_names or None))
        if mode != "holdout":
            self.progress(len(splits) / (len(splits) + 1), f"refitting {label} on all {len(self.data.X):,} rows")
            self.ctx.log(
                "no split drawn: metrics come from a 25% hold-out, the model is refitted on every row"
                if mode == "internal"
                else "metrics are averaged over the folds; the model is refitted on every row",
                self.node.id,
            )
            final = self._fit(None)
        else:
            final = fitted[0]
        self.timings["fit_s"] = time.perf_counter() - clock
        self.tracker.running(self.evaluations)
        oof = Outcome.concat(parts)
        plot_data = self._plots(oof, fitted[0], splits[0], None)
        algorithm = self.node.type.removeprefix("model.")
        return self._result(algorithm, mean_metrics(per_fold), plot_data, final, None, splits[0])

    def _automl(self, splits: list[Split], mode: str) -> BranchResult:
        """Search, ensemble, refit, evaluate, plot and package inside the node's wall-clock budget."""
        d, ctx, node = self.data, self.ctx, self.node
        assert d.y is not None
        p = params_of(node)
        budget = float(p["time_budget_s"])
        clock = Clock(budget, started=self.started, announce=self.progress)
        holdout = mode == "holdout"
        train_rows = splits[0][0] if holdout else np.arange(len(d.X))
        with clock.phase("prepare", "preparing the search folds"):
            folds, inner = self._search_folds(splits, mode, train_rows)
        plan = Plan(
            refit_rows=len(train_rows),
            test_rows=len(splits[0][1]) if holdout else 0,
            n_features=d.X.shape[1],
            plots=tuple(self.plots),
            ensemble=bool(p["ensemble"]),
            budget_s=budget,
            held_out_rows=len(splits[0][1]) if holdout else len(inner[0][1]),
        )
        with attribute(ctx, node):
            found = automl.search(
                ctx,
                node.id,
                folds,
                d.task,
                d.n_classes,
                metric=p["metric"],
                families=automl.families_for(d.task, p["families"], len(folds[0].X_train) + len(folds[0].rows)),
                clock=clock,
                plan=plan,
                max_trials=p["max_trials"],
                ensemble=p["ensemble"],
                on_trial=lambda entry: ctx.emit(TrialEvent(node_id=node.id, entry=entry)),
            )
        for note in found.notes:
            ctx.log(note, node.id)

        model_cost = combined(found.costs, plan.refit_rows)
        stop_growing = clock.end - model_cost.predict_on(plan.test_rows) - plan.save_s()
        cut_short: list[dict[str, int]] = []

        def trainer(prefix: Prefix, deadline: float | None = None) -> Any:
            assert prefix.y is not None
            model, reached = automl.final_model(
                found.members, prefix.X, prefix.y, d.task, ctx.seed, ctx.n_jobs, deadline
            )
            if reached:
                cut_short.append(reached)
            return model

        fit_rows = self._rows_that_fit(train_rows, model_cost, plan, clock)
        with clock.phase("refit", f"refitting {automl.label_of(found.members)} on {len(fit_rows):,} rows"):
            final = self._fit(fit_rows, lambda prefix: trainer(prefix, stop_growing))
        clock.timings["refit_rows"] = len(fit_rows)
        for reached in cut_short:
            (param, value), *_ = reached.items()
            ctx.log(f"the final model stopped growing at {param} = {value} to keep the time budget", node.id, "warning")
        self.tracker.running(self.evaluations)
        if holdout:
            with clock.phase("evaluate", f"evaluating on {len(splits[0][1]):,} test rows"):
                evaluated = self._outcome(final, splits[0][1])
                call = automl.predict_call_seconds(final, d.X.iloc[splits[0][1][: automl.CALL_PROBE_ROWS]])
            per_row = max(clock.timings["evaluate_s"] - call, 0.0) / max(len(splits[0][1]), 1)
            measured = Cost(clock.timings["refit_s"], len(fit_rows), per_row, call)
            model_for_importance, importance_rows = final, splits[0]
        else:
            evaluated = first_of_each_row(found.oof)
            per_row, call = model_cost.predict_s_per_row, model_cost.predict_call_s
            measured = Cost(clock.timings["refit_s"], len(fit_rows), per_row, call)
            model_for_importance, importance_rows = None, inner[0]
            ctx.log(f"metrics are out-of-fold estimates from the search ({found.metric} was optimised)", node.id)
        metrics = supervised_metrics(d.task, evaluated, self.metric_names or None)
        with clock.phase("plots", "drawing plots"):
            room = PlotRoom(clock, plan, measured)
            plot_data = self._plots(evaluated, model_for_importance, importance_rows, trainer, room)
        for name in room.left_out:
            ctx.log(f"left out the {name.replace('_', ' ')} plot: it would not fit in the time budget", node.id)
        ctx.log(
            f"search {clock.timings.get('search_s', 0.0):.1f} s of a {budget:.0f} s budget "
            f"({found.trials} trials finished), final refit {clock.timings['refit_s']:.1f} s",
            node.id,
        )
        families = sorted({c.family for c, _ in found.members})
        algorithm = families[0] if len(found.members) == 1 else f"ensemble({'+'.join(families)})"
        with clock.phase("explain", "explaining the model and converting it to ONNX"):
            explain_by = clock.end - plan.save_s()
            extras = self._extras(final, self._info(algorithm, splits[0]), d.X.iloc[splits[0][1]], explain_by)
        with clock.phase("save", "saving the model"):
            result = self._result(algorithm, metrics, plot_data, final, found.leaderboard, splits[0], extras)
        result.timings = {**clock.timings, **result.timings}
        result.primary_metric = found.metric
        return result

    def _search_folds(
        self, splits: list[Split], mode: str, train_rows: np.ndarray
    ) -> tuple[list[automl.Fold], list[Split]]:
        """The search's folds (on a sample of a big table), each with the branch's steps fitted on its rows."""
        d, ctx = self.data, self.ctx
        assert d.y is not None
        search_rows = train_rows
        sample = automl.sample_rows(d.y[search_rows], d.task, ctx.seed)
        if sample is not None:
            ctx.log(f"searching on {len(sample):,} sampled rows; the final model sees all of them", self.node.id)
            search_rows = search_rows[sample]
        inner = (
            splits
            if mode == "kfold" and sample is None
            else [(search_rows[a], search_rows[b]) for a, b in automl.search_splits(d.y[search_rows], d.task, ctx.seed)]
        )
        folds = []
        for train, valid in inner:
            prefix = fit_prefix(ctx, self.steps, d.X.iloc[train], d.y[train], d.task)
            X_valid = Pipeline(prefix.steps).transform(d.X.iloc[valid]) if prefix.steps else d.X.iloc[valid]
            folds.append(automl.Fold(prefix.X, prefix.y, X_valid, valid, d.y[valid]))  # type: ignore[arg-type]
        return folds, inner

    def _rows_that_fit(self, rows: np.ndarray, model: Cost, plan: Plan, clock: Clock) -> np.ndarray:
        """Every training row when the refit fits the time left and the memory limit; otherwise as many
        as do, said in the log (the search's sample-sized model is the floor)."""
        n = len(rows)
        room_s = clock.left() - plan.save_s() - model.predict_on(plan.test_rows)
        need_s = model.fit_on(n)
        room_b = memory.room_bytes()
        need_b = model.bytes_on(n) + memory.data_bytes(n, plan.n_features)
        by_time = n if need_s <= room_s else model.rows_for(room_s)
        by_memory = n if need_b <= room_b else int(n * room_b / max(need_b, 1))
        keep = min(n, max(min(by_time, by_memory), min(n, MIN_REFIT_ROWS)))
        if keep >= n:
            return rows
        why = (
            f"about {need_s:.0f} s and {max(room_s, 0):.0f} s are left"
            if by_time <= by_memory
            else f"about {need_b / 2**20:,.0f} MB and {room_b / 2**20:,.0f} MB are free under the memory limit"
        )
        self.ctx.log(
            f"a refit on all {n:,} rows would need {why}: the final model is fitted on {keep:,} sampled rows",
            self.node.id,
            "warning",
        )
        pick = np.random.default_rng(self.ctx.seed).choice(n, keep, replace=False)
        return np.sort(rows[pick])

    def _cluster(self, splits: list[Split], mode: str) -> BranchResult:
        clock = time.perf_counter()
        if mode == "internal":
            splits = [(np.arange(len(self.data.X)),) * 2]
        parts, labels = [], []
        fitted = None
        for train, test in splits:
            fitted = self._fit(train)
            with attribute(self.ctx, self.node):
                embedded = _embed(fitted, self.data.X.iloc[test])
                assigned = fitted.predict(self.data.X.iloc[test])
            parts.append(clustering_metrics(embedded, assigned, self.ctx.seed, self.metric_names or None))
            labels.append(assigned)
        final = fitted if mode in ("holdout", "internal") else self._fit(None)
        self.timings["fit_s"] = time.perf_counter() - clock
        self.tracker.running([*self.evaluations, *self.views])
        plot_data = (
            {"cluster_sizes": plots.cluster_sizes(np.concatenate(labels))} if "cluster_sizes" in self.plots else {}
        )
        return self._result(self.node.type.removeprefix("model."), mean_metrics(parts), plot_data, final, None)

    def _plots(
        self,
        out: Outcome,
        model: Pipeline | None,
        rows: Split,
        trainer: Trainer | None,
        room: PlotRoom | None = None,
    ) -> dict[str, Any]:
        """The asked plots; with `room` (a time budget), only those that still fit it."""
        d, seed = self.data, self.ctx.seed
        found: dict[str, Any] = {}
        classes = d.classes or []
        started = time.perf_counter()
        self.tracker.running(self.views)
        for name in self.plots:
            self.ctx.check()
            if room is not None and name != "feature_importance" and not room.allows(name):
                continue
            importance = room.importance() if room is not None and name == "feature_importance" else None
            if importance == (0, 0):
                continue
            with attribute(self.ctx, self.node):
                if name == "confusion_matrix":
                    value: Any = plots.confusion(out, classes)
                elif name == "roc_curve":
                    value = plots.roc(out, classes)
                elif name == "pr_curve":
                    value = plots.pr(out, classes)
                elif name == "calibration":
                    value = plots.calibration(out, classes)
                elif name == "actual_vs_predicted":
                    value = plots.actual_vs_predicted(out, seed)
                elif name == "residuals":
                    value = plots.residuals(out, seed)
                elif name == "feature_importance":
                    fitted = model if model is not None else self._fit(rows[0], trainer)
                    assert d.y is not None
                    at_most, repeats = importance or (IMPORTANCE_ROWS, IMPORTANCE_REPEATS)
                    held_X, held_y = d.X.iloc[rows[1]], d.y[rows[1]]
                    value = plots.feature_importance(fitted, held_X, held_y, seed, self.ctx.n_jobs, at_most, repeats)
                elif name == "learning_curve":
                    value = self._learning_curve(rows, trainer)
                else:
                    continue
            if value is not None:
                found[name] = value
        if self.plots and room is None:
            self.timings["plots_s"] = time.perf_counter() - started
        return found

    def _learning_curve(self, rows: Split, trainer: Trainer | None) -> dict[str, Any]:
        """The default metric on training and held-out rows as the model sees more training rows."""
        d = self.data
        metric = default_metric(d.task)
        train, test = rows
        order = np.random.default_rng(self.ctx.seed).permutation(train)
        sizes, train_scores, test_scores = [], [], []
        for share in LEARNING_CURVE_SIZES:
            subset = np.sort(order[: max(10, int(len(order) * share))])
            if d.y is not None and task_family(d.task) == "classification" and len(np.unique(d.y[subset])) < 2:
                continue
            model = self._fit(subset, trainer)
            fit_score = supervised_metrics(d.task, self._outcome(model, subset), [metric]).get(metric)
            test_score = supervised_metrics(d.task, self._outcome(model, test), [metric]).get(metric)
            sizes.append(len(subset))
            train_scores.append(fit_score)
            test_scores.append(test_score)
        return {"metric": metric, "train_sizes": sizes, "train_scores": train_scores, "test_scores": test_scores}

    def _info(self, algorithm: str, rows: Split | None) -> ModelInfo:
        """What the artifact holds beside the pipeline; `rows` (train, held out) give the SHAP background."""
        d = self.data
        return ModelInfo(
            algorithm=algorithm,
            task=d.task,
            target=d.target,
            features=[(f.name, f.dtype) for f in d.features],
            classes=d.classes,
            library_versions=library_versions(),
            background=background_rows(d.X.iloc[rows[0]], self.ctx.seed) if rows is not None else None,
        )

    def _result(
        self,
        algorithm: str,
        metrics: dict[str, float],
        plot_data: dict[str, Any],
        final: Pipeline,
        leaderboard: Any,
        rows: Split | None = None,
        extras: _Extras | None = None,
    ) -> BranchResult:
        """The packaged branch; a supervised one (`rows` given) is explained here unless `extras` already is."""
        d = self.data
        info = self._info(algorithm, rows)
        if extras is None:
            extras = _Extras()
            if rows is not None and info.background:
                extras = self._extras(final, info, d.X.iloc[rows[1]], math.inf)
        return BranchResult(
            node_id=self.node.id,
            algorithm=algorithm,
            task=d.task,
            target=d.target,
            dataset_id=d.dataset_id,
            metrics={k: round(v, 6) for k, v in metrics.items()},
            leaderboard=leaderboard,
            plots=plot_data,
            features=d.features,
            classes=d.classes,
            artifact=dump(final, info),
            explanation=extras.explanation,
            onnx=extras.onnx,
            onnx_error=extras.onnx_error,
            timings=extras.timings,
        )

    def _extras(self, final: Pipeline, info: ModelInfo, held_out: pd.DataFrame, deadline: float) -> _Extras:
        """The global SHAP explanation (rows until `deadline`, a monotonic time) and the ONNX form; in an
        AutoML node either is left out, and logged, when the budget has no room left for it."""
        extras = _Extras()
        node, ctx = self.node, self.ctx
        ctx.check()
        started = time.monotonic()
        if started < deadline:
            background = background_frame(info.background or [], info.features)
            with attribute(ctx, node):
                extras.explanation = global_explanation(
                    final, info.features, self.data.n_classes, held_out, background, ctx.seed, deadline
                )
        else:
            ctx.log("left out the explanation: it would not fit in the time budget", node.id, "warning")
        extras.timings["explain_s"] = round(time.monotonic() - started, 3)
        ctx.check()
        started = time.monotonic()
        if started >= deadline:
            extras.onnx_error = "the ONNX conversion did not fit in the AutoML time budget"
            ctx.log(f"no ONNX form: {extras.onnx_error}", node.id)
            return extras
        try:
            meta = {"algorithm": info.algorithm, "task": info.task, "target": info.target}
            extras.onnx = onnx_export.convert(final, info.features, info.classes, meta, held_out)
        except onnx_export.NotConvertible as exc:
            extras.onnx_error = str(exc)
            ctx.log(f"no ONNX form: {exc}", node.id)
        extras.timings["onnx_s"] = round(time.monotonic() - started, 3)
        return extras


@dataclass
class _Extras:
    explanation: dict[str, Any] | None = None
    onnx: bytes = b""
    onnx_error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def _embed(pipeline: Pipeline, X: pd.DataFrame) -> np.ndarray:
    """Rows as the clustering estimator sees them: through every step but the estimator itself."""
    head = pipeline.steps[-1][1]
    Xt = pipeline[:-1].transform(X) if len(pipeline.steps) > 1 else X
    return np.asarray(head[:-1].transform(Xt) if len(head.steps) > 1 else Xt, dtype=np.float64)


def _union(lists: Sequence[Sequence[str]]) -> list[str]:
    seen: list[str] = []
    for items in lists:
        seen.extend(i for i in items if i not in seen)
    return seen
