"""The node catalog: one source of truth for the palette, the parameter forms, validation and the engine.

Adding a node type is one entry here plus its step in the worker engine.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

PortKind = Literal["data", "model", "evaluation"]
ParamType = Literal["int", "float", "bool", "string", "choice", "multichoice", "column", "columns", "dataset"]
Task = Literal["binary", "multiclass", "regression", "clustering"]
TaskFamily = Literal["classification", "regression", "clustering"]

TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression", "clustering")
DATASET_TASKS = ("auto", *TASKS)


def task_family(task: str) -> TaskFamily:
    if task in ("binary", "multiclass"):
        return "classification"
    if task == "regression":
        return "regression"
    return "clustering"


class Port(msgspec.Struct, frozen=True):
    """A handle on a node. `accepts` lists the kinds an input takes; an output has one kind.

    `multiple`: the input takes several edges (Evaluate and Visualize compare several models).
    """

    name: str
    kind: PortKind
    label: str = ""
    accepts: tuple[PortKind, ...] = ()
    multiple: bool = False

    def takes(self, kind: str) -> bool:
        return kind in (self.accepts or (self.kind,))


class Param(msgspec.Struct, frozen=True, omit_defaults=True):
    name: str
    type: ParamType
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    help: str = ""


class NodeType(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    category: str
    label: str
    description: str
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    params: tuple[Param, ...] = ()
    tasks: tuple[TaskFamily, ...] | None = None
    """For trainable nodes: the task families the node can learn."""

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


DATA_IN = (Port("data", "data", "Data"),)
DATA_OUT = (Port("data", "data", "Data"),)
MODEL_OUT = (Port("model", "model", "Model"),)

COLUMNS = Param("columns", "columns", [], help="Columns to apply to; empty means every column that fits.")


def _preprocess(name: str, label: str, description: str, *params: Param) -> NodeType:
    return NodeType(f"preprocess.{name}", "preprocess", label, description, DATA_IN, DATA_OUT, params)


SUPERVISED: tuple[TaskFamily, ...] = ("classification", "regression")
CLASSIFICATION: tuple[TaskFamily, ...] = ("classification",)
REGRESSION: tuple[TaskFamily, ...] = ("regression",)

MAX_DEPTH = Param("max_depth", "int", None, min=1, max=200, help="Maximum tree depth; empty for unlimited.")
MIN_LEAF = Param("min_samples_leaf", "int", 1, min=1, max=10_000, help="Minimum rows in a leaf.")
SEED = Param("seed", "int", 42, min=0, max=2**31 - 1, help="Random seed, for reproducible results.")


def _model(name: str, label: str, description: str, tasks: tuple[TaskFamily, ...], *params: Param) -> NodeType:
    return NodeType(f"model.{name}", "model", label, description, DATA_IN, MODEL_OUT, params, tasks)


MODEL_FAMILIES: tuple[str, ...] = (
    "logistic_regression",
    "linear_regression",
    "ridge",
    "lasso",
    "decision_tree",
    "random_forest",
    "extra_trees",
    "hist_gradient_boosting",
    "lightgbm",
    "xgboost",
    "catboost",
    "svm",
    "knn",
    "naive_bayes",
    "mlp",
)

CLASSIFICATION_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "f1_weighted",
    "roc_auc",
    "log_loss",
)
REGRESSION_METRICS = ("rmse", "mae", "r2", "mape")
CLUSTERING_METRICS = ("silhouette", "davies_bouldin", "calinski_harabasz")
PLOTS = (
    "confusion_matrix",
    "roc_curve",
    "pr_curve",
    "calibration",
    "feature_importance",
    "actual_vs_predicted",
    "residuals",
    "learning_curve",
    "cluster_sizes",
)

NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        "dataset",
        "data",
        "Dataset",
        "An uploaded table, its target column and the learning task.",
        (),
        DATA_OUT,
        (
            Param("dataset_id", "dataset", None, required=True, help="The uploaded table to learn from."),
            Param("target", "column", None, help="The column to predict; empty for clustering."),
            Param(
                "task",
                "choice",
                "auto",
                choices=DATASET_TASKS,
                help="What to learn; auto infers binary, multiclass or regression from the target.",
            ),
            Param("features", "columns", [], help="Feature columns; empty means every column but the target."),
        ),
    ),
    _preprocess(
        "impute",
        "Impute missing values",
        "Fill missing cells, learning the fill value from training rows.",
        Param("strategy", "choice", "median", choices=("mean", "median", "most_frequent", "constant")),
        Param("fill_value", "string", "", help="The value used by the constant strategy."),
        COLUMNS,
    ),
    _preprocess(
        "scale",
        "Scale",
        "Rescale numeric columns.",
        Param("method", "choice", "standard", choices=("standard", "minmax", "robust", "maxabs")),
        COLUMNS,
    ),
    _preprocess(
        "one_hot",
        "One-hot encode",
        "One indicator column per category; unseen categories become all zeros.",
        Param("max_categories", "int", 20, min=2, max=1000, help="Rarer categories are grouped."),
        COLUMNS,
    ),
    _preprocess(
        "ordinal",
        "Ordinal encode",
        "Map each category to an integer; unseen categories become -1.",
        COLUMNS,
    ),
    _preprocess(
        "drop_columns",
        "Drop columns",
        "Remove columns from the features.",
        Param("columns", "columns", [], required=True, help="Columns to drop."),
    ),
    _preprocess(
        "remove_duplicates",
        "Remove duplicate rows",
        "Drop repeated training rows (test rows are never removed).",
    ),
    _preprocess(
        "remove_outliers",
        "Remove outliers",
        "Drop training rows with extreme numeric values (test rows are never removed).",
        Param("method", "choice", "iqr", choices=("iqr", "zscore")),
        Param("threshold", "float", 1.5, min=0.1, max=100.0, help="IQR multiplier or z-score cut-off."),
        COLUMNS,
    ),
    _preprocess(
        "transform",
        "Transform",
        "Apply a monotone transform to numeric columns to tame skew.",
        Param("method", "choice", "yeo-johnson", choices=("log1p", "sqrt", "yeo-johnson", "quantile")),
        COLUMNS,
    ),
    _preprocess(
        "polynomial",
        "Polynomial features",
        "Add products and powers of numeric columns.",
        Param("degree", "int", 2, min=2, max=4),
        Param("interaction_only", "bool", False),
        COLUMNS,
    ),
    _preprocess(
        "select_k_best",
        "Select k best",
        "Keep the k features most associated with the target (univariate test).",
        Param("k", "int", 10, required=True, min=1, max=100_000),
    ),
    _preprocess(
        "pca",
        "PCA",
        "Project numeric features onto their principal components.",
        Param(
            "n_components",
            "int",
            None,
            min=1,
            max=10_000,
            help="Number of components; empty to use variance.",
        ),
        Param("variance", "float", 0.95, min=0.01, max=1.0, help="Share of variance to keep."),
    ),
    NodeType(
        "split",
        "split",
        "Split",
        "Hold out test rows, or cross-validate with k folds.",
        DATA_IN,
        DATA_OUT,
        (
            Param("method", "choice", "holdout", choices=("holdout", "kfold")),
            Param("test_size", "float", 0.25, min=0.05, max=0.9, help="Share of rows held out (hold-out)."),
            Param("folds", "int", 5, min=2, max=20, help="Number of folds (k-fold)."),
            Param("stratify", "bool", True, help="Keep class proportions (classification)."),
            Param("shuffle", "bool", True),
            SEED,
        ),
    ),
    _model(
        "logistic_regression",
        "Logistic regression",
        "A linear classifier; fast, calibrated, a strong baseline.",
        CLASSIFICATION,
        Param("C", "float", 1.0, min=1e-6, max=1e6, help="Inverse regularisation strength."),
        Param("max_iter", "int", 1000, min=10, max=100_000),
        Param("class_weight", "choice", "none", choices=("none", "balanced")),
    ),
    _model(
        "linear_regression",
        "Linear regression",
        "Ordinary least squares.",
        REGRESSION,
        Param("fit_intercept", "bool", True),
    ),
    _model(
        "ridge",
        "Ridge",
        "Linear model with L2 regularisation (classifier or regressor).",
        SUPERVISED,
        Param("alpha", "float", 1.0, min=0.0, max=1e6),
    ),
    _model(
        "lasso",
        "Lasso",
        "Linear regression with L1 regularisation (sparse coefficients).",
        REGRESSION,
        Param("alpha", "float", 1.0, min=1e-8, max=1e6),
        Param("max_iter", "int", 1000, min=10, max=100_000),
    ),
    _model(
        "decision_tree",
        "Decision tree",
        "A single tree; easy to read, prone to overfit.",
        SUPERVISED,
        MAX_DEPTH,
        MIN_LEAF,
        SEED,
    ),
    _model(
        "random_forest",
        "Random forest",
        "Bagged trees; robust defaults on most tables.",
        SUPERVISED,
        Param("n_estimators", "int", 100, min=1, max=5000),
        MAX_DEPTH,
        MIN_LEAF,
        Param("max_features", "choice", "auto", choices=("auto", "sqrt", "log2", "all")),
        SEED,
    ),
    _model(
        "extra_trees",
        "Extra trees",
        "Extremely randomised trees.",
        SUPERVISED,
        Param("n_estimators", "int", 100, min=1, max=5000),
        MAX_DEPTH,
        MIN_LEAF,
        SEED,
    ),
    _model(
        "hist_gradient_boosting",
        "Gradient boosting",
        "Histogram gradient boosting; handles missing values natively.",
        SUPERVISED,
        Param("learning_rate", "float", 0.1, min=1e-4, max=1.0),
        Param("max_iter", "int", 100, min=1, max=10_000),
        Param("max_leaf_nodes", "int", 31, min=2, max=4096),
        Param("l2_regularization", "float", 0.0, min=0.0, max=1e4),
        SEED,
    ),
    _model(
        "lightgbm",
        "LightGBM",
        "Leaf-wise gradient boosting (LightGBM); fast on big tables, takes categories and missing values as they are.",
        SUPERVISED,
        Param("n_estimators", "int", 100, min=1, max=10_000, help="Boosting rounds."),
        Param("learning_rate", "float", 0.1, min=1e-4, max=1.0),
        Param("num_leaves", "int", 31, min=2, max=4096, help="Leaves per tree."),
        Param("min_child_samples", "int", 20, min=1, max=10_000, help="Minimum rows in a leaf."),
        Param("reg_lambda", "float", 0.0, min=0.0, max=1e4, help="L2 regularisation."),
        Param("colsample_bytree", "float", 1.0, min=0.01, max=1.0, help="Share of columns each tree sees."),
        SEED,
    ),
    _model(
        "xgboost",
        "XGBoost",
        "Depth-wise gradient boosting (XGBoost); categories and missing values handled natively.",
        SUPERVISED,
        Param("n_estimators", "int", 100, min=1, max=10_000, help="Boosting rounds."),
        Param("learning_rate", "float", 0.3, min=1e-4, max=1.0),
        Param("max_depth", "int", 6, min=1, max=30),
        Param("min_child_weight", "float", 1.0, min=0.0, max=1e4),
        Param("subsample", "float", 1.0, min=0.01, max=1.0, help="Share of rows each tree sees."),
        Param("colsample_bytree", "float", 1.0, min=0.01, max=1.0, help="Share of columns each tree sees."),
        Param("reg_lambda", "float", 1.0, min=0.0, max=1e4, help="L2 regularisation."),
        SEED,
    ),
    _model(
        "catboost",
        "CatBoost",
        "Gradient boosting on symmetric trees (CatBoost); strong with text categories, little tuning.",
        SUPERVISED,
        Param("iterations", "int", 500, min=1, max=10_000, help="Boosting rounds."),
        Param("learning_rate", "float", 0.08, min=1e-4, max=1.0),
        Param("depth", "int", 6, min=1, max=16),
        Param("l2_leaf_reg", "float", 3.0, min=0.0, max=1e4, help="L2 regularisation."),
        SEED,
    ),
    _model(
        "svm",
        "Support vector machine",
        "Kernel SVM; best on small, scaled tables.",
        SUPERVISED,
        Param("C", "float", 1.0, min=1e-6, max=1e6),
        Param("kernel", "choice", "rbf", choices=("rbf", "linear", "poly", "sigmoid")),
        Param("gamma", "choice", "scale", choices=("scale", "auto")),
    ),
    _model(
        "knn",
        "k nearest neighbours",
        "Predicts from the closest training rows.",
        SUPERVISED,
        Param("n_neighbors", "int", 5, min=1, max=1000),
        Param("weights", "choice", "uniform", choices=("uniform", "distance")),
    ),
    _model(
        "naive_bayes",
        "Naive Bayes",
        "Gaussian naive Bayes.",
        CLASSIFICATION,
        Param("var_smoothing", "float", 1e-9, min=0.0, max=1.0),
    ),
    _model(
        "mlp",
        "Neural network (MLP)",
        "A multi-layer perceptron.",
        SUPERVISED,
        Param("hidden_units", "int", 100, min=1, max=4096, help="Units per hidden layer."),
        Param("layers", "int", 1, min=1, max=10, help="Number of hidden layers."),
        Param("alpha", "float", 1e-4, min=0.0, max=10.0, help="L2 penalty."),
        Param("max_iter", "int", 200, min=10, max=10_000),
        SEED,
    ),
    _model(
        "kmeans",
        "k-means",
        "Groups rows into k clusters (no target).",
        ("clustering",),
        Param("n_clusters", "int", 3, min=2, max=1000),
        SEED,
    ),
    NodeType(
        "automl",
        "automl",
        "AutoML",
        "Searches preprocessing and model families within a time budget, then ensembles the best.",
        DATA_IN,
        MODEL_OUT,
        (
            Param(
                "time_budget_s",
                "int",
                60,
                required=True,
                min=1,
                max=86_400,
                help="Wall-clock seconds for the whole step: search, final fit, evaluation and plots.",
            ),
            Param(
                "metric",
                "choice",
                "auto",
                choices=("auto", *CLASSIFICATION_METRICS, *REGRESSION_METRICS),
                help="auto: ROC AUC (binary), log loss (multiclass), RMSE (regression).",
            ),
            Param(
                "families",
                "multichoice",
                [],
                choices=MODEL_FAMILIES,
                help="Model families to search; empty means every family that fits the task.",
            ),
            Param(
                "max_trials",
                "int",
                None,
                min=1,
                max=100_000,
                help="Stop after this many trials: with a budget that does not run out first, the same seed "
                "gives the same search (a search bounded by time can differ between runs).",
            ),
            Param("ensemble", "bool", True, help="Finish with greedy ensemble selection."),
            SEED,
        ),
        SUPERVISED,
    ),
    NodeType(
        "evaluate",
        "evaluate",
        "Evaluate",
        "Scores a trained model on held-out rows (or across folds).",
        (Port("model", "model", "Models", multiple=True),),
        (Port("evaluation", "evaluation", "Evaluation"),),
        (
            Param(
                "metrics",
                "multichoice",
                [],
                choices=CLASSIFICATION_METRICS + REGRESSION_METRICS + CLUSTERING_METRICS,
                help="Metrics to report; empty means every metric that fits the task.",
            ),
        ),
    ),
    NodeType(
        "visualize",
        "visualize",
        "Visualize",
        "Plots of models' behaviour: confusion matrix, curves, importances, residuals; several models overlay.",
        (Port("input", "evaluation", "Evaluations or models", ("evaluation", "model"), multiple=True),),
        (),
        (
            Param(
                "plots",
                "multichoice",
                [],
                choices=PLOTS,
                help="Plots to draw; empty means the usual plots for the task.",
            ),
        ),
    ),
)

CATALOG: dict[str, NodeType] = {t.type: t for t in NODE_TYPES}

METRIC_LABELS: dict[str, str] = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "precision_macro": "Precision (macro)",
    "recall_macro": "Recall (macro)",
    "f1_macro": "F1 (macro)",
    "f1_weighted": "F1 (weighted)",
    "roc_auc": "ROC AUC",
    "log_loss": "Log loss",
    "rmse": "RMSE",
    "mae": "Mean absolute error",
    "r2": "R²",
    "mape": "Mean absolute % error",
    "silhouette": "Silhouette",
    "davies_bouldin": "Davies-Bouldin index",
    "calinski_harabasz": "Calinski-Harabasz index",
}
"""How people name each metric; the UI shows these, never the keys."""

CHOICE_LABELS: dict[str, str] = {
    **METRIC_LABELS,
    **{name: CATALOG[f"model.{name}"].label for name in MODEL_FAMILIES},
    "confusion_matrix": "Confusion matrix",
    "roc_curve": "ROC curve",
    "pr_curve": "Precision-recall curve",
    "calibration": "Calibration curve",
    "feature_importance": "Feature importance",
    "actual_vs_predicted": "Actual vs predicted",
    "residuals": "Residuals",
    "learning_curve": "Learning curve",
    "cluster_sizes": "Cluster sizes",
    "auto": "Automatic",
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "regression": "Regression",
    "clustering": "Clustering",
    "mean": "Mean",
    "median": "Median",
    "most_frequent": "Most frequent value",
    "constant": "A constant",
    "standard": "Standardise (mean 0, sd 1)",
    "minmax": "Min-max to [0, 1]",
    "robust": "Robust (median, IQR)",
    "maxabs": "Max absolute to [-1, 1]",
    "iqr": "Interquartile range",
    "zscore": "z-score",
    "log1p": "log(1 + x)",
    "sqrt": "Square root",
    "yeo-johnson": "Yeo-Johnson",
    "quantile": "Quantile (to normal)",
    "holdout": "Hold-out test rows",
    "kfold": "k-fold cross-validation",
    "none": "None",
    "balanced": "Balanced",
    "log2": "log₂ of the features",
    "all": "All features",
    "rbf": "RBF",
    "linear": "Linear",
    "poly": "Polynomial",
    "sigmoid": "Sigmoid",
    "scale": "Scale",
    "uniform": "Uniform",
    "distance": "By distance",
}
"""A label for every choice a parameter offers (checked by a test), so forms speak plainly."""


def choice_label(value: str) -> str:
    return CHOICE_LABELS.get(value, value.replace("_", " ").capitalize())


def node_type(type_name: str) -> NodeType | None:
    return CATALOG.get(type_name)


def default_metric(task: str) -> str:
    """The AutoML benchmark's defaults."""
    return {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}.get(task, "silhouette")


METRICS_BY_FAMILY: dict[TaskFamily, tuple[str, ...]] = {
    "classification": CLASSIFICATION_METRICS,
    "regression": REGRESSION_METRICS,
    "clustering": CLUSTERING_METRICS,
}
PLOTS_BY_FAMILY: dict[TaskFamily, tuple[str, ...]] = {
    "classification": (
        "confusion_matrix",
        "roc_curve",
        "pr_curve",
        "calibration",
        "feature_importance",
        "learning_curve",
    ),
    "regression": ("feature_importance", "actual_vs_predicted", "residuals", "learning_curve"),
    "clustering": ("cluster_sizes",),
}
"""The plots that make sense for each task family."""
DEFAULT_PLOTS: dict[TaskFamily, tuple[str, ...]] = {
    "classification": ("confusion_matrix", "roc_curve", "pr_curve", "calibration", "feature_importance"),
    "regression": ("actual_vs_predicted", "residuals", "feature_importance"),
    "clustering": ("cluster_sizes",),
}
"""What a Visualize step that names no plots draws."""
TASK_LABELS = {
    "binary": "binary classification",
    "multiclass": "multiclass classification",
    "regression": "regression",
    "clustering": "clustering",
}


def metrics_for(task: str) -> tuple[str, ...]:
    return METRICS_BY_FAMILY[task_family(task)]
