"""The event stream's shape, on scripted run histories (no app needed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import msgspec
from litestar.response import ServerSentEventMessage

from automl_core.labels import log_line
from automl_core.runs import NodeState, NodeStatus, Progress, Run, RunError, RunResult, RunStatus
from automl_core.workflow import Graph, Node
from entrypoints.http.events import run_events

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _run(status: RunStatus, fraction: float = 0.0, log: list[str] | None = None, **kw: object) -> Run:
    kw = {"snapshot": Graph(), **kw}
    return Run(
        id="r", owner_id="o", workflow_id="w", dataset_hashes={}, created_at=NOW,
        status=status, progress=Progress(fraction, f"{fraction:.0%}"), log=log or [], **kw,  # type: ignore[arg-type]
    )  # fmt: skip


class ScriptedRuns:
    def __init__(self, history: list[Run], pause_s: float = 0.0) -> None:
        self.history = history
        self.pause_s = pause_s

    async def watch(self, owner_id: str, run_id: str) -> AsyncIterator[Run]:
        for run in self.history:
            await asyncio.sleep(self.pause_s)
            yield run


async def _collect(runs: ScriptedRuns, keepalive_s: float = 15.0) -> list[ServerSentEventMessage]:
    return [m async for m in run_events(runs, "o", "r", keepalive_s=keepalive_s)]  # type: ignore[arg-type]


def _named(messages: list[ServerSentEventMessage]) -> list[tuple[str | None, object]]:
    return [(m.event, msgspec.json.decode(m.data)) for m in messages if m.event]  # type: ignore[arg-type]


async def test_a_live_run_becomes_status_progress_log_result_done() -> None:
    result = RunResult(node_id="m", model_id="x", algorithm="rf", task="binary", metrics={"accuracy": 0.9})
    history = [
        _run(RunStatus.QUEUED),
        _run(RunStatus.RUNNING),
        _run(RunStatus.RUNNING, 0.5, ["a"]),
        _run(RunStatus.RUNNING, 0.5, ["a", "b", "c"]),
        _run(RunStatus.SUCCEEDED, 1.0, ["a", "b", "c"], results=[result]),
    ]
    events = _named(await _collect(ScriptedRuns(history)))
    assert [name for name, _ in events] == ["status", "status", "progress", "log", "log", "log", "status", "result",
                                            "done"]  # fmt: skip
    assert [data["line"] for name, data in events if name == "log"] == ["a", "b", "c"]  # type: ignore[index]
    assert events[2][1] == {"fraction": 0.5, "message": "50%", "node_id": None}
    assert events[-2][1]["metrics"] == {"accuracy": 0.9}  # type: ignore[index]
    assert events[-1] == ("done", {"status": "succeeded"})


async def test_step_changes_become_node_events_and_log_lines_name_their_step() -> None:
    graph = Graph(nodes=[Node("d", "dataset"), Node("m", "model.random_forest")])
    queued = {"d": NodeStatus(NodeState.QUEUED), "m": NodeStatus(NodeState.QUEUED)}
    reading = {**queued, "d": NodeStatus(NodeState.RUNNING, "reading", NOW)}
    training = {"d": NodeStatus(NodeState.SUCCEEDED, None, NOW, NOW), "m": NodeStatus(NodeState.RUNNING, None, NOW)}
    line = log_line("warning", "Random forest", "did not converge")
    history = [
        _run(RunStatus.RUNNING, snapshot=graph, nodes=queued),
        _run(RunStatus.RUNNING, snapshot=graph, nodes=reading),
        _run(RunStatus.RUNNING, snapshot=graph, nodes=training, log=[line, "[info] a line of no step"]),
    ]
    events = [e for e in _named(await _collect(ScriptedRuns(history))) if e[0] in ("node", "log")]
    assert events == [
        ("node", {"node_id": "d", "state": "running", "message": "reading"}),
        ("node", {"node_id": "d", "state": "succeeded"}),
        ("node", {"node_id": "m", "state": "running"}),
        ("log", {"line": "[warning] Random forest: did not converge", "node_id": "m"}),
        ("log", {"line": "[info] a line of no step"}),
    ]


async def test_a_shifted_log_tail_sends_only_new_lines() -> None:
    history = [_run(RunStatus.RUNNING, log=["1", "2", "3"]), _run(RunStatus.RUNNING, log=["2", "3", "4", "5"])]
    events = _named(await _collect(ScriptedRuns(history)))
    assert [data["line"] for name, data in events if name == "log"] == ["4", "5"]  # type: ignore[index]


async def test_a_failed_run_ends_with_its_error() -> None:
    history = [_run(RunStatus.FAILED, error=RunError(message="boom", node_id="m"))]
    events = _named(await _collect(ScriptedRuns(history)))
    error = {"message": "boom", "node_id": "m"}
    [(first, state), done] = events
    assert first == "status"
    assert {k: state[k] for k in ("id", "status", "error", "finished_at")} == {  # type: ignore[index]
        "id": "r", "status": "failed", "error": error, "finished_at": None
    }  # fmt: skip
    assert done == ("done", {"status": "failed", "error": error})


async def test_silence_is_filled_with_keepalive_comments() -> None:
    history = [_run(RunStatus.RUNNING), _run(RunStatus.SUCCEEDED, 1.0)]
    messages = await _collect(ScriptedRuns(history, pause_s=0.05), keepalive_s=0.01)
    assert any(m.comment == "keep-alive" for m in messages)
    assert messages[-1].event == "done"


async def test_leaving_early_stops_the_watch() -> None:
    watching = asyncio.Event()
    stopped = asyncio.Event()

    class Endless:
        async def watch(self, owner_id: str, run_id: str) -> AsyncIterator[Run]:
            try:
                yield _run(RunStatus.RUNNING)
                watching.set()
                await asyncio.sleep(3600)
                yield _run(RunStatus.SUCCEEDED)
            finally:
                stopped.set()

    stream = run_events(Endless(), "o", "r", keepalive_s=0.01)  # type: ignore[arg-type]
    assert (await anext(stream)).event == "status"
    assert (await anext(stream)).comment == "keep-alive"
    await asyncio.wait_for(watching.wait(), 1)
    await stream.aclose()
    await asyncio.wait_for(stopped.wait(), 1)
