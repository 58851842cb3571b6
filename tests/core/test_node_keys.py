"""Content keys: a change anywhere upstream (a param, the data, the seed) reaches every node below it,
and nothing else moves."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from automl_core.node_keys import branch_key, node_keys
from automl_core.workflow import Graph, Node, Position, downstream, is_trainable

from .test_properties import valid_dags

HASHES = {"ds": "a" * 64}


def _with_param(graph: Graph, node_id: str, value: int) -> Graph:
    nodes = [
        msgspec.structs.replace(n, params={**n.params, "changed": value}) if n.id == node_id else n for n in graph.nodes
    ]
    return msgspec.structs.replace(graph, nodes=nodes)


@settings(deadline=None, max_examples=60)
@given(valid_dags(), st.data())
def test_a_param_change_moves_the_node_and_everything_below_it_only(graph: Graph, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from([n.id for n in graph.nodes]))
    before = node_keys(graph, HASHES, 0)
    after = node_keys(_with_param(graph, target, data.draw(st.integers())), HASHES, 0)
    moved = {n for n in before if before[n] != after[n]}
    assert moved == {target} | downstream(graph, target)


@settings(deadline=None, max_examples=60)
@given(valid_dags(), st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))
def test_a_new_seed_or_new_data_moves_every_node(graph: Graph, seed: int, other: int) -> None:
    before = node_keys(graph, HASHES, seed)
    assert all(before[n] != v for n, v in node_keys(graph, {"ds": "b" * 64}, seed).items())
    if other != seed:
        assert all(before[n] != v for n, v in node_keys(graph, HASHES, other).items())


@settings(deadline=None, max_examples=60)
@given(valid_dags(), st.randoms())
def test_keys_ignore_positions_edge_ids_and_order(graph: Graph, rnd) -> None:  # type: ignore[no-untyped-def]
    nodes = [msgspec.structs.replace(n, position=Position(rnd.random(), 1.0)) for n in graph.nodes]
    edges = [msgspec.structs.replace(e, id=f"x{i}") for i, e in enumerate(graph.edges)]
    rnd.shuffle(nodes)
    rnd.shuffle(edges)
    assert node_keys(Graph(nodes=nodes, edges=edges), HASHES, 3) == node_keys(graph, HASHES, 3)


@settings(deadline=None, max_examples=60)
@given(valid_dags(), st.data())
def test_a_branch_key_moves_with_its_model_and_its_reports_only(graph: Graph, data: st.DataObject) -> None:
    models = [n.id for n in graph.nodes if is_trainable(n.type)]
    target = data.draw(st.sampled_from([n.id for n in graph.nodes]))
    keys, changed = node_keys(graph, HASHES, 0), _with_param(graph, target, 1)
    new_keys = node_keys(changed, HASHES, 0)
    below_target = {target} | downstream(graph, target)
    for model in models:
        affected = model in below_target or target in downstream(graph, model)
        assert (branch_key(graph, keys, model) != branch_key(changed, new_keys, model)) == affected


def test_a_default_spelled_out_is_the_same_step() -> None:
    def keyed(params: dict[str, object]) -> str:
        return node_keys(Graph(nodes=[Node("s", "preprocess.impute", params)]), HASHES, 0)["s"]

    assert keyed({}) == keyed({"strategy": "median"}) == keyed({"strategy": None})
    assert keyed({}) != keyed({"strategy": "mean"})
