import pytest

from automl_core.workflow import (
    Edge,
    Graph,
    GraphError,
    Node,
    Position,
    branch_path,
    content_hash,
    dataset_ids,
    downstream,
    model_branches,
    topological_order,
    upstream,
)
from tests.core.graphs import chain, classic


def forked() -> Graph:
    g = chain(("d", "dataset", {"dataset_id": "x", "target": "y"}), ("s", "split"), ("rf", "model.random_forest"))
    return Graph(
        nodes=[*g.nodes, Node("lr", "model.logistic_regression"), Node("ev", "evaluate")],
        edges=[*g.edges, Edge("f1", "s", "lr"), Edge("f2", "lr", "ev")],
    )


def test_topological_order_puts_parents_first():
    g = forked()
    order = topological_order(g)
    assert sorted(order) == sorted(n.id for n in g.nodes)
    for e in g.edges:
        assert order.index(e.source) < order.index(e.target)


def test_topological_order_refuses_cycles():
    g = Graph(nodes=[Node("a", "split"), Node("b", "split")], edges=[Edge("1", "a", "b"), Edge("2", "b", "a")])
    with pytest.raises(GraphError):
        topological_order(g)


def test_upstream_and_downstream():
    g = forked()
    assert upstream(g, "ev") == {"lr", "s", "d"}
    assert downstream(g, "s") == {"rf", "lr", "ev"}
    assert upstream(g, "d") == set()


def test_model_branches_follow_edges_from_the_dataset():
    assert model_branches(forked()) == {"rf": ["d", "s", "rf"], "lr": ["d", "s", "lr"]}
    assert branch_path(classic(), "viz") == ["data", "split", "model", "eval", "viz"]


def test_hash_ignores_order_positions_and_edge_ids_but_not_params():
    g = classic()
    shuffled = Graph(
        nodes=[Node(n.id, n.type, dict(reversed(list(n.params.items()))), Position(9, 9)) for n in reversed(g.nodes)],
        edges=[Edge(f"x{e.id}", e.source, e.target) for e in reversed(g.edges)],
    )
    assert content_hash(shuffled) == content_hash(g)
    changed = classic(target="age")
    assert content_hash(changed) != content_hash(g)


def test_dataset_ids_in_node_order_without_repeats():
    g = chain(("a", "dataset", {"dataset_id": "one"}), ("b", "split"))
    g2 = Graph(
        nodes=[
            *g.nodes,
            Node("c", "dataset", {"dataset_id": "two"}),
            Node("d", "dataset", {"dataset_id": "one"}),
        ]
    )
    assert dataset_ids(g2) == ["one", "two"]
