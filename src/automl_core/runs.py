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
    timings: dict[str, float] | None = None
    """Seconds per phase (search_s, refit_s, explain_s, onnx_s, ...), kept apart from the metrics."""


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

    def moved(self, target: RunStatus, at: datetime) -> Run:
        """A copy in the `target` state; raises IllegalTransition for moves the machine forbids."""
        check_transition(self.status, target)
        changes: dict[str, Any] = {"status": target}
        if target is RunStatus.RUNNING:
            changes["started_at"] = at
        elif target is RunStatus.QUEUED:
            changes.update(started_at=None, progress=Progress(), lease_owner=None, lease_expires_at=None)
        else:
            changes.update(finished_at=at, lease_owner=None, lease_expires_at=None)
            if target is RunStatus.SUCCEEDED:
                changes["progress"] = Progress(1.0, "done")
        return msgspec.structs.replace(self, **changes)
