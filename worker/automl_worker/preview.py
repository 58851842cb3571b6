"""Step previews: the table that flows out of one node, fitted exactly as a run would fit it.

Only the node's own chain is computed (dataset, then each step above it in edge order). Steps are
fitted on the training rows: those of the split above the node, or every row when there is none yet.
A model step shows its predictions on the test rows beside the truth; evaluate and visualize steps
show those of the model they read. An AutoML step is not searched here (it would take its whole time
budget): the message says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from automl_core.catalog import task_family
from automl_core.previews import (
    PreviewColumn,
    PreviewFailure,
    PreviewOutcome,
    PreviewRequest,
    PreviewResult,
    SplitSizes,
)
from automl_core.validation import validate_against_schemas
from automl_core.workflow import GraphError, Node, branch_path, is_trainable
from automl_worker import artifacts
from automl_worker.data import Table
from automl_worker.engine import OPENMP_THREADS, Data, load_data, plan_rows
from automl_worker.errors import EngineError
from automl_worker.evaluate import predict
from automl_worker.fitting import Context, attribute, fit_branch, fit_prefix
from automl_worker.steps import params_of

READS_A_MODEL = frozenset({"evaluate", "visualize"})


def outcome(request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewOutcome:
    """`run`, with every failure turned into a PreviewFailure naming the node where one is known."""
    try:
        return run(request, datasets)
    except EngineError as exc:
        return PreviewFailure(message=exc.message, node_id=exc.node_id)
    except Exception as exc:  # the caller must hear about every failure
        return PreviewFailure(message=f"preview failed: {type(exc).__name__}: {exc}", node_id=request.node_id)


def run(request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewResult:
    with threadpool_limits(OPENMP_THREADS):
        started = time.perf_counter()
        ctx = Context(seed=request.seed)
        result = _Preview(ctx, request, datasets).compute()
        result.engine_seconds = round(time.perf_counter() - started, 3)
        result.log = ctx.log_lines
        return result


class _Preview:
    def __init__(self, ctx: Context, request: PreviewRequest, datasets: Mapping[str, Path]) -> None:
        self.ctx, self.request = ctx, request
        graph = request.workflow
        nodes = graph.node_map()
        if request.node_id not in nodes:
            raise EngineError(f"there is no step {request.node_id!r} to preview")
        try:
            path = [nodes[i] for i in branch_path(graph, request.node_id)]
        except GraphError as exc:
            raise EngineError(str(exc), request.node_id) from None
        self.node = path[-1]
        while path and path[-1].type in READS_A_MODEL:
            path.pop()
        if not path or path[0].type != "dataset":
            raise EngineError("there is no dataset above this step", request.node_id)
        self.root, *rest = path
        self.head = rest.pop() if rest and is_trainable(rest[-1].type) else None
        self.split = next((n for n in rest if n.type == "split"), None)
        self.steps = [n for n in rest if n.type != "split"]
        self.table = _table(self.root, datasets)
        ident = self.root.params["dataset_id"]
        for issue in validate_against_schemas(graph, {ident: self.table.schema(ident)}):
            raise EngineError(issue.message, issue.node_id)
        self.data = load_data(ctx, self.root, {self.root.params["dataset_id"]: self.table})

    def compute(self) -> PreviewResult:
        if self.head is not None:
            return self._predictions(self.head)
        data = self.data
        rows, sizes = np.arange(len(data.X)), None
        if self.split is not None:
            rows, _, sizes = self._split(self.split)
        y = None if data.y is None else data.y[rows]
        prefix = fit_prefix(self.ctx, self.steps, data.X.iloc[rows], y, data.task)
        frame = prefix.X.reset_index(drop=True)
        if data.target is not None and prefix.y is not None:
            frame[data.target] = _labels(data, prefix.y)
        original = self.table.dtypes if self.node.type == "dataset" else {}
        return _result(self.node.id, "rows", frame, self.request.limit, sizes, original)

    def _split(self, split: Node) -> tuple[np.ndarray, np.ndarray, SplitSizes]:
        splits, mode = plan_rows(split, self.data, self.ctx.seed, split.id)
        train, test = splits[0]
        return train, test, SplitSizes(train=len(train), test=len(test), folds=len(splits) if mode == "kfold" else None)

    def _predictions(self, head: Node) -> PreviewResult:
        data = self.data
        if self.split is not None:
            train, test, sizes = self._split(self.split)
        else:
            splits, _ = plan_rows(None, data, self.ctx.seed, head.id)
            (train, test), sizes = splits[0], None
            self.ctx.log("no split drawn: predictions are on a 25% hold-out", head.id)
        if data.task == "clustering":
            train = test = np.arange(len(data.X)) if self.split is None else test
        model = self._fitted(head)
        if model is None:
            y_train = None if data.y is None else data.y[train]
            model, _ = fit_branch(self.ctx, self.steps, head, data.X.iloc[train], y_train, data.task)
        frame = pd.DataFrame({"row": test.astype(np.int64) + 1})
        with attribute(self.ctx, head):
            if data.task == "clustering":
                frame["cluster"] = np.asarray(model.predict(data.X.iloc[test])).astype(np.int64)
            else:
                frame = self._beside_truth(frame, model, test)
        return _result(self.node.id, "predictions", frame, self.request.limit, sizes, {})

    def _fitted(self, head: Node) -> Pipeline | None:
        """The run's own fitted pipeline when it learned from the hold-out's training rows only; None: fit here.

        Without a hold-out split the run refitted its model on every row, so its "test" predictions would
        be on rows it learned from: a model is then fitted here, and an AutoML step (whose search would
        take its whole budget) is not previewed."""
        holdout = self.split is not None and params_of(self.split)["method"] == "holdout"
        if self.request.fitted and holdout:
            try:
                pipeline, _ = artifacts.load(self.request.fitted)
            except artifacts.ArtifactError as exc:
                raise EngineError(f"the run's fitted model can't be read: {exc}", head.id) from None
            self.ctx.log("predictions of the model the last run fitted", head.id)
            return pipeline
        if head.type == "automl":
            raise EngineError(
                "an AutoML step searches for its whole time budget, so its preview shows the model a run "
                "found: run the workflow (with a hold-out split) first"
                if not self.request.fitted
                else "this AutoML step's model was refitted on every row, so it has no test rows to show: "
                "draw a hold-out split above it to preview its predictions",
                head.id,
            )
        return None

    def _beside_truth(self, frame: pd.DataFrame, model: Pipeline, test: np.ndarray) -> pd.DataFrame:
        data = self.data
        assert data.y is not None and data.target is not None
        out = predict(model, data.X.iloc[test], test, data.y[test], data.task, data.n_classes)
        frame[data.target] = _labels(data, data.y[test])
        frame["prediction"] = _labels(data, out.pred)
        if out.proba is not None:
            frame["probability"] = out.proba[np.arange(len(test)), out.pred.astype(np.int64)]
        if task_family(data.task) == "regression":
            frame["error"] = out.pred - data.y[test]
        return frame


def _table(root: Node, datasets: Mapping[str, Path]) -> Table:
    ident = root.params.get("dataset_id")
    if not isinstance(ident, str) or ident not in datasets:
        raise EngineError(f"dataset {ident!r} was not sent with the request", root.id)
    try:
        return Table.read(Path(datasets[ident]))
    except (OSError, ValueError) as exc:
        raise EngineError(f"cannot read dataset {ident!r} as Parquet: {exc}", root.id) from exc


def _labels(data: Data, codes: np.ndarray) -> np.ndarray:
    """Class codes back to the target's own values (numbers stay numbers)."""
    if data.classes is None:
        return np.asarray(codes, dtype=np.float64)
    classes = np.asarray(data.classes, dtype=object)
    return classes[np.asarray(codes, dtype=np.int64)]


def _dtype(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "float"
    values = series.dropna()
    if len(values) and all(isinstance(v, bool) for v in values):
        return "boolean"
    if len(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float" if any(isinstance(v, float) for v in values) else "integer"
    return "string"


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _whole(value: Any) -> Any:
    """Integer columns travel as floats through the engine; shown, 3.0 is 3."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _result(
    node_id: str, kind: Any, frame: pd.DataFrame, limit: int, sizes: SplitSizes | None, original: Mapping[str, str]
) -> PreviewResult:
    head = frame.head(limit)
    columns = [PreviewColumn(str(c), original.get(str(c)) or _dtype(frame[c])) for c in frame.columns]
    whole = [c.dtype == "integer" for c in columns]
    rows = [
        [_whole(_cell(v)) if w else _cell(v) for v, w in zip(row, whole, strict=True)]
        for row in head.itertuples(index=False, name=None)
    ]
    return PreviewResult(node_id=node_id, kind=kind, columns=columns, rows=rows, total_rows=len(frame), split=sizes)
