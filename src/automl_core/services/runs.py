"""Runs: check a workflow can run, queue it with an immutable snapshot, follow it, cancel it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from automl_core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from automl_core.ids import new_id
from automl_core.ports import Clock, Page, RunWakeup, UnitOfWork
from automl_core.runs import TERMINAL, Run, RunStatus, queued_nodes
from automl_core.services import UowFactory
from automl_core.services.graph_datasets import owned_datasets
from automl_core.validation import runnable_issues, validate, validate_against_schemas
from automl_core.workflow import Graph, Workflow

DEFAULT_SEED = 42
CANCEL_ATTEMPTS = 5


class RunService:
    def __init__(self, uow: UowFactory, clock: Clock, wakeup: RunWakeup | None = None) -> None:
        """`wakeup` tells the supervisors a run was queued (without one they find it at their next poll)."""
        self.uow = uow
        self.clock = clock
        self.wakeup = wakeup

    async def execute(self, owner_id: str, workflow_id: str, seed: int = DEFAULT_SEED) -> Run:
        """Queue a run of the saved workflow as it is now; InvalidInput lists every issue if it can't run."""
        async with self.uow() as uow:
            run = await self._admit(uow, owner_id, await uow.workflows.get(owner_id, workflow_id), seed)
            await uow.runs.add(run)
            await uow.commit()
        await self._queued()
        return run

    async def execute_graph(self, owner_id: str, graph: Graph, name: str | None, seed: int = DEFAULT_SEED) -> Run:
        """An unsaved graph runs as a new workflow, so the run and its models have a home."""
        now = self.clock.now()
        workflow = Workflow(
            id=new_id(),
            owner_id=owner_id,
            name=name or f"Run of {now:%Y-%m-%d %H:%M}",
            graph=graph,
            created_at=now,
            updated_at=now,
        )
        async with self.uow() as uow:
            run = await self._admit(uow, owner_id, workflow, seed)
            await uow.workflows.add(workflow)
            await uow.runs.add(run)
            await uow.commit()
        await self._queued()
        return run

    async def _queued(self) -> None:
        if self.wakeup is not None:
            await self.wakeup.notify()

    async def _admit(self, uow: UnitOfWork, owner_id: str, workflow: Workflow, seed: int) -> Run:
        """Validate the graph once, against the owner's datasets read once, and return its queued run."""
        graph = workflow.graph
        issues = validate(graph) + runnable_issues(graph)
        datasets = await owned_datasets(uow, owner_id, graph)
        issues += validate_against_schemas(graph, {ident: d.schema() for ident, d in datasets.items()})
        if issues:
            raise InvalidInput("the workflow cannot run as it is", issues)
        return Run(
            id=new_id(),
            owner_id=owner_id,
            workflow_id=workflow.id,
            snapshot=graph,
            dataset_hashes={ident: d.content_hash for ident, d in datasets.items()},
            seed=seed,
            created_at=self.clock.now(),
            nodes=queued_nodes(graph),
        )

    async def get(self, owner_id: str, run_id: str) -> Run:
        async with self.uow() as uow:
            return await uow.runs.get(owner_id, run_id)

    async def list(self, owner_id: str, workflow_id: str | None, limit: int, offset: int) -> Page[Run]:
        async with self.uow() as uow:
            return await uow.runs.list(owner_id, workflow_id, limit, offset)

    async def cancel(self, owner_id: str, run_id: str) -> Run:
        """Queued runs never start; a running one is stopped by the supervisor that holds it.

        A supervisor may claim the run between our read and our write (queued → running); the
        compare-and-set then fails and we read again, until the run is cancelled or has ended.
        """
        for _ in range(CANCEL_ATTEMPTS):
            async with self.uow() as uow:
                run = await uow.runs.get(owner_id, run_id)
                if run.status in TERMINAL:
                    raise IllegalTransition(f"the run has already ended ({run.status.value})")
                cancelled = run.moved(RunStatus.CANCELLED, self.clock.now())
                try:
                    await uow.runs.transition(cancelled, expected=run.status)
                except Conflict:
                    continue
                await uow.commit()
            return cancelled
        raise Conflict("the run kept changing while being cancelled; try again")

    async def finish(self, owner_id: str, run_id: str) -> Run:
        """Ask a running run to stop searching now and keep its best model so far; Conflict unless running.

        The supervisor driving it (on whichever replica) reads the request and passes it to the job."""
        async with self.uow() as uow:
            run = await uow.runs.get(owner_id, run_id)
            if not await uow.runs.request_finish(owner_id, run_id):
                raise Conflict(f"the run is {run.status.value}: only a running run can finish now")
            await uow.commit()
            return await uow.runs.get(owner_id, run_id)

    async def watch(self, owner_id: str, run_id: str, poll_s: float = 0.5) -> AsyncIterator[Run]:
        """The run now, then each change until it ends. Reads the store, so any replica can serve it."""
        last: Run | None = None
        while True:
            try:
                run = await self.get(owner_id, run_id)
            except NotFound:
                if last is None:
                    raise
                return
            if run != last:
                yield run
                last = run
            if run.status.terminal:
                return
            await asyncio.sleep(poll_s)
