"""Validation scaling: time per validation of 100 / 1,000 / 10,000-node graphs.

Reported as time per node relative to the smallest graph, so linear growth shows as ratios near 1.
"""

from __future__ import annotations

import random
import statistics
import time

from automl_core.validation import validate
from automl_core.workflow import Edge, Graph, Node


def wide_graph(size: int, seed: int = 0) -> Graph:
    """Datasets feeding random preprocessing chains that end in models, evaluations and plots."""
    rnd = random.Random(seed)
    nodes: list[Node] = []
    edges: list[Edge] = []
    tips: list[str] = []
    while len(nodes) < size:
        if not tips or rnd.random() < 0.05:
            ident = f"d{len(nodes)}"
            nodes.append(Node(ident, "dataset", {"dataset_id": "ds", "target": "y"}))
            tips.append(ident)
            continue
        parent = rnd.choice(tips)
        ident = f"n{len(nodes)}"
        if rnd.random() < 0.6:
            nodes.append(Node(ident, rnd.choice(["preprocess.scale", "preprocess.impute", "preprocess.one_hot"])))
            tips.append(ident)
        else:
            nodes.append(Node(ident, "model.random_forest", {"n_estimators": 50}))
            nodes.append(Node(ident + "e", "evaluate"))
            edges.append(Edge(ident + "x", ident, ident + "e"))
        edges.append(Edge(f"e{len(edges)}", parent, ident))
    return Graph(nodes=nodes, edges=edges)


def run(smoke: bool = False) -> list[dict[str, float]]:
    sizes = [100, 1_000] if smoke else [100, 1_000, 10_000]
    rows = []
    baseline_per_node = None
    for size in sizes:
        graph = wide_graph(size)
        assert validate(graph) == [], "the benchmark graph must be valid"
        repeats = max(3, 2_000 // size)
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            validate(graph)
            timings.append(time.perf_counter() - start)
        median = statistics.median(timings)
        per_node = median / len(graph.nodes)
        baseline_per_node = baseline_per_node or per_node
        rows.append(
            {
                "nodes": len(graph.nodes),
                "median_ms": round(median * 1000, 3),
                "per_node_us": round(per_node * 1e6, 3),
                "per_node_vs_100": round(per_node / baseline_per_node, 2),
            }
        )
    return rows
