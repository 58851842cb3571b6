"""Re-running only what changed: a run's model branches whose content keys a cached result already has.

Before a run goes to its executor, each model branch's key (the model's content key and those of the
evaluate/visualize steps below it, see `node_keys.branch_key`) is looked up in the owner's node
cache. Branches found are taken out of the workflow the executor receives (the engine then trains
only the others, on any executor, even an older Space that knows nothing of caching) and their cached
results are put back into the run's result in the snapshot's order. Fresh branch results are cached
as they come back. A branch result is only ever reused for the user who trained it.
"""

from __future__ import annotations

import builtins

import msgspec

from automl_core.execution import BranchResult, ExecutionResult
from automl_core.labels import log_line, node_labels
from automl_core.node_keys import branch_key, fitted_key, node_keys
from automl_core.runs import Run
from automl_core.services.node_cache import NodeCache
from automl_core.workflow import Graph, branch_path, downstream, is_trainable


class CachedBranch(msgspec.Struct, kw_only=True):
    """A branch result without its artifact, which is cached on its own under the model's `fitted_key`
    (step previews show that fitted model's predictions)."""

    branch: BranchResult
    library_versions: dict[str, str] = msgspec.field(default_factory=dict)


class Reuse(msgspec.Struct, kw_only=True):
    """What a run takes from the cache, and the workflow left for the executor to train."""

    found: dict[str, CachedBranch]
    remaining: Graph
    keys: dict[str, str]

    @property
    def nothing_to_train(self) -> bool:
        return not any(is_trainable(n.type) for n in self.remaining.nodes)

    def log_lines(self, snapshot: Graph) -> builtins.list[str]:
        labels = node_labels(snapshot)
        message = "reused from an earlier run (same steps, data and seed)"
        return [log_line("info", labels[node_id], message) for node_id in self.found]

    def merged(self, snapshot: Graph, fresh: ExecutionResult) -> ExecutionResult:
        """The fresh result with the reused branches put back, in the snapshot's model order."""
        by_node = {b.node_id: b for b in fresh.branches}
        by_node.update({node_id: c.branch for node_id, c in self.found.items()})
        order = [n.id for n in snapshot.nodes if n.id in by_node]
        versions = fresh.library_versions or next((c.library_versions for c in self.found.values()), {})
        return msgspec.structs.replace(fresh, branches=[by_node[i] for i in order], library_versions=versions)


def without_branches(graph: Graph, reused: builtins.set[str]) -> Graph:
    """The graph minus the reused model nodes, the steps below them, and steps no other branch needs."""
    drop = set(reused)
    for model in reused:
        drop |= downstream(graph, model)
    keep: set[str] = set()
    for node in graph.nodes:
        if is_trainable(node.type) and node.id not in drop:
            keep.update(branch_path(graph, node.id))
            keep |= downstream(graph, node.id)
    return Graph(
        nodes=[n for n in graph.nodes if n.id in keep],
        edges=[e for e in graph.edges if e.source in keep and e.target in keep],
        schema_version=graph.schema_version,
    )


class BranchReuse:
    def __init__(self, cache: NodeCache) -> None:
        self.cache = cache

    async def plan(self, run: Run) -> Reuse:
        graph = run.snapshot
        keys = node_keys(graph, run.dataset_hashes, run.seed)
        found: dict[str, CachedBranch] = {}
        for node in graph.nodes:
            if not is_trainable(node.type):
                continue
            data = await self.cache.load(run.owner_id, branch_key(graph, keys, node.id))
            artifact = await self.cache.load(run.owner_id, fitted_key(keys, node.id)) if data else None
            if data is not None and artifact is not None:
                cached = msgspec.msgpack.decode(data, type=CachedBranch)
                cached.branch = msgspec.structs.replace(cached.branch, artifact=artifact)
                found[node.id] = cached
        remaining = without_branches(graph, set(found)) if found else graph
        return Reuse(found=found, remaining=remaining, keys=keys)

    async def remember(self, run: Run, reuse: Reuse, result: ExecutionResult) -> None:
        """Cache each branch this run trained (not those it reused: they are cached already)."""
        for branch in result.branches:
            if branch.node_id in reuse.found or branch.node_id not in reuse.keys:
                continue
            await self.cache.store(run.owner_id, fitted_key(reuse.keys, branch.node_id), branch.artifact)
            key = branch_key(run.snapshot, reuse.keys, branch.node_id)
            light = msgspec.structs.replace(branch, artifact=b"")
            entry = CachedBranch(branch=light, library_versions=result.library_versions)
            await self.cache.store(run.owner_id, key, msgspec.msgpack.encode(entry))
