"""The run supervisor: claims queued runs, drives an executor, and stores what comes back.

Everything it knows lives in the store, so a restarted or second API process can take over: progress
is written as it arrives (throttled), results, artifacts and models are stored in one unit of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from automl_core.errors import Conflict, NotFound
from automl_core.execution import (
    CompletedEvent,
    ExecutionRequest,
    ExecutionResult,
    FailedEvent,
    LogEvent,
    ProgressEvent,
    TrialEvent,
)
from automl_core.ids import new_id
from automl_core.models import ModelRecord, Provenance
from automl_core.ports import BlobStore, Clock, Executor, JobHandle
from automl_core.runs import Progress, Run, RunError, RunResult, RunStatus
from automl_core.services import UowFactory
from automl_core.workflow import content_hash

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by a restart of the API before the run finished"


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class RunSupervisor:
    def __init__(
        self,
        uow: UowFactory,
        blobs: BlobStore,
        executor: Executor,
        clock: Clock,
        *,
        max_parallel: int = 2,
        per_user: int = 1,
        poll_s: float = 0.5,
        progress_every_s: float = 0.5,
        run_timeout_s: float | None = None,
    ) -> None:
        """`run_timeout_s` stops and fails a run that takes longer, whatever its executor does."""
        self.uow = uow
        self.blobs = blobs
        self.executor = executor
        self.clock = clock
        self.max_parallel = max_parallel
        self.per_user = per_user
        self.poll_s = poll_s
        self.progress_every_s = progress_every_s
        self.run_timeout_s = run_timeout_s
        self.active: dict[str, asyncio.Task[None]] = {}
        self._owners: dict[str, str] = {}

    async def recover(self) -> None:
        """Runs left `running` by a dead process can't be followed any more: fail them, loudly."""
        async with self.uow() as uow:
            stale = await uow.runs.in_status(RunStatus.RUNNING)
        for run in stale:
            if run.id not in self.active:
                await self._finish(run.id, RunStatus.FAILED, error=RunError(message=INTERRUPTED))

    async def run_forever(self) -> None:
        await self.recover()
        while True:
            await self.tick()
            await asyncio.sleep(self.poll_s)

    async def tick(self) -> int:
        """Claim as many queued runs as the limits allow; returns how many started."""
        started = 0
        while len(self.active) < self.max_parallel:
            busy = [o for o in set(self._owners.values()) if self._running_for(o) >= self.per_user]
            async with self.uow() as uow:
                run = await uow.runs.claim_next(self.clock.now(), exclude_owners=busy)
                await uow.commit()
            if run is None:
                break
            self._owners[run.id] = run.owner_id
            task = asyncio.create_task(self._drive(run), name=f"run-{run.id}")
            task.add_done_callback(functools.partial(self._forget, run.id))
            self.active[run.id] = task
            started += 1
        return started

    async def drain(self) -> None:
        """Work until nothing is queued or running here (tests and the one-shot CLI)."""
        while True:
            await self.tick()
            if not self.active:
                return
            await asyncio.wait(list(self.active.values()), return_when=asyncio.FIRST_COMPLETED)

    async def shutdown(self) -> None:
        for task in list(self.active.values()):
            task.cancel()
        await asyncio.gather(*self.active.values(), return_exceptions=True)

    def _running_for(self, owner_id: str) -> int:
        return sum(1 for rid in self.active if self._owners.get(rid) == owner_id)

    def _forget(self, run_id: str, _task: object = None) -> None:
        self.active.pop(run_id, None)
        self._owners.pop(run_id, None)

    async def _drive(self, run: Run) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with self.uow() as uow:
                    keys = {
                        ident: (await uow.datasets.get(run.owner_id, ident)).blob_key for ident in run.dataset_hashes
                    }
                files: dict[str, Path] = {
                    ident: await stack.enter_async_context(self.blobs.as_file(key)) for ident, key in keys.items()
                }
                request = ExecutionRequest(
                    run_id=run.id, workflow=run.snapshot, dataset_hashes=run.dataset_hashes, seed=run.seed
                )
                handle = await self.executor.submit(request, files)
                await self._follow(run, handle)
        except NotFound as exc:
            await self._finish(run.id, RunStatus.FAILED, error=RunError(message=f"{exc.message}: it was deleted"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("run %s failed in the supervisor", run.id)
            await self._finish(run.id, RunStatus.FAILED, error=RunError(message=f"{type(exc).__name__}: {exc}"))

    async def _follow(self, run: Run, handle: JobHandle) -> None:
        """Follow the job to its end; it is stopped if the run is cancelled, times out, or this task is
        cancelled (shutdown), since an executor job nobody follows would only waste a worker."""
        watcher = asyncio.create_task(self._stop_when_cancelled(run.id, handle))
        done = False
        try:
            async with asyncio.timeout(self.run_timeout_s) as deadline:
                await self._consume(run, handle)
            done = True
        except TimeoutError:
            if not deadline.expired():
                raise
            message = f"the run took longer than its time limit of {self.run_timeout_s:g} s and was stopped"
            await self._finish(run.id, RunStatus.FAILED, error=RunError(message=message))
        finally:
            watcher.cancel()
            if not done:
                await asyncio.shield(self.executor.cancel(handle))

    async def _stop_when_cancelled(self, run_id: str, handle: JobHandle) -> None:
        """A run cancelled by its owner stops its job even when the job has gone quiet."""
        while True:
            await asyncio.sleep(self.poll_s)
            async with self.uow() as uow:
                try:
                    status: RunStatus | None = (await uow.runs.get_for_system(run_id)).status
                except NotFound:
                    status = None
            if status is not RunStatus.RUNNING:
                await self.executor.cancel(handle)
                return

    async def _consume(self, run: Run, handle: JobHandle) -> None:
        loop = asyncio.get_running_loop()
        progress = Progress(0.0, "started")
        pending_log: list[str] = []
        last_write = 0.0
        async for event in self.executor.events(handle):
            if isinstance(event, ProgressEvent):
                progress = Progress(min(max(event.fraction, 0.0), 1.0), event.message)
            elif isinstance(event, LogEvent):
                pending_log.append(f"[{event.level}] {event.message}")
            elif isinstance(event, TrialEvent):
                entry = event.entry
                score = "n/a" if entry.score is None else f"{entry.score:.4g}"
                pending_log.append(f"[trial] {entry.algorithm}: {score} in {entry.fit_seconds:.1f}s")
            elif isinstance(event, CompletedEvent):
                await self._write_progress(run.id, progress, pending_log)
                await self._store_result(run, event.result)
                return
            elif isinstance(event, FailedEvent):
                await self._write_progress(run.id, progress, pending_log)
                await self._finish(
                    run.id, RunStatus.FAILED, error=RunError(message=event.message, node_id=event.node_id)
                )
                return
            if loop.time() - last_write >= self.progress_every_s:
                last_write = loop.time()
                if not await self._write_progress(run.id, progress, pending_log):
                    await self.executor.cancel(handle)
                    return
                pending_log = []
        await self._finish(run.id, RunStatus.FAILED, error=RunError(message="the executor stopped without a result"))

    async def _write_progress(self, run_id: str, progress: Progress, log_lines: list[str]) -> bool:
        """Store progress; False when the run is no longer running (cancelled by its owner)."""
        async with self.uow() as uow:
            current = await uow.runs.get_for_system(run_id)
            if current.status is not RunStatus.RUNNING:
                return False
            await uow.runs.set_progress(run_id, progress, log_lines)
            await uow.commit()
        return True

    async def _store_result(self, run: Run, result: ExecutionResult) -> None:
        artifacts = {b.node_id: await self.blobs.put_stream(_once(b.artifact)) for b in result.branches}
        now = self.clock.now()
        async with self.uow() as uow:
            current = await uow.runs.get_for_system(run.id)
            if current.status is not RunStatus.RUNNING:
                return
            try:
                workflow_name = (await uow.workflows.get(run.owner_id, run.workflow_id)).name
            except NotFound:
                workflow_name = "workflow"
            results = []
            for branch in result.branches:
                model = ModelRecord(
                    id=new_id(),
                    owner_id=run.owner_id,
                    name=f"{workflow_name} · {branch.algorithm}",
                    run_id=run.id,
                    node_id=branch.node_id,
                    algorithm=branch.algorithm,
                    task=branch.task,
                    target=branch.target,
                    metrics=branch.metrics,
                    features=branch.features,
                    classes=branch.classes,
                    created_at=now,
                    provenance=Provenance(
                        workflow=run.workflow_id,
                        dataset_id=branch.dataset_id,
                        dataset_hash=run.dataset_hashes.get(branch.dataset_id, ""),
                        seed=run.seed,
                        library_versions=result.library_versions,
                        workflow_hash=content_hash(run.snapshot),
                    ),
                    artifact_key=artifacts[branch.node_id].key,
                )
                await uow.models.add(model)
                results.append(
                    RunResult(
                        node_id=branch.node_id,
                        model_id=model.id,
                        algorithm=branch.algorithm,
                        task=branch.task,
                        metrics=branch.metrics,
                        leaderboard=branch.leaderboard,
                        plots=branch.plots,
                    )
                )
            await uow.runs.transition(current.moved(RunStatus.SUCCEEDED, now), expected=RunStatus.RUNNING)
            await uow.runs.set_outcome(run.id, results, None)
            await uow.runs.set_progress(run.id, Progress(1.0, "done"), result.log)
            await uow.commit()

    async def _finish(self, run_id: str, status: RunStatus, error: RunError | None = None) -> None:
        async with self.uow() as uow:
            current = await uow.runs.get_for_system(run_id)
            if current.status.terminal:
                return
            try:
                await uow.runs.transition(current.moved(status, self.clock.now()), expected=current.status)
                await uow.runs.set_outcome(run_id, [], error)
                await uow.commit()
            except Conflict:
                await uow.rollback()
