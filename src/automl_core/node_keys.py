"""Content keys of a workflow's nodes: what a node computes, as a hash, so equal work is done once.

A node's key hashes its type, its params over the catalog defaults, the keys of its inputs, the
content hash of the dataset it reads, the seed and the engine version. Anything upstream that
changes (a param, the data, the seed) therefore changes the key of every node below it, and nothing
else does: canvas positions and edge ids are not part of it. The node's id is, because the engine
names fitted steps and messages after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import msgspec

from automl_core.catalog import CATALOG
from automl_core.execution import CONTRACT_VERSION
from automl_core.workflow import Graph, Node, downstream, topological_order

ENGINE_VERSION = "1"
"""Raise it whenever the engine would compute any node differently from the same inputs."""


def _params(node: Node) -> dict[str, Any]:
    spec = CATALOG.get(node.type)
    given = {k: v for k, v in node.params.items() if v is not None}
    return {**spec.defaults(), **given} if spec else given


def _digest(payload: Any) -> str:
    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()


def node_keys(graph: Graph, dataset_hashes: Mapping[str, str], seed: int) -> dict[str, str]:
    """node id -> content key, for every node of a graph without cycles."""
    inputs: dict[str, list[tuple[str, str, str]]] = {n.id: [] for n in graph.nodes}
    for e in graph.edges:
        inputs[e.target].append((e.source, e.source_handle or "", e.target_handle or ""))
    nodes = graph.node_map()
    keys: dict[str, str] = {}
    for node_id in topological_order(graph):
        node = nodes[node_id]
        dataset = node.params.get("dataset_id") if node.type == "dataset" else None
        keys[node_id] = _digest(
            {
                "engine": ENGINE_VERSION,
                "contract": CONTRACT_VERSION,
                "id": node.id,
                "type": node.type,
                "params": _params(node),
                "inputs": sorted((keys[src], out, into) for src, out, into in inputs[node_id]),
                "dataset": dataset_hashes.get(dataset, "") if isinstance(dataset, str) else None,
                "seed": seed,
            }
        )
    return keys


def branch_key(graph: Graph, keys: Mapping[str, str], model_id: str) -> str:
    """What a model branch's result depends on: the model's key and those of the evaluate and visualize
    nodes below it (they choose the metrics and plots the result carries)."""
    below = sorted(keys[n] for n in downstream(graph, model_id))
    return _digest({"branch": keys[model_id], "below": below})


def fitted_key(keys: Mapping[str, str], model_id: str) -> str:
    """Where a model step's fitted pipeline is cached: it depends on the model and what is above it only."""
    return _digest({"fitted": keys[model_id]})


def preview_key(keys: Mapping[str, str], node_id: str, limit: int, fitted: bool = False) -> str:
    """A preview's key; `fitted`: a model step shown with its run's fitted pipeline rather than refitted."""
    return _digest({"preview": keys[node_id], "limit": limit, "fitted": fitted})
