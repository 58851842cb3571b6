"""Runs: a state machine that refuses illegal moves, with progress and per-model results."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from automl_core.errors import IllegalTransition
from automl_core.workflow import Graph


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})

TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.FAILED}),
    # running -> queued: a replica lost its lease (it died) and the run goes back for another to claim.
    RunStatus.RUNNING: frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.QUEUED}),
    RunStatus.SUCCEEDED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
}


def check_transition(current: RunStatus, target: RunStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"a {current.value} run cannot become {target.value}")


class Progress(msgspec.Struct, frozen=True):
    fraction: float = 0.0
    message: str = ""
    node_id: str | None = None
    """The step the message is about, when one is."""


class NodeState(enum.StrEnum):
    """Where one step of a run is: every step starts queued and ends succeeded, failed or skipped, or
    reused (its result came from the owner's cache: nothing it depends on changed since it was computed)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    REUSED = "reused"

    @property
    def terminal(self) -> bool:
        return self in (NodeState.SUCCEEDED, NodeState.FAILED, NodeState.SKIPPED, NodeState.REUSED)


class NodeStatus(msgspec.Struct, frozen=True, omit_defaults=True):
    state: NodeState
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def moved(self, state: NodeState, at: datetime, message: str | None = None) -> NodeStatus:
        """A copy in `state` saying `message`, stamped with when it started or ended; a terminal step
        stays as it is, and the same state without a message keeps the one it has."""
        if self.state.terminal:
            return self
        if state is self.state:
            return self if message in (None, self.message) else msgspec.structs.replace(self, message=message)
        started = self.started_at or (at if state is not NodeState.SKIPPED else None)
        return NodeStatus(state, message, started, at if state.terminal else None)


def settle_nodes(nodes: dict[str, NodeStatus], at: datetime, state: NodeState) -> dict[str, NodeStatus]:
    """Every step not yet ended moved to `state` (the run ended without saying so for them)."""
    return {k: v if v.state.terminal else v.moved(state, at) for k, v in nodes.items()}


class RunError(msgspec.Struct, frozen=True, omit_defaults=True):
    message: str
    node_id: str | None = None


class LeaderboardEntry(msgspec.Struct, frozen=True):
    algorithm: str
    params: dict[str, Any]
    score: float | None
    fit_seconds: float


class RunResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One trained model/automl node's outcome, as the API shows it."""

    node_id: str
    model_id: str | None = None
    algorithm: str
    task: str
    metrics: dict[str, float] = msgspec.field(default_factory=dict)
    leaderboard: list[LeaderboardEntry] | None = None
    plots: dict[str, Any] = msgspec.field(default_factory=dict)
    primary_metric: str | None = None
    """The metric the node optimised (AutoML) or the task's default: the headline number."""
    timings: dict[str, float] | None = None
    """Seconds per phase (search_s, refit_s, evaluate_s, explain_s, onnx_s, ...), kept apart from the metrics."""


class Run(msgspec.Struct, kw_only=True):
    id: str
    owner_id: str
    workflow_id: str
    snapshot: Graph
    """The workflow as it was when the run was asked for; later edits never change it."""
    dataset_hashes: dict[str, str]
    """dataset id -> content hash of the data the run reads."""
    seed: int = 0
    status: RunStatus = RunStatus.QUEUED
    progress: Progress = Progress()
    error: RunError | None = None
    results: list[RunResult] = msgspec.field(default_factory=list)
    log: list[str] = msgspec.field(default_factory=list)
    """The engine's log lines, newest last (the supervisor keeps the tail)."""
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    """How many times a supervisor claimed the run: a second attempt follows a replica that died with it."""
    lease_owner: str | None = None
    """The replica (API process) running it, while it runs."""
    lease_expires_at: datetime | None = None
    """Until when that replica's claim holds unless it renews it; past it, any replica may take the run back."""
    nodes: dict[str, NodeStatus] = msgspec.field(default_factory=dict)
    """node id -> where that step is; every step of the snapshot, queued until the engine reaches it."""
    finish_requested: bool = False
    """The owner asked to stop searching now and keep the best model so far ("Finish now")."""

    def moved(self, target: RunStatus, at: datetime) -> Run:
        """A copy in the `target` state; raises IllegalTransition for moves the machine forbids."""
        check_transition(self.status, target)
        changes: dict[str, Any] = {"status": target}
        if target is RunStatus.RUNNING:
            changes["started_at"] = at
        elif target is RunStatus.QUEUED:
            changes.update(
                started_at=None,
                progress=Progress(),
                lease_owner=None,
                lease_expires_at=None,
                nodes=queued_nodes(self.snapshot),
                finish_requested=False,
            )
        else:
            changes.update(finished_at=at, lease_owner=None, lease_expires_at=None)
            ended = NodeState.SUCCEEDED if target is RunStatus.SUCCEEDED else NodeState.SKIPPED
            changes["nodes"] = settle_nodes(self.nodes, at, ended)
            if target is RunStatus.SUCCEEDED:
                changes["progress"] = Progress(1.0, "done")
        return msgspec.structs.replace(self, **changes)


def queued_nodes(graph: Graph) -> dict[str, NodeStatus]:
    """The step states of a run that has not started: every node queued."""
    return {n.id: NodeStatus(NodeState.QUEUED) for n in graph.nodes}
