"""What the user calls each step of a graph: the catalog's label, numbered when a type repeats.

One source for every place that speaks about a step (progress text, log lines, run view), so the run
view's chips, the log and the progress message name a step the same way the canvas does.
"""

from __future__ import annotations

from automl_core.catalog import CATALOG
from automl_core.workflow import Graph


def node_labels(graph: Graph) -> dict[str, str]:
    """node id -> "Random forest", "Random forest 2", … in the graph's node order."""
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    for node in graph.nodes:
        spec = CATALOG.get(node.type)
        base = spec.label if spec is not None else "Unknown step"
        seen[base] = seen.get(base, 0) + 1
        labels[node.id] = base if seen[base] == 1 else f"{base} {seen[base]}"
    return labels


def log_line(level: str, label: str | None, message: str) -> str:
    """A stored log line: `[warning] Random forest: did not converge…` (`line_node` reads it back)."""
    return f"[{level}] {label}: {message}" if label else f"[{level}] {message}"


def line_node(line: str, labels: dict[str, str]) -> str | None:
    """The node a stored log line names, by the label `log_line` put after its level."""
    _, closed, rest = line.partition("] ")
    if not closed:
        return None
    for node_id, label in labels.items():
        if rest.startswith(f"{label}: "):
            return node_id
    return None
