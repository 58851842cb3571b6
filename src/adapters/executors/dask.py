"""Runs the engine on a Dask cluster (`dask.distributed`): one task per job, on any worker.

Why Dask rather than a home-made pool: it already schedules onto many machines, moves data, notices a
dead worker and reschedules its task. The adapter only translates:

- the request travels as msgspec JSON, each dataset as its Parquet bytes (or, with shared storage, as
  a path every worker can read), so workers need the project installed but none of the API's files;
- events come back through a Dask `Queue` named after the job, which the adapter polls; the task's
  return value is the job's terminal event;
- cancel sets a Dask `Event` the engine's `should_stop` checks (a running Python thread cannot be
  killed) and cancels the future; "finish now" sets another the engine's `finish_requested` checks;
- an AutoML node's trials fan out over the cluster (`fan_out_trials`): the job's task secedes from its
  worker's thread pool and submits each fit as a task, running as many trials at once as the cluster
  has threads, so a bigger cluster searches more trials in the same budget;
- a worker that dies mid-job: Dask reruns the task elsewhere; each attempt announces itself on the
  queue, and the adapter allows one rerun (`retries`) before it fails the job with a message, whatever
  the scheduler's own `allowed-failures` is, so a job that keeps killing workers never hangs the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
from distributed import Client, Event, Future, Queue, get_worker, worker_client
from distributed.scheduler import KilledWorker

from adapters.executors.jobs import Job, JobTable
from adapters.executors.local_child import load_engine
from automl_core.errors import Unavailable
from automl_core.execution import (
    ENGINE_ENTRY,
    TERMINAL_EVENTS,
    CompletedEvent,
    ExecutionEvent,
    ExecutionRequest,
    FailedEvent,
    LogEvent,
    ProgressEvent,
    decode_event,
    encode_event,
    failure_event,
)
from automl_core.ports import JobHandle
from automl_core.previews import PreviewRequest, PreviewResult, decode_outcome, encode_outcome, raise_failure

POLL_S = 0.2
"""How often the adapter collects a job's queued events (one small scheduler round trip)."""
STOP_CHECK_S = 0.5
"""How often the engine's `should_stop` / `finish_requested` ask the scheduler whether the job was
cancelled or asked to finish."""


class DaskExecutor:
    def __init__(
        self,
        scheduler_address: str | None = None,
        *,
        client: Client | None = None,
        shared_storage: bool = False,
        engine: str = ENGINE_ENTRY,
        retries: int = 1,
        connect_timeout_s: float = 30.0,
        fan_out_trials: bool = True,
    ) -> None:
        """Give the scheduler's address (`tcp://host:8786`; connected on first use), or an asynchronous
        `client` you own. `shared_storage` sends dataset paths instead of bytes: the workers mount the
        blob directory at the same path. `retries` is how many times a job reruns after its worker died.
        `connect_timeout_s` bounds how long a job waits for an unreachable scheduler before it fails.
        `fan_out_trials` runs AutoML trials as tasks of their own across the cluster (else all in the job's task).
        """
        if (scheduler_address is None) == (client is None):
            raise ValueError("give a scheduler address or a client, not both")
        self.scheduler_address = scheduler_address
        self.shared_storage = shared_storage
        self.engine = engine
        self.retries = retries
        self.connect_timeout_s = connect_timeout_s
        self.fan_out_trials = fan_out_trials
        self._client = client
        self._connecting = asyncio.Lock()
        self._jobs = JobTable()

    async def submit(self, request: ExecutionRequest, datasets: Mapping[str, Path]) -> JobHandle:
        data: dict[str, bytes | str] = {}
        for ident, path in datasets.items():
            data[ident] = str(path) if self.shared_storage else await asyncio.to_thread(path.read_bytes)
        payload = msgspec.json.encode(request)
        return self._jobs.start(lambda job: self._run(job, payload, data))

    def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        return self._jobs.events(handle)

    async def cancel(self, handle: JobHandle) -> None:
        await self._jobs.cancel(handle)

    async def finish(self, handle: JobHandle) -> None:
        await self._jobs.finish(handle)

    async def healthy(self) -> bool:
        """Connected to a scheduler that has at least one worker."""
        try:
            client = await self._connected()
            info = await client.scheduler.identity()  # type: ignore[union-attr]
        except Exception:
            return False
        return bool(info.get("workers"))

    async def close(self) -> None:
        await self._jobs.close()
        if self._client is not None and self.scheduler_address is not None:
            await self._client.close()
            self._client = None

    async def preview(self, request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewResult:
        """A step preview as one task on the cluster (datasets travel as for a job)."""
        data: dict[str, bytes | str] = {}
        for ident, path in datasets.items():
            data[ident] = str(path) if self.shared_storage else await asyncio.to_thread(path.read_bytes)
        try:
            client = await self._connected()
            answer: bytes = await client.submit(preview_task, msgspec.json.encode(request), data, pure=False)
        except (OSError, TimeoutError) as exc:
            raise Unavailable(f"the Dask scheduler at {self.scheduler_address} cannot be reached: {exc}") from None
        except Exception as exc:
            raise Unavailable(f"the Dask preview task failed: {type(exc).__name__}: {exc}") from None
        return raise_failure(decode_outcome(answer))

    async def client(self) -> Client:
        """The connected client (predictions run on the same cluster as the jobs)."""
        return await self._connected()

    async def _connected(self) -> Client:
        async with self._connecting:
            if self._client is None:
                self._client = await Client(
                    self.scheduler_address, asynchronous=True, timeout=self.connect_timeout_s, set_as_default=False
                )
            return self._client

    async def _run(self, job: Job, payload: bytes, data: dict[str, bytes | str]) -> None:
        try:
            client = await self._connected()
        except (OSError, TimeoutError) as exc:
            job.fail(f"the Dask scheduler at {self.scheduler_address} cannot be reached: {exc}")
            return
        name = f"automl-job-{job.handle.job_id}"
        events = await Queue(f"{name}-events", client=client)
        stop = Event(f"{name}-stop", client=client)
        finish = Event(f"{name}-finish", client=client)
        future: Future[Any] = client.submit(
            run_task, self.engine, payload, data, events.name, name, self.fan_out_trials, key=name, pure=False
        )

        async def finish_now() -> None:
            with contextlib.suppress(Exception):
                await finish.set()

        await self._jobs.started(job, finish_now)
        try:
            await self._follow(job, client, future, events)
        finally:
            if not future.done():
                with contextlib.suppress(Exception):
                    await asyncio.shield(stop.set())
                    await asyncio.shield(client.cancel([future], force=True))
            with contextlib.suppress(Exception):
                await asyncio.shield(events.close())

    async def _follow(self, job: Job, client: Client, future: Future[Any], events: Queue) -> None:
        attempts = 0
        while True:
            finished = future.done()  # read before draining: every event the task put is queued by then
            for kind, body in await events.get(batch=True):
                if kind == "start":
                    attempts += 1
                    if attempts > 1 + self.retries:
                        job.fail(f"the Dask workers running this job died {attempts - 1} times; it was given up")
                        return
                    if attempts > 1:
                        job.emit(LogEvent(message=f"the Dask worker running the job died; rerunning on {body}"))
                        job.emit(ProgressEvent(fraction=0.0, message="restarted on another Dask worker"))
                    continue
                event = decode_event(body)
                if not isinstance(event, TERMINAL_EVENTS):
                    job.emit(event)
            if finished:
                break
            await asyncio.sleep(POLL_S)
        if future.status == "finished":
            job.emit(decode_event(await future))
        elif future.status == "cancelled":
            job.fail("the Dask task was cancelled on the cluster")
        else:
            exc = await future.exception()
            if isinstance(exc, KilledWorker):
                job.fail(f"the Dask workers running this job kept dying ({exc}); it was given up")
            else:
                job.fail(f"the Dask task failed: {type(exc).__name__}: {exc}")


class DaskTrials:
    """The AutoML search's trial runner on a cluster: each fit is a task, the folds are scattered once to
    every worker, and as many trials run at once as the cluster has threads (one core each)."""

    n_jobs: int | None = 1

    def __init__(self, client: Client) -> None:
        self.client = client
        self.slots = max(1, sum(client.nthreads().values()))

    def share(self, value: Any) -> Any:
        return self.client.scatter(value, broadcast=True, hash=False)

    def call(self, fn: Any, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False).result()


class _Flag:
    """A Dask `Event` read at most every STOP_CHECK_S (each read is a scheduler round trip)."""

    def __init__(self, name: str) -> None:
        self.event = Event(name)
        self.at, self.value = -STOP_CHECK_S, False

    def __call__(self) -> bool:
        if not self.value and time.monotonic() - self.at >= STOP_CHECK_S:
            self.at, self.value = time.monotonic(), bool(self.event.is_set())
        return self.value


def preview_task(payload: bytes, datasets: dict[str, bytes | str]) -> bytes:
    """On a Dask worker: one step preview (the worker package is imported there, never in the API)."""
    from automl_worker.preview import outcome

    request = msgspec.json.decode(payload, type=PreviewRequest)
    with tempfile.TemporaryDirectory(prefix="automl-dask-preview-") as tmp:
        paths: dict[str, Path] = {}
        for i, (ident, data) in enumerate(datasets.items()):
            paths[ident] = Path(data) if isinstance(data, str) else Path(tmp) / f"{i}.parquet"
            if not isinstance(data, str):
                paths[ident].write_bytes(data)
        return encode_outcome(outcome(request, paths))


def run_task(
    engine_spec: str,
    payload: bytes,
    datasets: dict[str, bytes | str],
    queue_name: str,
    job_name: str,
    fan_out_trials: bool,
) -> bytes:
    """The Dask task: one engine call on a worker; events go on the job's queue, the terminal one is
    returned. Announces each attempt first, so the API can tell a rerun after a dead worker.
    `{job_name}-stop` and `{job_name}-finish` are the job's cancel and finish-now flags."""
    events = Queue(queue_name)
    should_stop, finish_requested = _Flag(f"{job_name}-stop"), _Flag(f"{job_name}-finish")
    events.put(("start", get_worker().address))
    request = msgspec.json.decode(payload, type=ExecutionRequest)

    def send(event: ExecutionEvent) -> None:
        events.put(("event", encode_event(event)))

    with tempfile.TemporaryDirectory(prefix="automl-dask-") as tmp:
        paths: dict[str, Path] = {}
        for i, (ident, data) in enumerate(datasets.items()):
            if isinstance(data, str):
                paths[ident] = Path(data)
            else:
                paths[ident] = Path(tmp) / f"{i}.parquet"
                paths[ident].write_bytes(data)
        try:
            engine = load_engine(engine_spec)
            with contextlib.ExitStack() as stack:
                if fan_out_trials:
                    from automl_worker.automl import trials_on  # the worker's side only: the API never imports it

                    # Seceding frees this worker's thread for the trials' tasks while the search waits on them.
                    stack.enter_context(trials_on(DaskTrials(stack.enter_context(worker_client()))))
                result = engine(request, paths, send, should_stop, finish_requested)
        except Exception as exc:
            if should_stop.event.is_set():
                return encode_event(FailedEvent(message="cancelled"))
            return encode_event(failure_event(exc))
    return encode_event(CompletedEvent(result=result))  # type: ignore[arg-type]
