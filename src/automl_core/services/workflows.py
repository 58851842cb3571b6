"""Workflows: saved graphs with optimistic concurrency, and validation against the user's datasets."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

import msgspec

from automl_core.errors import Conflict
from automl_core.export import python_script
from automl_core.ids import new_id
from automl_core.issues import Issue
from automl_core.ports import Clock, Page
from automl_core.services import UowFactory
from automl_core.services.graph_datasets import owned_datasets, schemas_for
from automl_core.validation import parse_graph, validate, validate_against_schemas
from automl_core.workflow import Graph, Workflow


class WorkflowService:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def create(self, owner_id: str, name: str, description: str, graph: Graph) -> Workflow:
        now = self.clock.now()
        workflow = Workflow(
            id=new_id(),
            owner_id=owner_id,
            name=name,
            description=description,
            graph=graph,
            created_at=now,
            updated_at=now,
        )
        async with self.uow() as uow:
            await uow.workflows.add(workflow)
            await uow.commit()
        return workflow

    async def get(self, owner_id: str, workflow_id: str) -> Workflow:
        async with self.uow() as uow:
            return await uow.workflows.get(owner_id, workflow_id)

    async def export_python(self, owner_id: str, workflow_id: str, seed: int) -> tuple[Workflow, str]:
        """The workflow as a standalone script (Conflict when it holds what cannot be exported)."""
        async with self.uow() as uow:
            workflow = await uow.workflows.get(owner_id, workflow_id)
            datasets = await owned_datasets(uow, owner_id, workflow.graph)
        columns = {ident: {c.name: c.dtype for c in d.columns} for ident, d in datasets.items()}
        return workflow, python_script(workflow.name, workflow.graph, columns, seed)

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Workflow]:
        async with self.uow() as uow:
            return await uow.workflows.list(owner_id, limit, offset)

    async def update(
        self,
        owner_id: str,
        workflow_id: str,
        *,
        name: str,
        description: str,
        graph: Graph,
        version: int | None = None,
        updated_at: datetime | None = None,
    ) -> Workflow:
        """Saves over the stored workflow only if the caller saw its latest version (else Conflict)."""
        async with self.uow() as uow:
            stored = await uow.workflows.get(owner_id, workflow_id)
            stale = (version is not None and version != stored.version) or (
                updated_at is not None and updated_at != stored.updated_at
            )
            if stale:
                raise Conflict("the workflow changed since you loaded it; reload to see the latest")
            updated = msgspec.structs.replace(
                stored,
                name=name,
                description=description,
                graph=graph,
                version=stored.version + 1,
                updated_at=max(self.clock.now(), stored.updated_at),
            )
            await uow.workflows.update(updated, expected_version=stored.version)
            await uow.commit()
        return updated

    async def delete(self, owner_id: str, workflow_id: str) -> None:
        async with self.uow() as uow:
            await uow.workflows.delete(owner_id, workflow_id)
            await uow.commit()

    async def validate(self, owner_id: str, raw: Any) -> builtins.list[Issue]:
        """Every issue: shape, structure, parameters, and fit with the owner's datasets."""
        graph, issues = parse_graph(raw)
        issues += validate(graph)
        async with self.uow() as uow:
            schemas = await schemas_for(uow, owner_id, graph)
        return issues + validate_against_schemas(graph, schemas)
