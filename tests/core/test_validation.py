"""One test per validation code, each checking the issue names the right node, edge and field."""

from typing import Any

import pytest

from automl_core.datasets import Column, DatasetSchema
from automl_core.issues import Issue
from automl_core.validation import runnable_issues, validate, validate_against_schemas, validate_raw
from automl_core.workflow import Edge, Graph, Node
from tests.core.graphs import chain, classic


def codes(issues: list[Issue]) -> set[str]:
    return {i.code for i in issues}


def only(issues: list[Issue], code: str) -> list[Issue]:
    return [i for i in issues if i.code == code]


def test_a_classic_workflow_is_valid():
    assert validate(classic()) == []
    assert runnable_issues(classic()) == []


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        ([], "malformed_graph", None),
        ({"nodes": {}}, "malformed_graph", "nodes"),
        ({"nodes": [{"id": 3, "type": "split"}]}, "malformed_node", "nodes[0]"),
        ({"nodes": [], "edges": [{"id": "e"}]}, "malformed_edge", "edges[0]"),
    ],
)
def test_malformed_input_is_reported_not_raised(raw: Any, code: str, field: str | None):
    issues = validate_raw(raw)
    assert [(i.code, i.field) for i in issues] == [(code, field)]


def test_duplicate_node_and_edge_ids():
    g = classic()
    g = Graph(nodes=[*g.nodes, Node("split", "split")], edges=[*g.edges, Edge("e0", "data", "split")])
    dup = only(validate(g), "duplicate_id")
    assert {(i.node_id, i.edge_id) for i in dup} == {("split", None), (None, "e0")}


def test_unknown_type_names_the_node():
    issues = validate(chain(("d", "dataset", {"dataset_id": "x", "target": "y"}), ("m", "model.gpt")))
    assert [(i.code, i.node_id, i.field) for i in only(issues, "unknown_type")] == [("unknown_type", "m", "type")]


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"n_estimators": "many"}, "invalid_type", "n_estimators"),
        ({"n_estimators": True}, "invalid_type", "n_estimators"),
        ({"n_estimators": 0}, "out_of_range", "n_estimators"),
        ({"n_estimators": 10**9}, "out_of_range", "n_estimators"),
        ({"max_features": "half"}, "invalid_choice", "max_features"),
        ({"colour": "red"}, "unknown_param", "colour"),
    ],
)
def test_parameter_problems(params: dict[str, Any], code: str, field: str):
    g = chain(("d", "dataset", {"dataset_id": "x", "target": "y"}), ("m", "model.random_forest", params))
    assert [(i.code, i.node_id, i.field) for i in validate(g)] == [(code, "m", field)]


def test_missing_required_param_and_float_accepts_int():
    g = chain(("d", "dataset", {"target": "y"}), ("s", "split", {"test_size": 1}))
    found = {(i.code, i.node_id, i.field) for i in validate(g)}
    assert ("missing_param", "d", "dataset_id") in found
    assert ("out_of_range", "s", "test_size") in found
    ok = chain(("d", "dataset", {"dataset_id": "x"}), ("p", "preprocess.pca", {"variance": 1}))
    assert validate(ok) == []


def test_multichoice_rejects_unknown_values():
    g = chain(("d", "dataset", {"dataset_id": "x", "target": "y"}), ("a", "automl", {"families": ["svm", "gpt"]}))
    assert [(i.code, i.field) for i in validate(g)] == [("invalid_choice", "families")]


def test_edges_self_loop_dangling_and_unknown_handle():
    g = classic()
    g = Graph(
        nodes=g.nodes,
        edges=[
            *g.edges,
            Edge("loop", "split", "split"),
            Edge("gone", "ghost", "model"),
            Edge("bad", "data", "eval", target_handle="nope"),
        ],
    )
    issues = validate(g)
    assert {(i.code, i.edge_id) for i in issues} == {
        ("self_loop", "loop"),
        ("dangling_edge", "gone"),
        ("unknown_handle", "bad"),
    }


def test_port_mismatch_evaluate_fed_by_a_dataset():
    g = chain(("d", "dataset", {"dataset_id": "x", "target": "y"}), ("ev", "evaluate"))
    found = {(i.code, i.node_id, i.edge_id) for i in validate(g)}
    assert ("port_mismatch", "ev", "e0") in found
    assert ("missing_input", "ev", None) in found


def test_visualize_accepts_a_model_or_an_evaluation():
    g = chain(("d", "dataset", {"dataset_id": "x", "target": "y"}), ("m", "model.knn"), ("v", "visualize"))
    assert validate(g) == []


def test_two_inputs_on_one_port():
    g = chain(("d", "dataset", {"dataset_id": "x", "target": "y"}), ("m", "model.knn"))
    g = Graph(nodes=[*g.nodes, Node("d2", "dataset", {"dataset_id": "z"})], edges=[*g.edges, Edge("x", "d2", "m")])
    assert [(i.code, i.edge_id, i.node_id) for i in validate(g)] == [("too_many_inputs", "x", "m")]


def test_dangling_evaluate_and_model_without_data():
    g = Graph(nodes=[Node("ev", "evaluate"), Node("m", "model.knn")])
    assert {(i.code, i.node_id) for i in validate(g)} == {("missing_input", "ev"), ("missing_input", "m")}


def test_model_fed_by_a_headless_chain_has_no_dataset():
    g = chain(("s", "preprocess.scale"), ("m", "model.knn"))
    assert {(i.code, i.node_id) for i in validate(g)} == {("missing_input", "s"), ("no_dataset", "m")}


def test_cycle_names_every_node_in_it():
    g = chain(("a", "preprocess.scale"), ("b", "preprocess.impute"), ("c", "preprocess.pca"))
    g = Graph(nodes=g.nodes, edges=[*g.edges, Edge("back", "c", "a")])
    cycle = only(validate(g), "cycle")
    assert {i.node_id for i in cycle} == {"a", "b", "c"}
    assert all("Scale, Impute missing values, PCA" in i.message for i in cycle)


def test_two_splits_on_one_branch():
    g = chain(
        ("d", "dataset", {"dataset_id": "x", "target": "y"}),
        ("s1", "split"),
        ("s2", "split"),
        ("m", "model.knn"),
    )
    assert [(i.code, i.node_id) for i in validate(g)] == [("multiple_splits", "s2")]


def test_missing_target_is_flagged_on_the_dataset_once():
    g = chain(("d", "dataset", {"dataset_id": "x"}), ("s", "split"), ("m", "model.knn"))
    g = Graph(nodes=[*g.nodes, Node("m2", "model.svm")], edges=[*g.edges, Edge("x", "s", "m2")])
    assert [(i.code, i.node_id, i.field) for i in validate(g)] == [("missing_target", "d", "target")]


def test_clustering_with_a_target():
    issues = validate(classic(model="model.kmeans"))
    assert [(i.code, i.node_id) for i in issues] == [("clustering_with_target", "model")]
    declared = validate(chain(("d", "dataset", {"dataset_id": "x", "target": "y", "task": "clustering"})))
    assert [(i.code, i.field) for i in declared] == [("clustering_with_target", "target")]
    assert validate(classic(target=None, model="model.kmeans", task="clustering")) == []


def test_classifier_on_a_regression_task_and_other_task_mismatches():
    issues = validate(classic(model="model.logistic_regression", task="regression"))
    assert [(i.code, i.node_id) for i in issues] == [("task_mismatch", "model")]
    g = chain(
        ("d", "dataset", {"dataset_id": "x", "target": "y", "task": "regression"}),
        ("a", "automl", {"metric": "roc_auc", "families": ["naive_bayes"]}),
        ("v", "visualize", {"plots": ["confusion_matrix"]}),
    )
    assert {(i.code, i.node_id, i.field) for i in validate(g)} == {
        ("task_mismatch", "a", "metric"),
        ("task_mismatch", "a", "families"),
        ("task_mismatch", "v", "plots"),
    }


def test_nothing_to_run():
    assert [i.code for i in runnable_issues(chain(("d", "dataset", {"dataset_id": "x"})))] == ["nothing_to_run"]


SCHEMA = DatasetSchema(
    id="ds1",
    row_count=100,
    columns=[
        Column("survived", "integer", 0, 2),
        Column("age", "float", 10, 80),
        Column("fare", "float", 0, 90),
        Column("town", "string", 0, 3),
        Column("one", "string", 0, 1),
    ],
)


def test_schema_checks_unknown_dataset_and_columns():
    assert [(i.code, i.field) for i in validate_against_schemas(classic(), {})] == [("unknown_dataset", "dataset_id")]
    g = chain(
        ("data", "dataset", {"dataset_id": "ds1", "target": "survivd", "features": ["age", "ghost"]}),
        ("drop", "preprocess.drop_columns", {"columns": ["phantom"]}),
        ("m", "model.knn"),
    )
    found = {(i.code, i.node_id, i.field, i.column) for i in validate_against_schemas(g, {"ds1": SCHEMA})}
    assert found == {
        ("unknown_column", "data", "target", None),
        ("unknown_column", "data", "features", "ghost"),
        ("unknown_column", "drop", "columns", "phantom"),
    }


def test_schema_checks_tasks_against_the_target():
    schemas = {"ds1": SCHEMA}
    assert validate_against_schemas(classic(), schemas) == []
    on_continuous = validate_against_schemas(classic(target="fare", model="model.naive_bayes"), schemas)
    assert [(i.code, i.node_id) for i in on_continuous] == [("task_mismatch", "model")]
    assert [i.code for i in validate_against_schemas(classic(target="one"), schemas)] == ["constant_target"]
    binary = validate_against_schemas(classic(target="town", task="binary"), schemas)
    regression = validate_against_schemas(classic(target="town", task="regression"), schemas)
    assert [(i.code, i.field) for i in binary + regression] == [("task_mismatch", "task")] * 2


def test_a_cycle_does_not_hide_the_other_problems():
    """A loop, a missing target (structural check) and a column the dataset lacks, all in one answer."""
    g = chain(
        ("data", "dataset", {"dataset_id": "ds1", "features": ["ghost"]}),
        ("a", "preprocess.scale"),
        ("b", "preprocess.impute"),
        ("m", "model.random_forest"),
    )
    g = Graph(nodes=g.nodes, edges=[*g.edges, Edge("back", "b", "a")])
    structural = validate(g)
    assert {(i.code, i.node_id) for i in structural} >= {("cycle", "a"), ("cycle", "b"), ("missing_target", "data")}
    data = validate_against_schemas(g, {"ds1": SCHEMA})
    assert ("unknown_column", "data", "ghost") in {(i.code, i.node_id, i.column) for i in data}


def test_visualize_and_evaluate_take_several_models():
    g = classic()
    nodes = [*g.nodes, Node("m2", "model.logistic_regression"), Node("m3", "model.decision_tree")]
    edges = [*g.edges, Edge("s2", "split", "m2"), Edge("s3", "split", "m3"), Edge("v2", "m2", "viz"),
             Edge("ev3", "m3", "eval")]  # fmt: skip
    assert validate(Graph(nodes=nodes, edges=edges)) == []
    # one model twice into the same input is still refused... by the port? No: the canvas refuses it;
    # a single-input port (a model's data) still takes one edge
    twice = Graph(nodes=nodes, edges=[*edges, Edge("x", "data", "m2")])
    assert [i.code for i in validate(twice)] == ["too_many_inputs"]


def test_messages_speak_plainly_and_once_per_step():
    g = chain(
        ("d", "dataset", {}),
        ("m", "model.random_forest", {"n_estimators": "many"}),
        ("v", "visualize", {"plots": ["roc_curve", "residuals"]}),
    )
    g = Graph(nodes=[*g.nodes, Node("lone", "evaluate")], edges=g.edges)
    issues = validate(g)
    messages = [i.message for i in issues]
    assert "Choose a dataset" in messages
    assert "Connect a model to this step" in messages
    for m in messages:
        assert "`" not in m and "_" not in m, m
        for ident in ("lone", "n_estimators", "dataset_id"):
            assert ident not in m, m
    assert len({(i.node_id, i.message) for i in issues}) == len(issues)


def test_a_whole_number_sent_as_a_float_is_an_integer():
    g = chain(("d", "dataset", {"dataset_id": "ds1", "target": "survived"}), ("a", "automl", {"time_budget_s": 60.0}))
    assert g.nodes[1].params["time_budget_s"] == 60 and isinstance(g.nodes[1].params["time_budget_s"], int)
    assert validate(g) == []
    fractional = chain(("d", "dataset", {"dataset_id": "ds1", "target": "y"}), ("a", "automl", {"time_budget_s": 60.5}))
    assert [i.code for i in validate(fractional)] == ["invalid_type"]
