"""Each step's state as the engine moves: running when the engine reaches it, succeeded when every
model branch that goes through it is done, failed where an error points, skipped for the rest.

A step shared by several branches (the dataset, a split feeding two models) stays running until the
last of them is done, so its chip never claims success while a branch through it still trains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from automl_core.execution import Emit, NodeEvent
from automl_core.runs import NodeState
from automl_core.workflow import Graph, downstream


class StepTracker:
    def __init__(self, graph: Graph, branches: Mapping[str, Sequence[str]], emit: Emit) -> None:
        self._emit = emit
        self._state: dict[str, NodeState] = {n.id: NodeState.QUEUED for n in graph.nodes}
        self._steps: dict[str, list[str]] = {}
        """model node id -> every step its branch touches: the chain into it and what reads its model."""
        self._pending: dict[str, int] = {}
        for model_id, path in branches.items():
            after = sorted(downstream(graph, model_id), key=list(self._state).index)
            self._steps[model_id] = [*path, *after]
            for node_id in self._steps[model_id]:
                self._pending[node_id] = self._pending.get(node_id, 0) + 1

    def _move(self, node_id: str, state: NodeState, message: str | None = None) -> None:
        current = self._state.get(node_id)
        if current is None or current.terminal or (current is state and message is None):
            return
        self._state[node_id] = state
        self._emit(NodeEvent(node_id=node_id, state=state, message=message))

    def running(self, node_ids: Sequence[str], message: str | None = None) -> None:
        for node_id in node_ids:
            self._move(node_id, NodeState.RUNNING, message)

    def succeeded(self, node_id: str, message: str | None = None) -> None:
        self._move(node_id, NodeState.SUCCEEDED, message)

    def branch_done(self, model_id: str, message: str | None = None) -> None:
        """The branch ended well: each of its steps no other unfinished branch needs has succeeded."""
        for node_id in self._steps.get(model_id, ()):
            self._pending[node_id] -= 1
            if self._pending[node_id] == 0:
                self.succeeded(node_id, message if node_id == model_id else None)

    def failed(self, node_id: str | None, message: str) -> None:
        """The run stops: the step at fault (else every running one) failed, every other unfinished one skipped."""
        culprits = (
            [node_id] if node_id in self._state else [k for k, v in self._state.items() if v is NodeState.RUNNING]
        )
        for culprit in culprits:
            self._move(culprit, NodeState.FAILED, message)
        for other, state in list(self._state.items()):
            if not state.terminal:
                self._move(other, NodeState.SKIPPED)

    def steps(self, model_id: str) -> list[str]:
        return list(self._steps.get(model_id, ()))
