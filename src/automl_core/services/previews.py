"""Step previews: the table flowing out of one node, computed by the worker only as far up as needed.

Only the node and what lies upstream of it is validated and sent, so a half-drawn branch elsewhere on
the canvas never stops a preview. Answers are cached per user by the content key of everything
upstream (see `node_keys`), so looking again at an unchanged step never reaches the worker.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import msgspec

from automl_core.errors import InvalidInput, NotFound, Unavailable
from automl_core.issues import Issue
from automl_core.node_keys import fitted_key, node_keys, preview_key
from automl_core.ports import BlobStore, StepPreviewer
from automl_core.previews import DEFAULT_LIMIT, MAX_LIMIT, PreviewRequest, PreviewResult
from automl_core.services import UowFactory
from automl_core.services.graph_datasets import schemas_for
from automl_core.services.node_cache import NodeCache
from automl_core.validation import parse_graph, validate, validate_against_schemas
from automl_core.workflow import Graph, dataset_ids, is_trainable


def needed_for(graph: Graph, node_id: str) -> Graph:
    """The node and every node upstream of it, with the edges between them."""
    parents: dict[str, list[str]] = {}
    for e in graph.edges:
        parents.setdefault(e.target, []).append(e.source)
    keep, stack = {node_id}, [node_id]
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in keep:
                keep.add(parent)
                stack.append(parent)
    return Graph(
        nodes=[n for n in graph.nodes if n.id in keep],
        edges=[e for e in graph.edges if e.source in keep and e.target in keep],
    )


def _model_of(graph: Graph, node_id: str) -> str | None:
    """The model step a preview shows: the node itself, or the model an evaluate/visualize step reads."""
    nodes, parents = graph.node_map(), {e.target: e.source for e in graph.edges}
    current: str | None = node_id
    while current is not None and nodes[current].type in ("evaluate", "visualize"):
        current = parents.get(current)
    return current if current is not None and is_trainable(nodes[current].type) else None


class PreviewService:
    def __init__(self, uow: UowFactory, blobs: BlobStore, previewer: StepPreviewer | None, cache: NodeCache) -> None:
        self.uow = uow
        self.blobs = blobs
        self.previewer = previewer
        self.cache = cache

    async def preview(
        self, owner_id: str, raw: Any, node_id: str, limit: int = DEFAULT_LIMIT, seed: int = 0
    ) -> PreviewResult:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(
                f"limit must be between 1 and {MAX_LIMIT}", [Issue("out_of_range", "limit out of range", field="limit")]
            )
        graph, issues = parse_graph(raw)
        if node_id not in graph.node_map():
            message = f"there is no step {node_id!r} in the workflow"
            raise InvalidInput(message, [Issue("unknown_node", message, field="node_id")])
        graph = needed_for(graph, node_id)
        issues = [i for i in issues if i.node_id is None or i.node_id in graph.node_map()] + validate(graph)
        async with self.uow() as uow:
            schemas = await schemas_for(uow, owner_id, graph)
            records = {ident: await uow.datasets.get(owner_id, ident) for ident in schemas}
        issues += validate_against_schemas(graph, schemas)
        if issues:
            raise InvalidInput("this step cannot be previewed until the steps above it are valid", issues)
        hashes = {ident: d.content_hash for ident, d in records.items()}
        keys = node_keys(graph, hashes, seed)
        fitted = None
        model = _model_of(graph, node_id)
        if model is not None:
            fitted = await self.cache.load(owner_id, fitted_key(keys, model))
        # What a model step shows depends on whether its run's fitted pipeline is at hand.
        key = preview_key(keys, node_id, limit, fitted=fitted is not None)
        hit = await self.cache.load(owner_id, key)
        if hit is not None:
            return msgspec.structs.replace(msgspec.msgpack.decode(hit, type=PreviewResult), cached=True)
        if self.previewer is None:
            raise Unavailable("the configured executor cannot preview steps")
        request = PreviewRequest(
            workflow=graph, node_id=node_id, dataset_hashes=hashes, seed=seed, limit=limit, fitted=fitted
        )
        async with contextlib.AsyncExitStack() as stack:
            try:
                files: dict[str, Path] = {
                    ident: await stack.enter_async_context(self.blobs.as_file(records[ident].blob_key))
                    for ident in dataset_ids(graph)
                }
            except NotFound:
                raise Unavailable("a dataset's stored table is missing; upload it again") from None
            result = await self.previewer.preview(request, files)
        await self.cache.store(owner_id, key, msgspec.msgpack.encode(result))
        return result
