"""The engine on shared tables: every node type, edge order, no leakage, artifacts, tasks, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from automl_core.catalog import CATALOG, NODE_TYPES, PLOTS
from automl_core.execution import LogEvent
from automl_core.workflow import Edge, Graph, Node
from automl_worker import allowlist, artifacts
from automl_worker.data import Table
from automl_worker.engine import load_data, plan_rows, run
from automl_worker.errors import EngineCancelled, EngineError, PredictionError
from automl_worker.fitting import Context

from .conftest import chain, classes_in, dataset, read_csv, request

CLASSIFICATION_PLOTS = {"plots": [p for p in PLOTS if p not in {"actual_vs_predicted", "residuals", "cluster_sizes"}]}


def execute(graph: Graph, paths: dict[str, Path], **kwargs: Any) -> Any:
    return run(request(graph, **kwargs), paths)


def pipeline_of(artifact: bytes) -> Any:
    return artifacts.load(artifact)[0]


MODELS = {
    task: [t.type.removeprefix("model.") for t in NODE_TYPES if t.category == "model" and family in (t.tasks or ())]
    for task, family in (("binary", "classification"), ("regression", "regression"))
}


@pytest.mark.parametrize(
    ("name", "target", "task", "families"),
    [("titanic", "survived", "binary", MODELS["binary"]), ("mpg", "mpg", "regression", MODELS["regression"])],
)
def test_every_model_family_trains_side_by_side(
    tables: Any, name: str, target: str, task: str, families: list[str]
) -> None:
    result = execute(side_by_side(target, families), {"ds": tables(name, 300)})
    assert {b.node_id for b in result.branches} == set(families)
    key = "accuracy" if task == "binary" else "r2"
    rows = read_csv(name).head(5).to_dicts()
    for branch in result.branches:
        assert branch.task == task
        assert branch.metrics[key] > (0.6 if task == "binary" else 0.3), branch.node_id
        assert artifacts.load(branch.artifact)[1].algorithm == branch.node_id  # every type it holds is trusted
        assert len(artifacts.predict(branch.artifact, rows).predictions) == 5
        # Its classes are on its own family's list (plus what every pipeline and the scale node hold).
        own = {*allowlist.MODEL_CLASSES[branch.node_id], *allowlist.ALWAYS_CLASSES}
        assert classes_in(branch.artifact) <= own | set(allowlist.PREPROCESS_CLASSES["scale"]), branch.node_id


def side_by_side(target: str, families: list[str]) -> Graph:
    """One scaled, split dataset feeding a branch per model family."""
    nodes = [
        Node("data", "dataset", {"dataset_id": "ds", "target": target}),
        Node("scale", "preprocess.scale"),
        Node("split", "split"),
    ]
    edges = [Edge("e-scale", "data", "scale"), Edge("e-split", "scale", "split")]
    for family in families:
        params = {"max_iter": 2000} if family == "mlp" else {}
        nodes.append(Node(family, f"model.{family}", params))
        edges.append(Edge(f"e-{family}", "split", family))
    return Graph(nodes=nodes, edges=edges)


def test_every_preprocessing_step_evaluate_and_visualize(tables: Any) -> None:
    result = execute(every_step(), {"ds": tables("titanic")})
    branch = result.branches[0]
    assert set(branch.metrics) == {"accuracy", "roc_auc"}
    assert branch.metrics["accuracy"] > 0.7
    assert {"confusion_matrix", "roc_curve", "pr_curve", "calibration", "feature_importance", "learning_curve"} <= set(
        branch.plots
    )
    assert sum(map(sum, branch.plots["confusion_matrix"]["matrix"])) == 891
    steps = [name for name, _ in pipeline_of(branch.artifact).steps]
    assert steps[:3] == ["drop", "impute", "log"]
    assert steps.index("poly") < steps.index("select") < steps.index("pca") < steps.index("estimator")
    assert not {"dups", "outliers"} & set(steps)


def every_step() -> Graph:
    return chain(
        dataset("survived"),
        ("drop", "preprocess.drop_columns", {"columns": ["deck", "embark_town"]}),
        ("dups", "preprocess.remove_duplicates"),
        ("impute", "preprocess.impute", {"strategy": "most_frequent"}),
        ("outliers", "preprocess.remove_outliers", {"method": "zscore", "threshold": 4.0, "columns": ["fare"]}),
        ("log", "preprocess.transform", {"method": "log1p", "columns": ["fare"]}),
        ("sqrt", "preprocess.transform", {"method": "sqrt", "columns": ["sibsp"]}),
        ("yj", "preprocess.transform", {"method": "yeo-johnson", "columns": ["age"]}),
        ("quantile", "preprocess.transform", {"method": "quantile", "columns": ["parch"]}),
        ("onehot", "preprocess.one_hot", {"columns": ["sex", "embarked"]}),
        ("ordinal", "preprocess.ordinal"),
        ("scale", "preprocess.scale", {"method": "robust"}),
        ("poly", "preprocess.polynomial", {"degree": 2, "columns": ["age", "fare"]}),
        ("select", "preprocess.select_k_best", {"k": 8}),
        ("pca", "preprocess.pca", {"n_components": 5}),
        ("split", "split", {"method": "kfold", "folds": 3}),
        ("model", "model.logistic_regression"),
        ("eval", "evaluate", {"metrics": ["accuracy", "roc_auc"]}),
        ("viz", "visualize", CLASSIFICATION_PLOTS),
    )


def test_clustering_reports_its_metrics_and_cluster_sizes(tables: Any) -> None:
    branch = execute(clustering(), {"ds": tables("penguins")}).branches[0]
    assert branch.task == "clustering"
    assert set(branch.metrics) == {"silhouette", "davies_bouldin", "calinski_harabasz"}
    assert branch.metrics["silhouette"] > 0.2
    assert sum(branch.plots["cluster_sizes"]["sizes"]) == 344
    rows = read_csv("penguins").head(5).to_dicts()
    assert set(artifacts.predict(branch.artifact, rows).predictions) <= {0, 1, 2}


def clustering() -> Graph:
    return chain(
        dataset(None, features=["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island"]),
        ("scale", "preprocess.scale"),
        ("km", "model.kmeans", {"n_clusters": 3}),
        ("eval", "evaluate"),
        ("viz", "visualize"),
    )


def test_the_graphs_above_cover_every_catalog_node_type() -> None:
    graphs = [side_by_side("y", families) for families in MODELS.values()] + [every_step(), clustering()]
    covered = {n.type for g in graphs for n in g.nodes} | {"automl"}  # automl: test_automl.py
    assert covered == set(CATALOG)


def test_edge_order_decides_step_order(tables: Any) -> None:
    path = {"ds": tables("mpg")}
    nodes = [
        Node(
            "data",
            "dataset",
            {"dataset_id": "ds", "target": "mpg", "features": ["weight", "horsepower", "acceleration"]},
        ),
        Node("scale", "preprocess.scale", {"method": "minmax"}),
        Node("poly", "preprocess.polynomial"),
        Node("model", "model.ridge", {"alpha": 10.0}),
    ]
    scale_first = [Edge("a", "data", "scale"), Edge("b", "scale", "poly"), Edge("c", "poly", "model")]
    poly_first = [Edge("a", "data", "poly"), Edge("b", "poly", "scale"), Edge("c", "scale", "model")]
    shuffled = list(reversed(scale_first))
    one, two, three = (
        execute(Graph(nodes=nodes, edges=e), path).branches[0] for e in (scale_first, poly_first, shuffled)
    )
    assert [n for n, _ in pipeline_of(one.artifact).steps] == ["scale", "poly", "estimator"]
    assert [n for n, _ in pipeline_of(two.artifact).steps] == ["poly", "scale", "estimator"]
    assert [n for n, _ in pipeline_of(three.artifact).steps] == ["scale", "poly", "estimator"]
    rows = read_csv("mpg").head(20).to_dicts()
    assert artifacts.predict(one.artifact, rows).predictions != artifacts.predict(two.artifact, rows).predictions
    assert one.metrics == three.metrics


def test_a_scaler_drawn_before_the_split_is_fitted_on_training_rows_only(tables: Any) -> None:
    graph = chain(
        dataset("Class"),
        ("scale", "preprocess.scale"),
        ("outliers", "preprocess.remove_outliers", {"threshold": 3.0}),
        ("split", "split", {"test_size": 0.3, "seed": 7}),
        ("model", "model.logistic_regression"),
        ("viz", "visualize", {"plots": ["confusion_matrix"]}),
    )
    path = tables("phoneme")
    branch = execute(graph, {"ds": path}).branches[0]
    scaler = pipeline_of(branch.artifact).named_steps["scale"].transformers_[0][1]
    table = Table.read(path)
    data = load_data(Context(), graph.node("data"), {"ds": table})
    [(train, test)] = plan_rows(graph.node("split"), data, 0, "model")[0]
    assert scaler.n_samples_seen_ == len(train)
    np.testing.assert_allclose(scaler.mean_, data.X.iloc[train].mean().to_numpy())
    assert not np.allclose(scaler.mean_, data.X.mean().to_numpy())
    assert np.sum(branch.plots["confusion_matrix"]["matrix"]) == len(test)  # the outlier filter spared test rows


def test_artifacts_round_trip_through_skops_and_predict_the_same(tables: Any) -> None:
    graph = chain(dataset("species"), ("split", "split"), ("model", "model.hist_gradient_boosting"))
    path = tables("penguins")
    branch = execute(graph, {"ds": path}).branches[0]
    pipeline, info = artifacts.load(branch.artifact)
    assert info.classes == ["Adelie", "Chinstrap", "Gentoo"] == branch.classes
    assert info.features == [(f.name, f.dtype) for f in branch.features]
    assert info.library_versions["scikit-learn"]
    frame = Table.read(path).features([f.name for f in branch.features])
    rows = read_csv("penguins").drop("species").to_dicts()
    predicted = artifacts.predict(branch.artifact, rows)
    assert predicted.predictions == [info.classes[c] for c in pipeline.predict(frame)]
    np.testing.assert_allclose(predicted.probabilities, pipeline.predict_proba(frame), atol=1e-6)
    again = artifacts.dump(pipeline, info)
    assert artifacts.predict(again, rows) == predicted


def test_prediction_rows_that_do_not_fit_name_row_and_column(tables: Any) -> None:
    graph = chain(dataset("mpg", features=["weight", "origin"]), ("model", "model.linear_regression"))
    artifact = execute(graph, {"ds": tables("mpg")}).branches[0].artifact
    assert len(artifacts.predict(artifact, [{"weight": "3000", "origin": None}]).predictions) == 1
    with pytest.raises(PredictionError) as bad:
        artifacts.predict(artifact, [{"weight": 3000, "origin": "usa"}, {"weight": "heavy", "origin": "usa"}])
    assert (bad.value.row, bad.value.column) == (1, "weight")
    with pytest.raises(PredictionError) as missing:
        artifacts.predict(artifact, [{"weight": 3000}])
    assert missing.value.column == "origin"


def test_artifacts_with_untrusted_types_are_refused() -> None:
    rogue = sio.dumps({"format": artifacts.FORMAT, "pipeline": FunctionTransformer(os.getcwd), "info": {}})
    with pytest.raises(artifacts.ArtifactError, match="getcwd"):
        artifacts.load(rogue)
    with pytest.raises(artifacts.ArtifactError):
        artifacts.load(b"not a zip file")


@pytest.mark.parametrize(
    ("name", "target", "task", "metric", "floor"),
    [
        ("kc1", "Class", "binary", "roc_auc", 0.7),
        ("vehicle", "Class", "multiclass", "accuracy", 0.65),
        ("car", "class", "multiclass", "accuracy", 0.85),
        ("credit-g", "class", "binary", "roc_auc", 0.7),
        ("abalone", "Class_Rings", "regression", "r2", 0.4),
    ],
)
def test_tasks_on_shared_tables(tables: Any, name: str, target: str, task: str, metric: str, floor: float) -> None:
    graph = chain(dataset(target), ("split", "split"), ("model", "model.hist_gradient_boosting"), ("viz", "visualize"))
    branch = execute(graph, {"ds": tables(name, 1500)}).branches[0]
    assert branch.task == task
    assert branch.metrics[metric] > floor
    expected = {"regression": {"actual_vs_predicted", "residuals"}}.get(task, {"confusion_matrix", "roc_curve"})
    assert expected | {"feature_importance"} <= set(branch.plots)


def test_missing_targets_are_dropped_and_missing_features_filled(tables: Any, tmp_path: Path) -> None:
    frame = read_csv("mpg")
    holes = frame.with_columns(frame["mpg"].scatter([0, 1, 2], None))
    path = tmp_path / "holes.parquet"
    holes.write_parquet(path)
    events: list[Any] = []
    graph = chain(dataset("mpg"), ("model", "model.svm"))
    result = run(request(graph), {"ds": path}, events.append)
    logs = [e.message for e in events if isinstance(e, LogEvent)]
    assert any("dropped 3 rows" in m for m in logs)
    assert any("missing values" in m for m in logs)
    assert any("text column" in m for m in logs)
    assert any("refitted on every row" in m for m in logs)
    assert result.branches[0].metrics["rmse"] > 0


def error_of(graph: Graph, paths: dict[str, Path]) -> EngineError:
    with pytest.raises(EngineError) as caught:
        run(request(graph), paths)
    return caught.value


def test_errors_name_their_node(tables: Any, tmp_path: Path) -> None:
    titanic = {"ds": tables("titanic")}
    one_class = tmp_path / "one.parquet"
    read_csv("titanic").filter(survived=1).write_parquet(one_class)
    assert error_of(chain(dataset("survived"), ("m", "model.knn")), {"ds": one_class}).node_id == "data"
    vanished = chain(
        dataset("survived"),
        ("drop", "preprocess.drop_columns", {"columns": ["age"]}),
        ("scale", "preprocess.scale", {"columns": ["age"]}),
        ("m", "model.knn"),
    )
    failure = error_of(vanished, titanic)
    assert failure.node_id == "scale" and "age" in failure.message
    small = tmp_path / "small.parquet"
    read_csv("titanic", rows=30).write_parquet(small)
    folds = chain(dataset("survived"), ("split", "split", {"method": "kfold", "folds": 20}), ("m", "model.knn"))
    assert error_of(folds, {"ds": small}).node_id == "split"
    unknown = chain(dataset("survived"), ("odd", "preprocess.sparkle"), ("m", "model.knn"))
    assert error_of(unknown, titanic).node_id == "odd"
    assert error_of(chain(dataset("survived"), ("m", "model.knn")), {}).node_id == "data"
    assert error_of(chain(dataset("nope"), ("m", "model.knn")), titanic).node_id == "data"
    text_scale = chain(dataset("survived"), ("scale", "preprocess.scale", {"columns": ["sex"]}), ("m", "model.knn"))
    assert error_of(text_scale, titanic).node_id == "scale"


def test_non_convergence_is_a_warning_not_a_crash(tables: Any) -> None:
    events: list[Any] = []
    graph = chain(dataset("Class"), ("split", "split"), ("m", "model.mlp", {"max_iter": 10}))
    result = run(request(graph), {"ds": tables("phoneme", 600)}, events.append)
    assert result.branches[0].metrics["accuracy"] > 0.5
    assert any(isinstance(e, LogEvent) and e.level == "warning" and e.node_id == "m" for e in events)


def test_should_stop_cancels(tables: Any) -> None:
    graph = chain(dataset("survived"), ("m", "model.random_forest"))
    with pytest.raises(EngineCancelled):
        run(request(graph), {"ds": tables("titanic")}, should_stop=lambda: True)
