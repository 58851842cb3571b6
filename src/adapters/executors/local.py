"""The embedded default executor: each job runs the engine in its own OS process.

A separate process per job (not a thread, not a long-lived pool worker) is what keeps the guarantees
simple: training never holds the API's event loop or GIL, a crash or an out-of-memory in a job ends
only that job, and cancel is a kill of the job's process group (joblib/loky helpers included).
Processes come from multiprocessing's fork server with the engine preloaded, so a job starts in
milliseconds rather than re-importing scikit-learn (about 2 s of CPU each on a small machine). A
semaphore sized to the cores bounds how many train at once; the rest wait their turn.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator, Mapping
from multiprocessing.process import BaseProcess
from pathlib import Path

import msgspec

from adapters.executors import local_child, local_preview, memory_watch
from adapters.executors.jobs import Job, JobTable
from automl_core.errors import Unavailable
from automl_core.execution import (
    ENGINE_ENTRY,
    ExecutionEvent,
    ExecutionRequest,
    ProgressEvent,
    decode_event,
)
from automl_core.ports import JobHandle
from automl_core.previews import PreviewOutcome, PreviewRequest, PreviewResult, decode_outcome, raise_failure


class LocalProcessExecutor:
    def __init__(
        self,
        *,
        max_jobs: int | None = None,
        memory_limit_mb: int | None = None,
        engine: str = ENGINE_ENTRY,
        previewer: str = local_preview.DEFAULT_PREVIEWER,
        preview_timeout_s: float | None = None,
    ) -> None:
        """`engine` is `module:function` with the engine's signature, imported in the job process.

        `memory_limit_mb` caps the resident memory of each job's process group (`memory_watch`; previews
        keep RLIMIT_DATA). A run's time limit is the supervisor's (`run_timeout_s`): it cancels the job,
        which kills its process. `preview_timeout_s` stops a step preview that takes longer.
        """
        self.max_jobs = max_jobs or os.cpu_count() or 1
        self.memory_limit_mb = memory_limit_mb
        self.preview_timeout_s = preview_timeout_s
        self.engine = engine
        self.previewer = previewer
        self._context = multiprocessing.get_context("forkserver")
        # Takes effect when the fork server starts (the first job of the process), not after.
        self._context.set_forkserver_preload(
            [
                local_child.__name__,
                local_preview.__name__,
                ENGINE_ENTRY.partition(":")[0],
                engine.partition(":")[0],
                previewer.partition(":")[0],
            ]
        )
        self._slots = asyncio.Semaphore(self.max_jobs)
        # Previews have slots of their own: a preview never waits behind a long training run.
        self._preview_slots = asyncio.Semaphore(self.max_jobs)
        # Waiting on a job's pipe blocks a thread, never the event loop; one per running job.
        self._readers = concurrent.futures.ThreadPoolExecutor(self.max_jobs, thread_name_prefix="local-job-reader")
        self._jobs = JobTable()

    async def submit(self, request: ExecutionRequest, datasets: Mapping[str, Path]) -> JobHandle:
        payload = msgspec.json.encode(
            local_child.JobInput(request=request, datasets={k: str(v) for k, v in datasets.items()})
        )
        return self._jobs.start(lambda job: self._run(job, payload))

    def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        return self._jobs.events(handle)

    async def cancel(self, handle: JobHandle) -> None:
        await self._jobs.cancel(handle)

    async def finish(self, handle: JobHandle) -> None:
        await self._jobs.finish(handle)

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        await self._jobs.close()
        self._readers.shutdown(wait=False)

    async def preview(self, request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewResult:
        """One step preview in its own process, under the training jobs' limits but not in their queue."""
        payload = local_preview.payload_of(request, dict(datasets))
        async with self._preview_slots:
            try:
                async with asyncio.timeout(self.preview_timeout_s):
                    return raise_failure(await self._preview_process(payload))
            except TimeoutError:
                limit = f"{self.preview_timeout_s:g} s"
                raise Unavailable(f"the preview ran longer than its time limit of {limit}") from None
            except OSError as exc:
                raise Unavailable(f"the local executor could not start the preview: {exc}") from None

    async def _preview_process(self, payload: bytes) -> PreviewOutcome:
        out_in, out_out = self._context.Pipe(duplex=False)
        lifeline_in, lifeline_out = self._context.Pipe(duplex=False)
        proc = self._context.Process(
            target=local_preview.main,
            args=(self.previewer, self.memory_limit_mb, payload, out_out, lifeline_in),
            name="automl-preview",
            daemon=False,
        )
        reading: concurrent.futures.Future[bytes] | None = None
        try:
            await asyncio.to_thread(proc.start)
            out_out.close()
            lifeline_in.close()
            reading = self._readers.submit(out_in.recv_bytes)
            try:
                outcome: bytes = await asyncio.wrap_future(reading)
                return decode_outcome(outcome)
            except (EOFError, OSError):
                message = _death_message(await _exit_code(proc), self.memory_limit_mb).replace("a result", "a preview")
                raise Unavailable(message) from None
            except msgspec.DecodeError as exc:
                raise Unavailable(f"the preview process sent a broken answer: {exc}") from None
        finally:
            lifeline_out.close()
            out_out.close()
            lifeline_in.close()
            if proc.pid is not None:
                _kill_group(proc)
                await _exit_code(proc)
                proc.close()
            if reading is not None and not reading.done():
                await asyncio.to_thread(concurrent.futures.wait, [reading], 5)
            out_in.close()

    async def _run(self, job: Job, payload: bytes) -> None:
        if self._slots.locked():
            job.emit(ProgressEvent(fraction=0.0, message="waiting for a free worker process"))
        async with self._slots:
            try:
                await self._fork_and_follow(job, payload)
            except OSError as exc:
                job.fail(f"the local executor could not start the job: {exc}")

    async def _watch_memory(self, proc: BaseProcess, over: list[int]) -> int:
        assert self.memory_limit_mb
        return await _watch_memory_of(proc, self.memory_limit_mb, over)

    async def _fork_and_follow(self, job: Job, payload: bytes) -> None:
        events_in, events_out = self._context.Pipe(duplex=False)
        lifeline_in, lifeline_out = self._context.Pipe(duplex=False)
        proc = self._context.Process(
            target=local_child.main,
            args=(self.engine, self.memory_limit_mb, payload, events_out, lifeline_in),
            name=f"automl-job-{job.handle.job_id}",
            daemon=False,
        )
        reading: concurrent.futures.Future[bytes] | None = None
        watchdog: asyncio.Task[int] | None = None
        over: list[int] = []
        doing: str | None = None
        try:
            # The first start launches the fork server and waits for its imports: off the loop.
            await asyncio.to_thread(proc.start)
            # Our copies of the child's ends go, so a dead child reads as end-of-file.
            events_out.close()
            lifeline_in.close()
            if self.memory_limit_mb:
                watchdog = asyncio.create_task(self._watch_memory(proc, over))

            async def finish() -> None:
                with contextlib.suppress(OSError):
                    lifeline_out.send_bytes(local_child.FINISH)

            await self._jobs.started(job, finish)
            while not job.finished:
                reading = self._readers.submit(events_in.recv_bytes)
                try:
                    frame = await asyncio.wrap_future(reading)
                except (EOFError, OSError):
                    break
                event = decode_event(frame)
                if isinstance(event, ProgressEvent) and event.message:
                    doing = event.message
                job.emit(event)
            if not job.finished:
                code = await _exit_code(proc)
                if over and self.memory_limit_mb:
                    job.fail(memory_watch.over_limit_message(self.memory_limit_mb, doing))
                else:
                    job.fail(_death_message(code, self.memory_limit_mb))
        except msgspec.DecodeError as exc:
            job.fail(f"the job process sent a broken event: {exc}")
        finally:
            if watchdog is not None:
                watchdog.cancel()
            lifeline_out.close()
            events_out.close()
            lifeline_in.close()
            if proc.pid is not None:
                _kill_group(proc)
                await _exit_code(proc)
                proc.close()
            if reading is not None and not reading.done():
                # The reader thread sees end-of-file now the child is dead; only then may the pipe close.
                await asyncio.to_thread(concurrent.futures.wait, [reading], 5)
            events_in.close()


async def _watch_memory_of(proc: BaseProcess, limit_mb: int, over: list[int]) -> int:
    """Kill the job's process group once its resident memory passes the limit (noted in `over`)."""
    assert proc.pid is not None
    pid = proc.pid

    def kill(rss: int) -> None:
        over.append(rss)
        _kill_group(proc)

    return await memory_watch.watch(pid, limit_mb * 1024 * 1024, lambda: proc.exitcode is None, kill)


async def _exit_code(proc: BaseProcess) -> int:
    """Wait for the process to end without blocking the loop (its sentinel becomes readable)."""
    if proc.exitcode is None and proc.is_alive():
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        loop.add_reader(proc.sentinel, lambda: None if ended.done() else ended.set_result(None))
        try:
            await ended
        finally:
            loop.remove_reader(proc.sentinel)
    proc.join(timeout=0)
    return proc.exitcode if proc.exitcode is not None else -1


def _kill_group(proc: BaseProcess) -> None:
    if proc.pid is not None and proc.exitcode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def _death_message(code: int, memory_limit_mb: int | None) -> str:
    how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
    message = f"the engine process {how} before it reported a result"
    if code == -signal.SIGKILL and memory_limit_mb:
        message += f" (it may have run out of memory; limit {memory_limit_mb} MB)"
    return message
