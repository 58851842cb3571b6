"""`automl run`: one workflow on one local table, through the same composition root as `serve`.

The run takes the API's path end to end — the table is ingested as an upload is, the run admitted
(validated once, snapshotted) and driven by the run supervisor on the configured executor — in a
throw-away data directory (SQLite and files) that is removed afterwards, so a terminal run behaves
exactly like a run asked for over HTTP, only without the HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from automl_core.errors import InvalidInput
from automl_core.issues import Issue
from automl_core.runs import Run
from automl_core.users import Identity
from automl_core.validation import parse_graph
from automl_core.workflow import Graph
from entrypoints.settings import Settings

CLI_USER = Identity(provider="local", subject="automl-cli", email="cli@localhost", name="automl run")


@dataclass
class Outcome:
    rows: int = 0
    columns: int = 0
    issues: list[Issue] = field(default_factory=list)
    run: Run | None = None
    artifacts: dict[str, bytes] = field(default_factory=dict)
    """node id -> the trained model's skops file."""


def _on_dataset(raw: Any, dataset_id: str) -> tuple[Graph, list[Issue]]:
    """The workflow file (a saved workflow or just `{nodes, edges}`) with every dataset node on the table."""
    graph, issues = parse_graph(raw)
    nodes = [
        msgspec.structs.replace(n, params={**n.params, "dataset_id": dataset_id}) if n.type == "dataset" else n
        for n in graph.nodes
    ]
    return msgspec.structs.replace(graph, nodes=nodes), issues


async def train(
    settings: Settings,
    raw: Any,
    data: Path,
    seed: int,
    on_read: Callable[[int, int], None],
    on_change: Callable[[Run], None],
) -> Outcome:
    """Ingest `data`, queue the workflow `raw` on it, drive it to its end; `on_change` sees each state."""
    from adapters.persistence.sqlalchemy import migrate
    from entrypoints.container import Container, close

    outcome = Outcome()
    with tempfile.TemporaryDirectory(prefix="automl-run-") as scratch:
        home = Path(scratch)
        local = msgspec.structs.replace(
            settings, data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'run.db'}", blobs="fs"
        )
        await migrate(local.database_url)
        container = Container(settings=local)
        supervisor = container.supervisor()
        driving = asyncio.create_task(supervisor.run_forever(), name="run-supervisor")
        try:
            user, _ = await container.auth_service().sign_in(CLI_USER)
            workdir = home / "upload"
            workdir.mkdir()
            dataset = await container.dataset_service().upload(
                user.id, data, data.name, None, workdir, data.stat().st_size
            )
            outcome.rows, outcome.columns = dataset.row_count, len(dataset.columns)
            on_read(outcome.rows, outcome.columns)
            graph, outcome.issues = _on_dataset(raw, dataset.id)
            if outcome.issues:
                return outcome
            runs = container.run_service()
            try:
                queued = await runs.execute_graph(user.id, graph, data.stem, seed)
            except InvalidInput as exc:
                outcome.issues = list(exc.issues)
                return outcome
            async for state in runs.watch(user.id, queued.id, poll_s=0.1):
                on_change(state)
                outcome.run = state
            blobs = container.blobs()
            async with container.uow() as uow:
                for result in outcome.run.results if outcome.run else []:
                    if result.model_id is None:
                        continue
                    model = await uow.models.get(user.id, result.model_id)
                    outcome.artifacts[result.node_id] = b"".join([c async for c in blobs.open(model.artifact_key)])
        finally:
            driving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driving
            await supervisor.shutdown()
            await close(container)
    return outcome
