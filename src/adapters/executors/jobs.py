"""Per-job event queues shared by the executors.

Every executor promises the same thing: `events()` yields a job's events and ends with exactly one
CompletedEvent or FailedEvent, whatever happened (a crash, a kill, a cancel racing a result). The
guarantee lives here once, so each adapter only reports what it saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from automl_core.execution import TERMINAL_EVENTS, ExecutionEvent, FailedEvent
from automl_core.ids import new_id
from automl_core.ports import JobHandle

CANCELLED = "cancelled"


class Job:
    """One submitted job: its event queue and the task doing the work."""

    def __init__(self, handle: JobHandle) -> None:
        self.handle = handle
        self.queue: asyncio.Queue[ExecutionEvent] = asyncio.Queue()
        self.finished = False
        self.task: asyncio.Task[None] | None = None
        self.on_finish: Callable[[], Awaitable[None]] | None = None
        """How the adapter tells the running engine to finish now; set once the job has started."""
        self.finish_asked = False

    def emit(self, event: ExecutionEvent) -> None:
        """Queue an event; anything after the terminal one is dropped, so the stream ends exactly once."""
        if self.finished:
            return
        if isinstance(event, TERMINAL_EVENTS):
            self.finished = True
        self.queue.put_nowait(event)

    def fail(self, message: str, node_id: str | None = None) -> None:
        self.emit(FailedEvent(message=message, node_id=node_id))


class JobTable:
    """The jobs an executor holds, forgotten once their terminal event has been read."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        """Work still going, including clean-up after a job's terminal event."""

    def start(self, work: Callable[[Job], Coroutine[Any, Any, None]]) -> JobHandle:
        """Register a job and run `work(job)` for it in the background."""
        job = Job(JobHandle(job_id=new_id()))
        self.jobs[job.handle.job_id] = job
        job.task = asyncio.create_task(self._guarded(job, work), name=f"job-{job.handle.job_id}")
        self.tasks.add(job.task)
        job.task.add_done_callback(self.tasks.discard)
        return job.handle

    @staticmethod
    async def _guarded(job: Job, work: Callable[[Job], Coroutine[Any, Any, None]]) -> None:
        """Whatever `work` does, the job's stream ends: a bug becomes a failure, not a hung run."""
        try:
            await work(job)
        except Exception as exc:
            job.fail(f"the executor failed: {type(exc).__name__}: {exc}")
        finally:
            job.fail("the executor stopped without a result")

    async def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        job = self.jobs.get(handle.job_id)
        if job is None:
            # A handle from before a restart, or one already read to the end: nothing to follow.
            yield FailedEvent(message=f"no such job {handle.job_id!r} (the executor may have restarted)")
            return
        while True:
            event = await job.queue.get()
            yield event
            if isinstance(event, TERMINAL_EVENTS):
                self.jobs.pop(handle.job_id, None)
                return

    async def cancel(self, handle: JobHandle) -> None:
        """Stop the job's work and end its stream with a 'cancelled' failure (no-op once it ended)."""
        job = self.jobs.get(handle.job_id)
        if job is None or job.finished:
            return
        job.fail(CANCELLED)
        if job.task is not None and not job.task.done():
            job.task.cancel()
            await asyncio.gather(job.task, return_exceptions=True)

    async def finish(self, handle: JobHandle) -> None:
        """Pass "finish now" to the job's engine (once; a no-op once it ended). Asked before the adapter
        could wire it, it is passed as soon as the adapter sets `on_finish` (see `started`)."""
        job = self.jobs.get(handle.job_id)
        if job is None or job.finished or job.finish_asked:
            return
        job.finish_asked = True
        if job.on_finish is not None:
            await job.on_finish()

    @staticmethod
    async def started(job: Job, on_finish: Callable[[], Awaitable[None]]) -> None:
        """The adapter can reach the engine now: remember how, and pass a finish asked meanwhile."""
        job.on_finish = on_finish
        if job.finish_asked and not job.finished:
            await on_finish()

    async def close(self) -> None:
        """Cancel every job still working and wait for all clean-up (executor shutdown)."""
        for job in list(self.jobs.values()):
            await self.cancel(job.handle)
        await asyncio.gather(*self.tasks, return_exceptions=True)
