from datetime import UTC, datetime

import pytest

from automl_core.errors import IllegalTransition
from automl_core.runs import TRANSITIONS, Progress, Run, RunStatus
from automl_core.workflow import Graph

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)

ILLEGAL = [(a, b) for a in RunStatus for b in RunStatus if b not in TRANSITIONS[a]]


def run_in(status: RunStatus) -> Run:
    return Run(
        id="r",
        owner_id="u",
        workflow_id="w",
        snapshot=Graph(),
        dataset_hashes={},
        status=status,
        created_at=T0,
    )


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_move_is_refused(current: RunStatus, target: RunStatus):
    with pytest.raises(IllegalTransition, match=f"{current.value} run cannot become {target.value}"):
        run_in(current).moved(target, T1)


def test_terminal_states_are_final():
    for status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
        assert status.terminal and not TRANSITIONS[status]


def test_moves_stamp_times_and_progress():
    running = run_in(RunStatus.QUEUED).moved(RunStatus.RUNNING, T1)
    assert running.started_at == T1 and running.finished_at is None
    done = running.moved(RunStatus.SUCCEEDED, T1)
    assert done.finished_at == T1 and done.progress == Progress(1.0, "done")
    requeued = running.moved(RunStatus.QUEUED, T1)
    assert requeued.started_at is None


def test_a_move_leaves_the_original_untouched():
    queued = run_in(RunStatus.QUEUED)
    queued.moved(RunStatus.CANCELLED, T1)
    assert queued.status is RunStatus.QUEUED
