"""Workflows: CRUD with optimistic concurrency, validation, and execution (202 + a queued run)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from automl_core.errors import InvalidInput
from automl_core.issues import Issue
from automl_core.services.runs import DEFAULT_SEED
from automl_core.validation import parse_graph
from automl_core.workflow import Graph
from entrypoints.http.dependencies import CurrentUser, Previews, Runs, Workflows
from entrypoints.http.params import Limit, Offset
from entrypoints.http.schemas import (
    ExecuteIn,
    GraphIn,
    PreviewIn,
    RunOut,
    StepPreviewOut,
    ValidationOut,
    WorkflowCreate,
    WorkflowOut,
    WorkflowPage,
    WorkflowUpdate,
)


class WorkflowController(Controller):
    path = "/api/workflows"
    tags = ["workflows"]

    @post("/", summary="Save a new workflow")
    async def create(self, data: JSONBody[WorkflowCreate], user: CurrentUser, workflows: Workflows) -> WorkflowOut:
        graph = Graph(nodes=data.nodes, edges=data.edges)
        return WorkflowOut.of(await workflows.create(user.id, data.name, data.description, graph))

    @get("/", summary="Your workflows, newest first")
    async def list_workflows(
        self, user: CurrentUser, workflows: Workflows, limit: Limit = 50, offset: Offset = 0
    ) -> WorkflowPage:
        page = await workflows.list(user.id, limit, offset)
        return WorkflowPage(items=[WorkflowOut.of(w) for w in page.items], total=page.total)

    @post("/validate", status_code=200, summary="Every issue of a graph, each naming its node or edge")
    async def validate(self, data: JSONBody[GraphIn], user: CurrentUser, workflows: Workflows) -> ValidationOut:
        issues = await workflows.validate(user.id, {"nodes": data.nodes, "edges": data.edges})
        return ValidationOut(valid=not issues, issues=issues)

    @post("/preview", status_code=200, summary="The table flowing out of one step, computed as far up as needed")
    async def preview(self, data: JSONBody[PreviewIn], user: CurrentUser, previews: Previews) -> StepPreviewOut:
        seed = DEFAULT_SEED if data.seed is None else data.seed
        graph = {"nodes": data.nodes, "edges": data.edges}
        return StepPreviewOut.of(await previews.preview(user.id, graph, data.node_id, data.limit, seed))

    @post("/execute", status_code=HTTP_202_ACCEPTED, summary="Run a saved workflow or an unsaved graph")
    async def execute(self, data: JSONBody[ExecuteIn], user: CurrentUser, runs: Runs) -> RunOut:
        seed = DEFAULT_SEED if data.seed is None else data.seed
        if data.workflow_id is not None:
            return RunOut.of(await runs.execute(user.id, data.workflow_id, seed))
        if data.nodes is None:
            raise InvalidInput(
                "send a `workflow_id`, or the `nodes` and `edges` of a graph",
                [Issue("missing_graph", "no workflow_id and no nodes", field="workflow_id")],
            )
        graph, issues = parse_graph({"nodes": data.nodes, "edges": data.edges or []})
        if issues:
            raise InvalidInput("the workflow cannot run as it is", issues)
        return RunOut.of(await runs.execute_graph(user.id, graph, data.name, seed))

    @get(
        "/{workflow_id:str}/export",
        summary="The workflow as a standalone Python script (pandas + scikit-learn) printing the same metrics",
        media_type="text/x-python",
    )
    async def export(
        self,
        workflow_id: FromPath[str],
        user: CurrentUser,
        workflows: Workflows,
        script_format: Annotated[Literal["python"], QueryParameter(name="format")] = "python",
        seed: FromQuery[int] = DEFAULT_SEED,
    ) -> Response[str]:
        workflow, script = await workflows.export_python(user.id, workflow_id, seed)
        stem = re.sub(r"[^A-Za-z0-9_]+", "_", workflow.name).strip("_").lower() or "workflow"
        return Response(
            script,
            media_type="text/x-python",
            headers={"Content-Disposition": f'attachment; filename="{stem[:80]}.py"'},
        )

    @get("/{workflow_id:str}", summary="One workflow")
    async def get_workflow(self, workflow_id: FromPath[str], user: CurrentUser, workflows: Workflows) -> WorkflowOut:
        return WorkflowOut.of(await workflows.get(user.id, workflow_id))

    @put("/{workflow_id:str}", summary="Replace a workflow (409 if it changed since you loaded it)")
    async def update(
        self, workflow_id: FromPath[str], data: JSONBody[WorkflowUpdate], user: CurrentUser, workflows: Workflows
    ) -> WorkflowOut:
        updated = await workflows.update(
            user.id,
            workflow_id,
            name=data.name,
            description=data.description,
            graph=Graph(nodes=data.nodes, edges=data.edges),
            version=data.version,
            updated_at=data.updated_at,
        )
        return WorkflowOut.of(updated)

    @delete("/{workflow_id:str}", summary="Delete a workflow")
    async def delete_workflow(self, workflow_id: FromPath[str], user: CurrentUser, workflows: Workflows) -> None:
        await workflows.delete(user.id, workflow_id)

    @post(
        "/{workflow_id:str}/execute",
        status_code=HTTP_202_ACCEPTED,
        summary="Run a saved workflow (the body, optional, is /execute's: its `seed` is used)",
    )
    async def execute_saved(
        self, workflow_id: FromPath[str], user: CurrentUser, runs: Runs, data: JSONBody[ExecuteIn | None] = None
    ) -> RunOut:
        if data is not None and data.workflow_id not in (None, workflow_id):
            raise InvalidInput(
                "the body names another workflow than the path",
                [Issue("workflow_mismatch", f"the path runs {workflow_id}", field="workflow_id")],
            )
        seed = DEFAULT_SEED if data is None or data.seed is None else data.seed
        return RunOut.of(await runs.execute(user.id, workflow_id, seed))
