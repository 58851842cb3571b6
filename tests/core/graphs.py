"""Graph builders shared by the core tests."""

from __future__ import annotations

import itertools
from typing import Any

from automl_core.workflow import Edge, Graph, Node


def chain(*specs: tuple[str, str] | tuple[str, str, dict[str, Any]]) -> Graph:
    """A linear graph: each (id, type[, params]) feeds the next."""
    nodes = [Node(id=s[0], type=s[1], params=dict(s[2]) if len(s) > 2 else {}) for s in specs]  # type: ignore[misc]
    edges = [Edge(id=f"e{i}", source=a.id, target=b.id) for i, (a, b) in enumerate(itertools.pairwise(nodes))]
    return Graph(nodes=nodes, edges=edges)


def classic(target: str | None = "survived", model: str = "model.random_forest", **dataset: Any) -> Graph:
    params: dict[str, Any] = {"dataset_id": "ds1", **dataset}
    if target is not None:
        params["target"] = target
    return chain(
        ("data", "dataset", params),
        ("split", "split"),
        ("model", model),
        ("eval", "evaluate"),
        ("viz", "visualize"),
    )
