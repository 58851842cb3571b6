"""The executor contract: what every `Executor` adapter must do, as a reusable pytest suite.

Any adapter proves itself by subclassing `ExecutorContract` with one fixture, `executor`, yielding an
executor that runs the real engine:

    class TestMyExecutor(ExecutorContract):
        @pytest.fixture
        async def executor(self):
            executor = MyExecutor(...)
            yield executor
            await executor.close()

The suite trains tiny models on a synthetic 200-row table it writes itself (so it needs no files of
the project's), covering: submit -> progress and step states -> result with a model artifact, primary
metric and timings per branch; a failure that names its node (failed; the other steps skipped);
cancel of a running job; finish now of a running AutoML search (it completes with the best model so
far); two jobs at once; and the stream ending exactly once.

It lives with the tests, not in the package: an executor kit copies or imports it from here
(`docs/executors.md` says how).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from automl_core.execution import (
    TERMINAL_EVENTS,
    CompletedEvent,
    ExecutionEvent,
    ExecutionRequest,
    FailedEvent,
    NodeEvent,
    ProgressEvent,
    TrialEvent,
)
from automl_core.ports import Executor
from automl_core.runs import NodeState
from automl_core.workflow import Edge, Graph, Node

DATASET_ID = "contract-ds"
TARGET = "label"
EVENTS_TIMEOUT_S = 90.0
"""Generous for two cores shared with other work; a hang still fails, it never blocks the suite."""
FINISH_WITHIN_S = 8.0
"""How soon after "finish now" the job must complete: the trial running then, the refit, evaluation."""


def table(rows: int = 200, seed: int = 7) -> pl.DataFrame:
    """A small binary-classification table, learnable but not trivially: two informative numeric
    columns, a categorical one and a few missing cells."""
    import random

    rnd = random.Random(seed)
    xs = [rnd.gauss(0, 1) for _ in range(rows)]
    zs = [rnd.gauss(0, 1) for _ in range(rows)]
    colour = [rnd.choice(["red", "green", "blue"]) for _ in range(rows)]
    label = ["yes" if x + 0.5 * z + rnd.gauss(0, 0.5) > 0 else "no" for x, z in zip(xs, zs, strict=True)]
    return pl.DataFrame(
        {
            "x": [None if i % 37 == 0 else v for i, v in enumerate(xs)],
            "z": zs,
            "colour": colour,
            TARGET: label,
        }
    )


def graph(*models: tuple[str, str, dict[str, Any]], target: str = TARGET) -> Graph:
    """dataset -> split -> each model (a parallel branch) -> its own evaluate."""
    nodes = [
        Node(id="data", type="dataset", params={"dataset_id": DATASET_ID, "target": target}),
        Node(id="split", type="split", params={"test_size": 0.25, "seed": 1}),
    ]
    edges = [Edge(id="e-data-split", source="data", target="split")]
    for node_id, node_type, params in models:
        nodes += [Node(id=node_id, type=node_type, params=params), Node(id=f"eval-{node_id}", type="evaluate")]
        edges += [
            Edge(id=f"e-split-{node_id}", source="split", target=node_id),
            Edge(id=f"e-{node_id}-eval", source=node_id, target=f"eval-{node_id}"),
        ]
    return Graph(nodes=nodes, edges=edges)


LOGISTIC: tuple[str, str, dict[str, Any]] = ("logreg", "model.logistic_regression", {})
TREE = ("tree", "model.decision_tree", {"max_depth": 3})
SLOW_AUTOML = ("search", "automl", {"time_budget_s": 20, "ensemble": False})
STEADY_AUTOML = ("search", "automl", {"time_budget_s": 60, "ensemble": False, "families": ["logistic_regression"]})
"""A search of quick trials that would go on for its whole budget unless asked to finish."""


def request(run_id: str, workflow: Graph, seed: int = 0) -> ExecutionRequest:
    return ExecutionRequest(run_id=run_id, workflow=workflow, dataset_hashes={DATASET_ID: "h"}, seed=seed)


async def collect(executor: Executor, handle: Any, timeout: float = EVENTS_TIMEOUT_S) -> list[ExecutionEvent]:
    """Every event of a job, checked to end with exactly one terminal event."""
    events: list[ExecutionEvent] = []
    async with asyncio.timeout(timeout):
        async for event in executor.events(handle):
            events.append(event)
    terminal = [e for e in events if isinstance(e, TERMINAL_EVENTS)]
    assert len(terminal) == 1 and events[-1] is terminal[0], f"the stream must end once: {events!r}"
    return events


def step_states(events: list[ExecutionEvent]) -> dict[str, list[NodeState]]:
    """node id -> the states its NodeEvents went through, in order."""
    states: dict[str, list[NodeState]] = {}
    for event in events:
        if isinstance(event, NodeEvent):
            states.setdefault(event.node_id, []).append(event.state)
    return states


def completed(events: list[ExecutionEvent]) -> CompletedEvent:
    final = events[-1]
    assert isinstance(final, CompletedEvent), f"expected a result, got {final!r}"
    return final


class ExecutorContract:
    """Subclass it and provide an `executor` fixture; every test below then runs against it."""

    @pytest.fixture
    def contract_datasets(self, tmp_path: Path) -> Mapping[str, Path]:
        path = tmp_path / "contract.parquet"
        table().write_parquet(path)
        return {DATASET_ID: path}

    @pytest.mark.timeout(120)
    async def test_submit_streams_progress_then_a_result_per_branch(
        self, executor: Executor, contract_datasets: Mapping[str, Path]
    ) -> None:
        handle = await executor.submit(request("contract-ok", graph(LOGISTIC, TREE)), contract_datasets)
        events = await collect(executor, handle)

        progress = [e for e in events if isinstance(e, ProgressEvent)]
        assert progress, "a job reports progress before its result"
        assert all(0.0 <= p.fraction <= 1.0 for p in progress)
        result = completed(events).result
        assert sorted(b.node_id for b in result.branches) == ["logreg", "tree"]
        for branch in result.branches:
            assert branch.metrics, f"{branch.node_id} has no metrics"
            assert branch.artifact[:2] == b"PK", f"{branch.node_id}'s artifact is not a skops (zip) file"
            assert branch.dataset_id == DATASET_ID
            assert branch.primary_metric == "roc_auc" and "roc_auc" in branch.metrics
            assert branch.timings and not set(branch.timings) & set(branch.metrics), "timings are kept apart"

        states = step_states(events)
        every_step = {"data", "split", "logreg", "eval-logreg", "tree", "eval-tree"}
        assert set(states) == every_step, f"each step reports its state: {states}"
        for node_id, seen in states.items():
            assert seen == [NodeState.RUNNING, NodeState.SUCCEEDED], f"{node_id} went {seen}"
        order = [(e.node_id, e.state) for e in events if isinstance(e, NodeEvent)]
        # The shared split stays running until the last branch through it is done.
        assert order.index(("tree", NodeState.RUNNING)) < order.index(("split", NodeState.SUCCEEDED))
        assert order.index(("logreg", NodeState.SUCCEEDED)) < order.index(("tree", NodeState.RUNNING))
        messages = [p.message for p in progress if p.node_id == "logreg"]
        assert "Training Logistic regression" in messages, f"progress names steps by label: {messages}"

    @pytest.mark.timeout(120)
    async def test_failure_names_the_node_and_says_why(
        self, executor: Executor, contract_datasets: Mapping[str, Path]
    ) -> None:
        workflow = graph(LOGISTIC, target="no_such_column")
        handle = await executor.submit(request("contract-fail", workflow), contract_datasets)
        events = await collect(executor, handle)
        final = events[-1]

        assert isinstance(final, FailedEvent), f"expected a failure, got {final!r}"
        assert final.node_id == "data"
        assert "no_such_column" in final.message
        last = {node_id: seen[-1] for node_id, seen in step_states(events).items()}
        skipped = NodeState.SKIPPED
        assert last == {"data": NodeState.FAILED, "split": skipped, "logreg": skipped, "eval-logreg": skipped}

    @pytest.mark.timeout(120)
    async def test_cancel_ends_a_running_job(self, executor: Executor, contract_datasets: Mapping[str, Path]) -> None:
        """Cancel once the search itself reports (the job is training, not queued or uploading): the
        stream must end as cancelled, not run on to the search's result."""
        handle = await executor.submit(request("contract-cancel", graph(SLOW_AUTOML)), contract_datasets)
        events: list[ExecutionEvent] = []
        cancelled_at: int | None = None
        async with asyncio.timeout(EVENTS_TIMEOUT_S):
            async for event in executor.events(handle):
                events.append(event)
                if cancelled_at is None and getattr(event, "node_id", None) == SLOW_AUTOML[0]:
                    cancelled_at = len(events)
                    await executor.cancel(handle)
        assert cancelled_at is not None, f"the search never reported, so nothing running was cancelled: {events!r}"
        final = events[-1]
        assert isinstance(final, FailedEvent), f"a cancelled job ends as a failure, got {final!r}"
        assert "cancel" in final.message
        await executor.cancel(handle)  # cancelling a finished job is harmless

    @pytest.mark.timeout(120)
    async def test_finish_now_keeps_the_best_model_so_far(
        self, executor: Executor, contract_datasets: Mapping[str, Path]
    ) -> None:
        handle = await executor.submit(request("contract-finish", graph(STEADY_AUTOML)), contract_datasets)
        events: list[ExecutionEvent] = []
        asked_at = None
        async with asyncio.timeout(EVENTS_TIMEOUT_S):
            async for event in executor.events(handle):
                events.append(event)
                if isinstance(event, TrialEvent) and asked_at is None:
                    asked_at = time.monotonic()
                    await executor.finish(handle)
        assert asked_at is not None, f"the search reported no trial: {events!r}"
        waited = time.monotonic() - asked_at
        branch = completed(events).result.branches[0]
        assert branch.node_id == "search" and branch.artifact[:2] == b"PK" and branch.metrics
        budget = STEADY_AUTOML[2]["time_budget_s"]
        searched = branch.timings["search_s"]
        assert waited < FINISH_WITHIN_S, f"finished {waited:.1f} s after being asked (searched {searched} s)"
        assert searched < budget * 0.75, f"the search went on for {searched} s of its {budget} s budget"
        await executor.finish(handle)  # finishing an ended job is harmless

    @pytest.mark.timeout(150)
    async def test_two_jobs_at_once(self, executor: Executor, contract_datasets: Mapping[str, Path]) -> None:
        first = await executor.submit(request("contract-a", graph(LOGISTIC), seed=1), contract_datasets)
        second = await executor.submit(request("contract-b", graph(TREE), seed=2), contract_datasets)
        a, b = await asyncio.gather(collect(executor, first), collect(executor, second))

        assert [br.node_id for br in completed(a).result.branches] == ["logreg"]
        assert [br.node_id for br in completed(b).result.branches] == ["tree"]

    async def test_healthy(self, executor: Executor) -> None:
        assert await executor.healthy() is True
