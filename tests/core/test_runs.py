from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automl_core.errors import IllegalTransition
from automl_core.runs import TRANSITIONS, NodeState, NodeStatus, Progress, Run, RunStatus, queued_nodes
from automl_core.workflow import Graph, Node

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


@given(st.lists(st.sampled_from(list(NodeState)), max_size=8))
def test_a_step_never_leaves_its_end_and_keeps_when_it_started(states: list[NodeState]) -> None:
    """Whatever order the events come in: an ended step stays ended, its start time never moves."""
    status = NodeStatus(NodeState.QUEUED)
    for i, state in enumerate(states):
        before = status
        status = status.moved(state, datetime(2026, 1, 1, 0, 0, i, tzinfo=UTC))
        if before.state.terminal:
            assert status == before
        if before.started_at is not None:
            assert status.started_at == before.started_at
        if status.state.terminal and status.state is not NodeState.SKIPPED and status.state != before.state:
            assert status.finished_at is not None and status.started_at is not None


def test_an_ended_run_settles_its_steps() -> None:
    """A run that succeeded leaves no step queued; a failed or cancelled one skips what never ran."""
    graph = Graph(nodes=[Node("d", "dataset"), Node("m", "model.random_forest")])
    failed = NodeStatus(NodeState.QUEUED).moved(NodeState.FAILED, T0, "bad")
    running = Run(
        id="r", owner_id="u", workflow_id="w", snapshot=graph, dataset_hashes={}, created_at=T0,
        status=RunStatus.RUNNING, nodes={**queued_nodes(graph), "d": failed},
    )  # fmt: skip
    assert running.moved(RunStatus.SUCCEEDED, T1).nodes["m"].state is NodeState.SUCCEEDED
    cancelled = running.moved(RunStatus.CANCELLED, T1).nodes
    assert (cancelled["d"].state, cancelled["m"].state) == (NodeState.FAILED, NodeState.SKIPPED)
    assert running.moved(RunStatus.QUEUED, T1).nodes == queued_nodes(graph)
