"""A deterministic in-process executor for tests: scripted progress, failure or stall on demand.

Given an engine function (`automl_core.execution.Engine`) it runs that for real in a thread (the API
tests train real models this way); otherwise it fabricates one result per model node. A thread can't
be killed: cancel sets the engine's `should_stop` and the engine stops at its next check.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from automl_core.errors import Unavailable
from automl_core.execution import (
    BranchResult,
    CompletedEvent,
    Engine,
    ExecutionEvent,
    ExecutionRequest,
    ExecutionResult,
    FailedEvent,
    ProgressEvent,
    failure_event,
)
from automl_core.ids import new_id
from automl_core.ports import JobHandle
from automl_core.previews import PreviewOutcome, PreviewRequest, PreviewResult, raise_failure
from automl_core.workflow import is_trainable

Previewer = Callable[[PreviewRequest, Mapping[str, Path]], PreviewOutcome]


def fabricated_result(request: ExecutionRequest) -> ExecutionResult:
    branches = [
        BranchResult(
            node_id=n.id,
            algorithm=n.type.removeprefix("model."),
            task="binary",
            target=None,
            dataset_id=next(iter(request.dataset_hashes), ""),
            metrics={"accuracy": 1.0},
            artifact=f"artifact:{n.id}".encode(),
        )
        for n in request.workflow.nodes
        if is_trainable(n.type)
    ]
    return ExecutionResult(branches=branches, library_versions={"memory": "1"})


class _Job:
    def __init__(self) -> None:
        self.events: asyncio.Queue[ExecutionEvent] = asyncio.Queue()
        self.cancelled = threading.Event()
        self.finishing = threading.Event()
        self.task: asyncio.Task[None] | None = None


class MemoryExecutor:
    def __init__(
        self,
        engine: Engine | None = None,
        *,
        fail_with: str | None = None,
        fail_node: str | None = None,
        stall: bool = False,
        progress_steps: int = 3,
        healthy: bool = True,
        previewer: Previewer | None = None,
    ) -> None:
        """`previewer` computes step previews in a thread (e.g. `automl_worker.preview.outcome`)."""
        self.engine = engine
        self.previewer = previewer
        self.previews: list[PreviewRequest] = []
        self.fail_with = fail_with
        self.fail_node = fail_node
        self.stall = stall
        self.progress_steps = progress_steps
        self._healthy = healthy
        self.jobs: dict[str, _Job] = {}
        self.submitted: list[ExecutionRequest] = []

    async def submit(self, request: ExecutionRequest, datasets: Mapping[str, Path]) -> JobHandle:
        handle = JobHandle(job_id=new_id())
        job = _Job()
        self.jobs[handle.job_id] = job
        self.submitted.append(request)
        job.task = asyncio.create_task(self._run(job, request, dict(datasets)))
        return handle

    async def _run(self, job: _Job, request: ExecutionRequest, datasets: dict[str, Path]) -> None:
        loop = asyncio.get_running_loop()
        for step in range(self.progress_steps):
            await job.events.put(ProgressEvent(fraction=step / max(self.progress_steps, 1), message=f"step {step}"))
        if self.stall:
            await asyncio.Event().wait()
        if self.fail_with is not None:
            await job.events.put(FailedEvent(message=self.fail_with, node_id=self.fail_node))
            return
        if self.engine is None:
            await job.events.put(CompletedEvent(result=fabricated_result(request)))
            return

        def emit(event: ExecutionEvent) -> None:
            loop.call_soon_threadsafe(job.events.put_nowait, event)

        try:
            result = await asyncio.to_thread(
                self.engine, request, datasets, emit, job.cancelled.is_set, job.finishing.is_set
            )
        except Exception as exc:
            await job.events.put(failure_event(exc))
        else:
            await job.events.put(CompletedEvent(result=result))

    async def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        job = self.jobs[handle.job_id]
        while True:
            event = await job.events.get()
            yield event
            if isinstance(event, CompletedEvent | FailedEvent):
                return

    async def cancel(self, handle: JobHandle) -> None:
        job = self.jobs.get(handle.job_id)
        if job is None or job.task is None or job.task.done():
            return
        job.cancelled.set()
        job.task.cancel()
        await job.events.put(FailedEvent(message="cancelled"))

    async def finish(self, handle: JobHandle) -> None:
        job = self.jobs.get(handle.job_id)
        if job is not None:
            job.finishing.set()

    async def healthy(self) -> bool:
        return self._healthy

    async def preview(self, request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewResult:
        if self.previewer is None:
            raise Unavailable("this executor has no previewer")
        self.previews.append(request)
        return raise_failure(await asyncio.to_thread(self.previewer, request, dict(datasets)))
