"""Run events as Server-Sent Events: the stored run's changes, turned into `status`, `node`,
`progress`, `log`, `result` and a final `done`.

The stream is derived from the store (via `RunService.watch`), so any API replica can serve it and
a late subscriber first gets the whole current state as a `status` event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar.response import ServerSentEventMessage

from automl_core.labels import line_node, node_labels
from automl_core.runs import Run, RunStatus
from automl_core.services.runs import RunService
from entrypoints.http.schemas import RunOut

KEEPALIVE_S = 15.0


def _message(event: str, data: Any) -> ServerSentEventMessage:
    return ServerSentEventMessage(event=event, data=msgspec.json.encode(data).decode())


def _new_lines(before: list[str], after: list[str]) -> list[str]:
    """Lines of `after` not yet in `before`; the stored log keeps only its tail, so it can shift."""
    if after[: len(before)] == before:
        return after[len(before) :]
    if before and before[-1] in after:
        return after[len(after) - after[::-1].index(before[-1]) :]
    return after


def _node_changes(last: Run, run: Run) -> list[ServerSentEventMessage]:
    messages = []
    for node_id, status in run.nodes.items():
        if last.nodes.get(node_id) != status:
            body = {"node_id": node_id, "state": status.state.value}
            if status.message is not None:
                body["message"] = status.message
            messages.append(_message("node", body))
    return messages


def _log_message(line: str, labels: dict[str, str]) -> ServerSentEventMessage:
    node_id = line_node(line, labels)
    return _message("log", {"line": line} if node_id is None else {"line": line, "node_id": node_id})


def changes(last: Run | None, run: Run) -> list[ServerSentEventMessage]:
    """What a subscriber who saw `last` needs to be told about `run`."""
    messages = []
    if last is not None:
        # Step states first: the run's own status comes after the steps that led to it.
        messages.extend(_node_changes(last, run))
    if last is None or last.status != run.status:
        messages.append(_message("status", RunOut.of(run)))
    elif last.progress != run.progress:
        messages.append(_message("progress", run.progress))
    if last is not None:
        labels = node_labels(run.snapshot)
        messages.extend(_log_message(line, labels) for line in _new_lines(last.log, run.log))
    if run.status is RunStatus.SUCCEEDED and (last is None or last.status is not RunStatus.SUCCEEDED):
        messages.extend(_message("result", result) for result in run.results)
    return messages


async def run_events(
    runs: RunService, owner_id: str, run_id: str, keepalive_s: float = KEEPALIVE_S
) -> AsyncIterator[ServerSentEventMessage]:
    """The stream for one subscriber; a comment line every `keepalive_s` of silence keeps proxies from
    closing it while a long step trains without reporting."""
    last: Run | None = None
    watch = aiter(runs.watch(owner_id, run_id))
    pending: asyncio.Future[Run] = asyncio.ensure_future(anext(watch))
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=keepalive_s)
            if not done:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            try:
                run = pending.result()
            except StopAsyncIteration:
                break
            for message in changes(last, run):
                yield message
            last = run
            pending = asyncio.ensure_future(anext(watch))
    finally:
        pending.cancel()  # the subscriber left or the run ended: stop watching the store
        await asyncio.wait({pending})
    done_data: dict[str, Any] = {"status": last.status.value if last else "unknown"}
    if last is not None and last.error is not None:
        done_data["error"] = msgspec.to_builtins(last.error)
    yield _message("done", done_data)
