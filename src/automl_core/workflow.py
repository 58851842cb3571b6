"""Workflow graphs: the shape React Flow uses, plus the graph operations the rest of the system needs.

Operations assume a graph that passed structural validation (no cycles, no dangling edges); on a
malformed graph they raise `GraphError` rather than loop or guess.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec

from automl_core.catalog import node_type

SCHEMA_VERSION = 1


class Position(msgspec.Struct, frozen=True):
    x: float = 0.0
    y: float = 0.0


class Node(msgspec.Struct, frozen=True):
    id: str
    type: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    position: Position = Position()

    def __post_init__(self) -> None:
        """A whole number sent as `60.0` (as many JSON clients send it) is the integer 60 for an int parameter."""
        spec = node_type(self.type)
        if spec is None or not isinstance(self.params, dict):
            return
        for p in spec.params:
            value = self.params.get(p.name)
            if p.type == "int" and isinstance(value, float) and value.is_integer():
                self.params[p.name] = int(value)


class Edge(msgspec.Struct, frozen=True):
    id: str
    source: str
    target: str
    source_handle: str | None = None
    target_handle: str | None = None


class Graph(msgspec.Struct, frozen=True):
    """Nodes and edges; what a run snapshots and what the engine compiles."""

    nodes: list[Node] = msgspec.field(default_factory=list)
    edges: list[Edge] = msgspec.field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise GraphError(f"no node {node_id!r}")

    def node_map(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}


class Workflow(msgspec.Struct, kw_only=True):
    """A user's saved graph. `version` increases on each update (optimistic concurrency)."""

    id: str
    owner_id: str
    name: str
    description: str = ""
    graph: Graph
    version: int = 1
    created_at: datetime
    updated_at: datetime


class GraphError(ValueError):
    """A graph operation met a graph it cannot answer for (cycle, missing node)."""


def _adjacency(graph: Graph) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    ids = {n.id for n in graph.nodes}
    children: dict[str, list[str]] = defaultdict(list)
    parents: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        if e.source not in ids or e.target not in ids:
            raise GraphError(f"edge {e.id!r} joins a missing node")
        children[e.source].append(e.target)
        parents[e.target].append(e.source)
    return children, parents


def topological_order(graph: Graph) -> list[str]:
    """Kahn's algorithm; ties broken by the nodes' order in the graph so the result is stable."""
    children, parents = _adjacency(graph)
    indegree = {n.id: len(parents[n.id]) for n in graph.nodes}
    queue = deque(n.id for n in graph.nodes if indegree[n.id] == 0)
    order: list[str] = []
    while queue:
        current = queue.popleft()
        order.append(current)
        for child in children[current]:
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    if len(order) != len(graph.nodes):
        raise GraphError("graph has a cycle")
    return order


def _reach(start: str, step: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(step.get(start, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(step.get(current, ()))
    return seen


def upstream(graph: Graph, node_id: str) -> set[str]:
    """Every node with a path to `node_id` (not including it)."""
    _, parents = _adjacency(graph)
    return _reach(node_id, parents)


def downstream(graph: Graph, node_id: str) -> set[str]:
    """Every node reachable from `node_id` (not including it)."""
    children, _ = _adjacency(graph)
    return _reach(node_id, children)


def is_trainable(node_type: str) -> bool:
    return node_type == "automl" or node_type.startswith("model.")


def branch_path(graph: Graph, node_id: str) -> list[str]:
    """The chain of nodes from the root down to `node_id`, following each node's single data input.

    Every data-consuming node has exactly one input edge after validation, so the path is unique.
    """
    _, parents = _adjacency(graph)
    path = [node_id]
    seen = {node_id}
    current = node_id
    while parents[current]:
        if len(parents[current]) > 1:
            raise GraphError(f"node {current!r} has more than one input")
        current = parents[current][0]
        if current in seen:
            raise GraphError("graph has a cycle")
        seen.add(current)
        path.append(current)
    path.reverse()
    return path


def model_branches(graph: Graph) -> dict[str, list[str]]:
    """For each model/automl node, its path from the dataset node: what the engine compiles."""
    return {n.id: branch_path(graph, n.id) for n in graph.nodes if is_trainable(n.type)}


def canonical(graph: Graph) -> bytes:
    """What the graph computes, as bytes: independent of node/edge order, key order in params,
    canvas positions and edge ids (React Flow regenerates those)."""
    nodes = [{"id": n.id, "type": n.type, "params": n.params} for n in sorted(graph.nodes, key=lambda n: n.id)]
    edges = sorted((e.source, e.target, e.source_handle or "", e.target_handle or "") for e in graph.edges)
    return msgspec.json.encode({"schema_version": graph.schema_version, "nodes": nodes, "edges": edges}, order="sorted")


def content_hash(graph: Graph) -> str:
    """SHA-256 of the canonical form: the same graph always hashes the same."""
    return hashlib.sha256(canonical(graph)).hexdigest()


def dataset_ids(graph: Graph) -> list[str]:
    """The datasets a graph reads, in node order, without repeats."""
    found: list[str] = []
    for n in graph.nodes:
        ident = n.params.get("dataset_id") if n.type == "dataset" else None
        if isinstance(ident, str) and ident and ident not in found:
            found.append(ident)
    return found


def edges_into(graph: Graph, node_id: str) -> Iterable[Edge]:
    return (e for e in graph.edges if e.target == node_id)
