"""Hypothesis properties of the domain's invariants."""

from __future__ import annotations

import random
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from automl_core.catalog import NODE_TYPES
from automl_core.runs import TRANSITIONS, RunStatus
from automl_core.validation import validate, validate_raw
from automl_core.workflow import Edge, Graph, Node, Position, content_hash, topological_order

PREPROCESS = [t.type for t in NODE_TYPES if t.category == "preprocess" and not any(p.required for p in t.params)]
SUPERVISED = [t.type for t in NODE_TYPES if t.tasks and "clustering" not in t.tasks and t.type != "automl"]


@st.composite
def valid_dags(draw: st.DrawFn) -> Graph:
    """A dataset, then a random tree of preprocessing, one optional split per branch, models and reports."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    nodes = [Node("n0", "dataset", {"dataset_id": "ds", "target": "y"})]
    edges: list[Edge] = []
    data_tips = [("n0", False)]
    for i in range(1, draw(st.integers(1, 40))):
        parent, split_seen = rnd.choice(data_tips)
        kind = rnd.random()
        if kind < 0.45:
            node_type, tip = rnd.choice(PREPROCESS), True
        elif kind < 0.55 and not split_seen:
            node_type, tip = "split", True
        else:
            node_type, tip = rnd.choice(SUPERVISED), False
        node = Node(f"n{i}", node_type)
        nodes.append(node)
        edges.append(Edge(f"e{i}", parent, node.id))
        if tip:
            data_tips.append((node.id, split_seen or node_type == "split"))
        elif rnd.random() < 0.5:
            nodes.append(Node(f"ev{i}", "evaluate"))
            edges.append(Edge(f"eev{i}", node.id, f"ev{i}"))
            nodes.append(Node(f"v{i}", "visualize"))
            edges.append(Edge(f"ev_v{i}", f"ev{i}", f"v{i}"))
    order = list(range(len(nodes)))
    rnd.shuffle(order)
    return Graph(nodes=[nodes[i] for i in order], edges=edges)


@given(valid_dags())
def test_random_dags_validate(graph: Graph):
    assert validate(graph) == []
    order = topological_order(graph)
    assert len(order) == len(graph.nodes)


@given(valid_dags(), st.data())
def test_any_back_edge_is_a_cycle_naming_its_nodes(graph: Graph, data: st.DataObject):
    parents = {e.target: e.source for e in graph.edges}
    deep = [n.id for n in graph.nodes if n.id in parents]
    if not deep:
        return
    start = data.draw(st.sampled_from(deep))
    path = [start]
    while path[-1] in parents:
        path.append(parents[path[-1]])
    ancestor_index = data.draw(st.integers(1, len(path) - 1))
    ancestor = path[ancestor_index]
    looped = Graph(nodes=graph.nodes, edges=[*graph.edges, Edge("back", start, ancestor)])
    named = {i.node_id for i in validate(looped) if i.code == "cycle"}
    assert named == set(path[: ancestor_index + 1])


@given(valid_dags(), st.randoms())
def test_hash_is_stable_under_reordering(graph: Graph, rnd: random.Random):
    nodes, edges = list(graph.nodes), list(graph.edges)
    rnd.shuffle(nodes)
    rnd.shuffle(edges)
    moved = [msgspec.structs.replace(n, position=Position(rnd.random(), rnd.random())) for n in nodes]
    assert content_hash(Graph(nodes=moved, edges=edges)) == content_hash(graph)


@given(valid_dags())
def test_graph_json_round_trips(graph: Graph):
    assert msgspec.json.decode(msgspec.json.encode(graph), type=Graph) == graph


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
node_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=3) | st.integers(),
        "type": st.sampled_from([t.type for t in NODE_TYPES]) | st.text(max_size=5),
        "params": st.dictionaries(st.sampled_from(["target", "k", "columns", "method", "x"]), json_values, max_size=3)
        | json_values,
        "position": json_values,
    },
)
edge_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=3),
        "source": st.text(max_size=3),
        "target": st.text(max_size=3),
        "source_handle": st.none() | st.text(max_size=5),
        "target_handle": st.none() | st.text(max_size=5),
    },
)


@settings(max_examples=300)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries({"nodes": st.lists(node_like, max_size=8), "edges": st.lists(edge_like, max_size=8)}),
    )
)
def test_validation_never_raises_on_json_ish_input(raw: Any):
    issues = validate_raw(raw)
    assert all(i.code and i.message for i in issues)


@given(st.lists(st.sampled_from(list(RunStatus)), max_size=6))
def test_run_state_machine_only_moves_along_its_edges(moves: list[RunStatus]):
    from datetime import UTC, datetime

    from automl_core.errors import IllegalTransition
    from automl_core.runs import Run

    run = Run(
        id="r",
        owner_id="u",
        workflow_id="w",
        snapshot=Graph(),
        dataset_hashes={},
        created_at=datetime.now(UTC),
    )
    for target in moves:
        before = run.status
        try:
            run = run.moved(target, datetime.now(UTC))
        except IllegalTransition:
            assert target not in TRANSITIONS[before]
        else:
            assert target in TRANSITIONS[before]
            assert not before.terminal
