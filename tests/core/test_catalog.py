import msgspec

from automl_core.catalog import CATALOG, NODE_TYPES

REQUIRED = {
    "dataset",
    "split",
    "automl",
    "evaluate",
    "visualize",
    *(
        f"preprocess.{n}"
        for n in [
            "impute",
            "scale",
            "one_hot",
            "ordinal",
            "drop_columns",
            "remove_duplicates",
            "remove_outliers",
            "transform",
            "polynomial",
            "select_k_best",
            "pca",
        ]
    ),
    # The design's model families (docs/architecture.md), written out here rather than read from the
    # catalog, so a family dropped from it turns this red.
    *(
        f"model.{n}"
        for n in [
            "linear_regression",
            "logistic_regression",
            "ridge",
            "lasso",
            "decision_tree",
            "random_forest",
            "extra_trees",
            "hist_gradient_boosting",
            "svm",
            "knn",
            "naive_bayes",
            "mlp",
            "kmeans",
        ]
    ),
}


def test_catalog_covers_the_design():
    assert set(CATALOG) >= REQUIRED
    assert len(CATALOG) == len(NODE_TYPES)


def test_every_param_default_is_valid_for_its_own_schema():
    from automl_core.validation import _param_problem

    for spec in NODE_TYPES:
        for p in spec.params:
            if not p.required:
                assert _param_problem(p, p.default) is None, (spec.type, p.name)
            if p.choices and p.type == "choice":
                assert p.default in p.choices


def test_catalog_serialises_for_the_api():
    decoded = msgspec.json.decode(msgspec.json.encode(list(NODE_TYPES)))
    model = next(d for d in decoded if d["type"] == "model.random_forest")
    assert model["inputs"][0]["kind"] == "data" and model["outputs"][0]["kind"] == "model"
    assert {p["name"] for p in model["params"]} >= {"n_estimators", "max_depth"}


def test_every_choice_has_a_plain_label():
    from automl_core.catalog import CHOICE_LABELS, METRIC_LABELS, metrics_for

    for spec in NODE_TYPES:
        for p in spec.params:
            for choice in p.choices or ():
                assert choice in CHOICE_LABELS, (spec.type, p.name, choice)
    for task in ("binary", "regression", "clustering"):
        assert set(metrics_for(task)) <= set(METRIC_LABELS)
    assert CHOICE_LABELS["roc_curve"] == "ROC curve" and CHOICE_LABELS["balanced_accuracy"] == "Balanced accuracy"
