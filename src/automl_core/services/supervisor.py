"""The run supervisor: claims queued runs, drives an executor, and stores what comes back.

Everything it knows lives in the store, so a restarted or second API process can take over: progress
is written as it arrives (throttled), results, artifacts and models are stored in one unit of work.

Several API replicas share one queue. A claim is a lease: the replica that holds a run renews it every
third of `lease_s` while it drives the run; a replica that dies stops renewing, and once the lease has
lapsed any replica takes the run back to the queue. The run is retried once, then failed as
interrupted. Every write a supervisor makes for a run is checked against the attempt it claimed, so a
replica that lost a run (paused, cut off from the database) can never finish it as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from automl_core.errors import Conflict, NotFound
from automl_core.execution import (
    CompletedEvent,
    ExecutionRequest,
    ExecutionResult,
    FailedEvent,
    LogEvent,
    NodeEvent,
    ProgressEvent,
    TrialEvent,
)
from automl_core.ids import new_id
from automl_core.labels import log_line, node_labels
from automl_core.models import ModelRecord, Provenance
from automl_core.ports import ArtifactVerifier, BlobStore, Clock, Executor, JobHandle, RunWakeup
from automl_core.runs import NodeState, NodeStatus, Progress, Run, RunError, RunResult, RunStatus, queued_nodes
from automl_core.services import UowFactory
from automl_core.services.reuse import BranchReuse, Reuse
from automl_core.workflow import Graph, content_hash

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the API process running it stopped"
RETRY_S = 2.0
"""How long a supervisor whose tick failed waits before the next."""
MAX_ATTEMPTS = 2
"""A run whose replica died is retried once: a second death is more likely the run's own doing (memory)."""


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
        replica_id: str | None = None,
        lease_s: float = 30.0,
        max_attempts: int = MAX_ATTEMPTS,
        wakeup: RunWakeup | None = None,
        reuse: BranchReuse | None = None,
        verifier: ArtifactVerifier | None = None,
    ) -> None:
        """`run_timeout_s` stops and fails a run that takes longer, whatever its executor does.

        `replica_id` names this process in the leases it takes; it must differ between live replicas,
        and a process restarting under the same id takes back at once the runs its previous life held
        (a random one is drawn when not given). `lease_s` is how long a claim outlives its last renewal:
        the time a dead replica's runs wait before another replica picks them up.

        `verifier` checks every model artifact an executor sends before it is stored (the container
        always gives one); without it artifacts are stored as sent, for tests of the bookkeeping alone.
        """
        self.uow = uow
        self.blobs = blobs
        self.executor = executor
        self.clock = clock
        self.max_parallel = max_parallel
        self.per_user = per_user
        self.poll_s = poll_s
        self.progress_every_s = progress_every_s
        self.run_timeout_s = run_timeout_s
        self.replica_id = replica_id or new_id()
        self.lease_s = lease_s
        self.heartbeat_s = lease_s / 3
        self.max_attempts = max_attempts
        self.wakeup = wakeup
        """Wakes `run_forever` when a run is queued; `poll_s` stays the fallback (and the lease clock)."""
        self._freed = asyncio.Event()
        self.reuse = reuse
        """Re-run only the branches whose content changed (None: train every branch every time)."""
        self._reuse: dict[str, Reuse] = {}
        self.verifier = verifier
        self.active: dict[str, asyncio.Task[None]] = {}
        self._owners: dict[str, str] = {}
        self._last_heartbeat = -math.inf

    async def recover(self) -> None:
        """At start-up: take back the runs whose replica died, and those this replica id held in a
        previous life; a live replica's runs (lease still renewed) are left alone.

        Re-attaching to a dead replica's job was weighed and rejected: a local job process exits when
        the API that started it dies, and a Gradio Space cancels a job as soon as the listener of its
        event stream disconnects, so there is never a live job to re-attach to; the run starts over."""
        await self._release(previous_life=not self.active)

    async def heartbeat(self) -> None:
        """Renew the leases of the runs driven here, stop the jobs of runs no longer held (ended, cancelled,
        or taken back), and take back the runs of replicas that stopped renewing theirs."""
        self._last_heartbeat = asyncio.get_running_loop().time()
        driven = list(self.active)
        if driven:
            async with self.uow() as uow:
                held = await uow.runs.renew_leases(self.replica_id, driven, self._lease_until())
                await uow.commit()
            for run_id in driven:
                task = self.active.get(run_id)
                if run_id not in held and task is not None:
                    log.warning("run %s is no longer held by replica %s: stopping its job", run_id, self.replica_id)
                    task.cancel()
        await self._release(previous_life=False)

    async def _release(self, *, previous_life: bool) -> None:
        """Requeue lapsed runs for another attempt, or fail those out of attempts, in one transaction
        (the released rows stay locked until it commits, so nobody claims a run about to be failed)."""
        now = self.clock.now()
        async with self.uow() as uow:
            released = await uow.runs.release_leases(now, self.replica_id if previous_life else None)
            for run in released:
                if run.attempts >= self.max_attempts:
                    await uow.runs.transition(run.moved(RunStatus.FAILED, now), expected=RunStatus.QUEUED)
                    await uow.runs.set_outcome(run.id, [], RunError(message=INTERRUPTED))
                else:
                    retry = f"[warning] {INTERRUPTED}; retrying (attempt {run.attempts + 1} of {self.max_attempts})"
                    await uow.runs.set_progress(
                        run.id, Progress(0.0, "queued for a retry"), [retry], queued_nodes(run.snapshot)
                    )
            await uow.commit()
        for run in released:
            log.warning("run %s lost its replica in attempt %d", run.id, run.attempts)

    def _lease_until(self) -> datetime:
        return self.clock.now() + timedelta(seconds=self.lease_s)

    async def run_forever(self) -> None:
        """Claim queued runs until cancelled: at once when woken (a run queued, a slot freed here), else
        every `poll_s`; a failing tick (a database blip) is logged and retried, never fatal."""
        while True:
            try:
                await self.tick()
            except Exception as exc:
                _raise_if_cancelling(exc)
                log.exception("run supervisor tick failed; retrying in %.0fs", RETRY_S)
                await asyncio.sleep(RETRY_S)
            await self._idle()

    async def _idle(self) -> None:
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._freed.wait())]
        if self.wakeup is not None:
            waits.append(asyncio.ensure_future(self.wakeup.wait()))
        try:
            await asyncio.wait(waits, timeout=self.poll_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            self._freed.clear()

    async def tick(self) -> int:
        """Heartbeat when due, then claim as many queued runs as the limits allow; returns how many started."""
        if asyncio.get_running_loop().time() - self._last_heartbeat >= self.heartbeat_s:
            await self.heartbeat()
        started = 0
        while len(self.active) < self.max_parallel:
            busy = [o for o in set(self._owners.values()) if self._running_for(o) >= self.per_user]
            async with self.uow() as uow:
                run = await uow.runs.claim_next(
                    self.clock.now(), exclude_owners=busy, lease_owner=self.replica_id, lease_until=self._lease_until()
                )
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
            await asyncio.wait(
                list(self.active.values()), timeout=self.heartbeat_s, return_when=asyncio.FIRST_COMPLETED
            )

    async def shutdown(self) -> None:
        """Stop the jobs driven here and hand their runs straight back to the queue (another replica, or
        this one restarted, takes them up without waiting for the leases to lapse)."""
        driven = bool(self.active)
        for task in list(self.active.values()):
            task.cancel()
        await asyncio.gather(*self.active.values(), return_exceptions=True)
        if driven:
            try:
                await self._release(previous_life=True)
            except Exception:
                log.exception("could not hand this replica's runs back; they return when their leases lapse")

    def _running_for(self, owner_id: str) -> int:
        return sum(1 for rid in self.active if self._owners.get(rid) == owner_id)

    def _forget(self, run_id: str, _task: object = None) -> None:
        self._freed.set()  # a slot is free: a run waiting for it starts now, not at the next poll
        self.active.pop(run_id, None)
        self._owners.pop(run_id, None)
        self._reuse.pop(run_id, None)

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
                run, workflow = await self._plan_reuse(run)
                if workflow is None:
                    await self._store_result(run, ExecutionResult(branches=[]))
                    return
                request = ExecutionRequest(
                    run_id=run.id, workflow=workflow, dataset_hashes=run.dataset_hashes, seed=run.seed
                )
                handle = await self.executor.submit(request, files)
                await self._follow(run, handle)
        except NotFound as exc:
            await self._finish(run, RunStatus.FAILED, error=RunError(message=f"{exc.message}: it was deleted"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _raise_if_cancelling(exc)
            log.exception("run %s failed in the supervisor", run.id)
            await self._finish(run, RunStatus.FAILED, error=RunError(message=f"{type(exc).__name__}: {exc}"))

    async def _plan_reuse(self, run: Run) -> tuple[Run, Graph | None]:
        """The workflow left to train once cached branches are taken out (None when nothing is left), and the
        run with the steps no longer trained marked reused."""
        if self.reuse is None:
            return run, run.snapshot
        plan = self._reuse[run.id] = await self.reuse.plan(run)
        if plan.found:
            kept, now = {n.id for n in plan.remaining.nodes}, self.clock.now()
            nodes = {
                k: v if k in kept else v.moved(NodeState.REUSED, now, "reused from an earlier run")
                for k, v in run.nodes.items()
            }
            progress = Progress(0.0, "reusing unchanged branches")
            await self._write_progress(run, progress, plan.log_lines(run.snapshot), nodes)
            run = msgspec.structs.replace(run, nodes=nodes)
        return run, None if plan.nothing_to_train else plan.remaining

    async def _follow(self, run: Run, handle: JobHandle) -> None:
        """Follow the job to its end; it is stopped if the run is cancelled, times out, or this task is
        cancelled (shutdown), since an executor job nobody follows would only waste a worker."""
        watcher = asyncio.create_task(self._stop_when_cancelled(run, handle))
        done = False
        try:
            async with asyncio.timeout(self.run_timeout_s) as deadline:
                await self._consume(run, handle)
            done = True
        except TimeoutError:
            if not deadline.expired():
                raise
            message = f"the run took longer than its time limit of {self.run_timeout_s:g} s and was stopped"
            await self._finish(run, RunStatus.FAILED, error=RunError(message=message))
        finally:
            watcher.cancel()
            if not done:
                await asyncio.shield(self.executor.cancel(handle))

    async def _stop_when_cancelled(self, run: Run, handle: JobHandle) -> None:
        """A run cancelled by its owner stops its job even when the job has gone quiet; one its owner
        asked to finish now gets that passed to its job (once)."""
        finishing = False
        while True:
            await asyncio.sleep(self.poll_s)
            async with self.uow() as uow:
                try:
                    current: Run | None = await uow.runs.get_for_system(run.id)
                except NotFound:
                    current = None
            if not _same_attempt(current, run):
                await self.executor.cancel(handle)
                return
            if current is not None and current.finish_requested and not finishing:
                finishing = True
                await self.executor.finish(handle)

    async def _consume(self, run: Run, handle: JobHandle) -> None:
        loop = asyncio.get_running_loop()
        labels = node_labels(run.snapshot)
        progress = Progress(0.0, "started")
        pending_log: list[str] = []
        nodes: dict[str, NodeStatus] = dict(run.nodes)
        last_write = 0.0
        trials: dict[str, int] = {}  # numbered per node: two trials may share family, score and seconds
        async for event in self.executor.events(handle):
            urgent = False
            if isinstance(event, ProgressEvent):
                progress = Progress(min(max(event.fraction, 0.0), 1.0), event.message, event.node_id)
            elif isinstance(event, LogEvent):
                pending_log.append(log_line(event.level, labels.get(event.node_id or ""), event.message))
            elif isinstance(event, NodeEvent):
                # A step's state is worth a write of its own: it is what the canvas shows changing.
                urgent = self._move_node(nodes, event.node_id, event.state, event.message)
            elif isinstance(event, TrialEvent):
                entry = event.entry
                score = "n/a" if entry.score is None else f"{entry.score:.4g}"
                label = labels.get(event.node_id)
                number = trials[event.node_id] = trials.get(event.node_id, 0) + 1
                line = f"trial {number}, {entry.algorithm}: {score} in {entry.fit_seconds:.1f}s"
                pending_log.append(log_line("trial", label, line))
            elif isinstance(event, CompletedEvent):
                await self._write_progress(run, progress, pending_log, nodes)
                await self._store_result(run, event.result)
                return
            elif isinstance(event, FailedEvent):
                if event.node_id is not None:
                    self._move_node(nodes, event.node_id, NodeState.FAILED, event.message)
                await self._write_progress(run, progress, pending_log, nodes)
                await self._finish(run, RunStatus.FAILED, error=RunError(message=event.message, node_id=event.node_id))
                return
            if urgent or loop.time() - last_write >= self.progress_every_s:
                last_write = loop.time()
                if not await self._write_progress(run, progress, pending_log, nodes):
                    await self.executor.cancel(handle)
                    return
                pending_log = []
        await self._finish(run, RunStatus.FAILED, error=RunError(message="the executor stopped without a result"))

    def _move_node(self, nodes: dict[str, NodeStatus], node_id: str, state: NodeState, message: str | None) -> bool:
        """Apply a step's new state (a step the snapshot lacks is ignored); True if it changed."""
        current = nodes.get(node_id)
        if current is None:
            return False
        nodes[node_id] = current.moved(state, self.clock.now(), message)
        return nodes[node_id] != current

    async def _write_progress(
        self, run: Run, progress: Progress, log_lines: list[str], nodes: dict[str, NodeStatus] | None = None
    ) -> bool:
        """Store progress; False when the run is no longer this attempt's (cancelled by its owner, taken back)."""
        async with self.uow() as uow:
            current = await uow.runs.get_for_system(run.id)
            if not _same_attempt(current, run):
                return False
            await uow.runs.set_progress(run.id, progress, log_lines, nodes)
            await uow.commit()
        return True

    async def _refused_artifact(self, result: ExecutionResult) -> RunError | None:
        """The first model file the worker's side would not load: nothing a worker sends may run code."""
        if self.verifier is None:
            return None
        for branch in result.branches:
            reason = await self.verifier.refusal(branch.artifact)
            if reason is not None:
                message = f"the model file trained by node `{branch.node_id}` was refused: {reason}"
                return RunError(message=message, node_id=branch.node_id)
        return None

    async def _store_result(self, run: Run, result: ExecutionResult) -> None:
        if (refused := await self._refused_artifact(result)) is not None:
            log.warning("run %s: %s", run.id, refused.message)
            await self._finish(run, RunStatus.FAILED, error=refused)
            return
        plan = self._reuse.get(run.id)
        if plan is not None and self.reuse is not None:
            result = plan.merged(run.snapshot, result)
            # Cached before the run reads as succeeded, so whatever its owner does next finds it.
            try:
                await self.reuse.remember(run, plan, result)
            except Exception:  # a cache that cannot be written only means the next run trains again
                log.exception("run %s: could not cache its branch results", run.id)
        artifacts = {b.node_id: await self.blobs.put_stream(_once(b.artifact)) for b in result.branches}
        onnx = {b.node_id: (await self.blobs.put_stream(_once(b.onnx))).key for b in result.branches if b.onnx}
        now = self.clock.now()
        async with self.uow() as uow:
            current = await uow.runs.get_for_system(run.id)
            if not _same_attempt(current, run):
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
                    primary_metric=branch.primary_metric,
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
                    onnx_key=onnx.get(branch.node_id),
                    onnx_error=branch.onnx_error,
                    explanation=branch.explanation,
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
                        primary_metric=branch.primary_metric,
                        timings=branch.timings or None,
                    )
                )
            await uow.runs.transition(current.moved(RunStatus.SUCCEEDED, now), expected=RunStatus.RUNNING)
            await uow.runs.set_outcome(run.id, results, None)
            # The log streamed as it happened; the result's copy of it would only repeat each line.
            await uow.commit()

    async def _finish(self, run: Run, status: RunStatus, error: RunError | None = None) -> None:
        """End the attempt this supervisor drives; a no-op if the run already ended or was taken back."""
        async with self.uow() as uow:
            current = await uow.runs.get_for_system(run.id)
            if not _same_attempt(current, run):
                return
            try:
                await uow.runs.transition(current.moved(status, self.clock.now()), expected=RunStatus.RUNNING)
                await uow.runs.set_outcome(run.id, [], error)
                await uow.commit()
            except Conflict:
                await uow.rollback()


def _raise_if_cancelling(exc: Exception) -> None:
    """A task stopped mid-write (shutdown) may see the store turn the cancel into an error of its own:
    it stops all the same, so a run is handed back rather than failed and the loop ends."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


def _same_attempt(current: Run | None, claimed: Run) -> bool:
    """Whether the stored run is still running in the attempt this supervisor claimed."""
    return current is not None and current.status is RunStatus.RUNNING and current.attempts == claimed.attempts
