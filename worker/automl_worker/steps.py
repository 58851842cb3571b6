"""One scikit-learn step per catalog node, plus the encoding and imputation the user did not draw.

Steps are built against the table they will be fitted on (the training rows at that point of the
branch), so `columns: []` resolves to the columns that fit and a vanished column is caught by name.
Every transformer keeps pandas output, so later steps can still address columns by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.feature_selection import SelectKBest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl_core.catalog import CATALOG, task_family
from automl_core.workflow import Node
from automl_worker import boosting
from automl_worker.boosting import LIBRARY_FAMILIES
from automl_worker.errors import EngineError
from automl_worker.transforms import anova_f, regression_f, signed_log1p, signed_sqrt

AUTO_MAX_CATEGORIES = 20
NAN_NATIVE = frozenset({"hist_gradient_boosting", *LIBRARY_FAMILIES})
"""Families that take missing values as they are; every other one gets an imputer in front."""
ROW_FILTERS = frozenset({"preprocess.remove_duplicates", "preprocess.remove_outliers"})
WHOLE_TABLE = frozenset({"preprocess.select_k_best", "preprocess.pca"})
"""Steps that read every column as a number, so categoricals must be encoded before them."""


def numeric_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]


def params_of(node: Node) -> dict[str, Any]:
    """The node's params over the catalog defaults."""
    spec = CATALOG.get(node.type)
    if spec is None:
        raise EngineError(f"unknown node type {node.type!r}", node.id)
    return {**spec.defaults(), **{k: v for k, v in node.params.items() if v is not None}}


def _pandas(step: Any) -> Any:
    return step.set_output(transform="pandas")


def on_columns(name: str, transformer: Any, columns: Sequence[str]) -> ColumnTransformer:
    return _pandas(
        ColumnTransformer(
            [(name, transformer, list(columns))], remainder="passthrough", verbose_feature_names_out=False
        )
    )


def _chosen(node: Node, X: pd.DataFrame, fitting: Sequence[str], what: str) -> list[str]:
    """The node's `columns`, checked against the table; empty means every column in `fitting`."""
    asked = [c for c in node.params.get("columns") or [] if isinstance(c, str)]
    if not asked:
        return list(fitting)
    missing = [c for c in asked if c not in X.columns]
    if missing:
        raise EngineError(
            f"column `{missing[0]}` is not in the data at this step (dropped or transformed upstream)", node.id
        )
    wrong = [c for c in asked if c not in fitting]
    if wrong:
        raise EngineError(f"column `{wrong[0]}` is not {what}", node.id)
    return asked


def transformer_for(node: Node, X: pd.DataFrame, task: str) -> Any | None:
    """The fitted-on-training-rows step for a preprocessing node; None when it has nothing to act on."""
    p = params_of(node)
    kind = node.type.removeprefix("preprocess.")
    numeric, categorical = numeric_columns(X), categorical_columns(X)
    if kind == "impute":
        strategy = p["strategy"]
        if strategy in ("mean", "median"):
            cols = _chosen(node, X, numeric, "numeric (mean/median need numbers)")
            return (
                on_columns(node.id, SimpleImputer(strategy=strategy, keep_empty_features=True), cols) if cols else None
            )
        cols = _chosen(node, X, list(X.columns), "a column")
        parts = []
        num = [c for c in cols if c in numeric]
        cat = [c for c in cols if c not in numeric]
        fill = str(p["fill_value"])
        if num:
            parts.append(("num", _imputer(strategy, _number(fill, node)), num))
        if cat:
            parts.append(("cat", _imputer(strategy, fill or "missing"), cat))
        if not parts:
            return None
        return _pandas(ColumnTransformer(parts, remainder="passthrough", verbose_feature_names_out=False))
    if kind == "scale":
        cols = _chosen(node, X, numeric, "numeric")
        scaler = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler, "maxabs": MaxAbsScaler}
        return on_columns(node.id, scaler[p["method"]](), cols) if cols else None
    if kind in ("one_hot", "ordinal"):
        cols = _chosen(node, X, list(X.columns), "a column")
        if not node.params.get("columns"):
            cols = categorical
        if not cols:
            return None
        encoder = (
            OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=p["max_categories"], sparse_output=False)
            if kind == "one_hot"
            else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        )
        return on_columns(node.id, encoder, cols)
    if kind == "drop_columns":
        cols = _chosen(node, X, list(X.columns), "a column")
        if len(cols) >= X.shape[1]:
            raise EngineError("dropping these columns leaves no features", node.id)
        return on_columns(node.id, "drop", cols)
    if kind == "transform":
        cols = _chosen(node, X, numeric, "numeric")
        if not cols:
            return None
        method = p["method"]
        if method == "yeo-johnson":
            step: Any = PowerTransformer(standardize=False)
        elif method == "quantile":
            step = QuantileTransformer(n_quantiles=min(1000, len(X)), output_distribution="normal")
        else:
            func = signed_log1p if method == "log1p" else signed_sqrt
            step = FunctionTransformer(func, feature_names_out="one-to-one")
        return on_columns(node.id, step, cols)
    if kind == "polynomial":
        cols = _chosen(node, X, numeric, "numeric")
        poly = PolynomialFeatures(degree=p["degree"], interaction_only=p["interaction_only"], include_bias=False)
        # Products of missing values stay missing, which PolynomialFeatures refuses: fill them first.
        filled = Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("poly", poly)])
        return on_columns(node.id, filled, cols) if cols else None
    if kind == "select_k_best":
        if task_family(task) == "clustering":
            raise EngineError("select k best ranks features against a target; clustering has none", node.id)
        score = anova_f if task_family(task) == "classification" else regression_f
        return _pandas(SelectKBest(score, k=min(int(p["k"]), X.shape[1])))
    if kind == "pca":
        limit = min(X.shape)
        n = p["n_components"]
        return _pandas(PCA(n_components=min(int(n), limit) if n else float(p["variance"]), random_state=0))
    raise EngineError(f"node type {node.type!r} has no engine step", node.id)


def _imputer(strategy: str, fill: Any) -> SimpleImputer:
    return SimpleImputer(strategy=strategy, fill_value=fill, keep_empty_features=True)


def _number(text: str, node: Node) -> float:
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        raise EngineError(f"fill value {text!r} is not a number, but the columns are numeric", node.id) from None


def row_mask(node: Node, X: pd.DataFrame, y: np.ndarray | None) -> np.ndarray:
    """Training rows a row filter keeps."""
    if node.type == "preprocess.remove_duplicates":
        frame = X if y is None else X.assign(__target__=y)
        return np.asarray(~frame.duplicated().to_numpy())
    p = params_of(node)
    cols = _chosen(node, X, numeric_columns(X), "numeric")
    values = X[cols].to_numpy(dtype=np.float64)
    if p["method"] == "iqr":
        q1, q3 = np.nanpercentile(values, [25, 75], axis=0)
        spread = (q3 - q1) * p["threshold"]
        inside = (values >= q1 - spread) & (values <= q3 + spread)
    else:
        std = np.nanstd(values, axis=0)
        std[std == 0] = 1.0
        inside = np.abs(values - np.nanmean(values, axis=0)) / std <= p["threshold"]
    return np.asarray(np.all(inside | np.isnan(values), axis=1))


@dataclass(frozen=True)
class Prep:
    """How to turn a table into the all-numeric matrix an estimator or whole-table step needs."""

    impute: bool = True
    encoding: str = "onehot"
    """onehot, ordinal, native (ordinal codes an estimator treats as categories, missing kept), or codes
    (integer codes, missing and unseen as -1, for CatBoost). Native and codes columns come first."""
    scale: str = "none"


def auto_prep(X: pd.DataFrame, prep: Prep) -> tuple[Any | None, list[str]]:
    """One step that encodes text columns and fills (and maybe scales) numbers; also the encoded names."""
    numeric, categorical = numeric_columns(X), categorical_columns(X)
    parts: list[tuple[str, Any, list[str]]] = []
    if categorical:
        if prep.encoding == "onehot":
            encoder: Any = OneHotEncoder(
                handle_unknown="infrequent_if_exist", max_categories=AUTO_MAX_CATEGORIES, sparse_output=False
            )
        elif prep.encoding == "native":
            encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=250)
        elif prep.encoding == "codes":
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                encoded_missing_value=-1,
                max_categories=250,
                dtype=np.int64,
            )
        else:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1, max_categories=250
            )
        parts.append(("encode", encoder, categorical))
    numeric_steps: list[tuple[str, Any]] = []
    if prep.impute:
        numeric_steps.append(("impute", SimpleImputer(strategy="median", keep_empty_features=True)))
    if prep.scale == "standard":
        numeric_steps.append(("scale", StandardScaler()))
    elif prep.scale == "quantile":
        numeric_steps.append(
            ("scale", QuantileTransformer(n_quantiles=min(1000, len(X)), output_distribution="normal"))
        )
    if numeric and numeric_steps:
        parts.append(("numeric", Pipeline(numeric_steps), numeric))
    if not parts:
        return None, []
    step = _pandas(ColumnTransformer(parts, remainder="passthrough", verbose_feature_names_out=False))
    return step, categorical if prep.encoding in ("native", "codes") else []


def estimator(
    family: str, params: dict[str, Any], task: str, seed: int, n_jobs: int, n_columns: int = 0
) -> BaseEstimator:
    """A scikit-learn estimator from catalog-named params (AutoML adds a few of its own).

    `params["categorical_features"]` names the leading native category columns of `n_columns` inputs."""
    classify = task_family(task) == "classification"
    p = params
    if family in LIBRARY_FAMILIES:
        native = len(p.get("categorical_features") or [])
        return boosting.estimator(family, p, classify, seed, native, n_columns)
    if family == "kmeans":
        return KMeans(n_clusters=p["n_clusters"], random_state=p.get("seed", seed), n_init="auto")
    if family == "logistic_regression":
        weight = None if p.get("class_weight", "none") == "none" else "balanced"
        return LogisticRegression(C=p["C"], max_iter=p["max_iter"], class_weight=weight)
    if family == "linear_regression":
        return LinearRegression(fit_intercept=p["fit_intercept"])
    if family == "ridge":
        return RidgeClassifier(alpha=p["alpha"]) if classify else Ridge(alpha=p["alpha"])
    if family == "lasso":
        return Lasso(alpha=p["alpha"], max_iter=p["max_iter"])
    if family == "decision_tree":
        cls = DecisionTreeClassifier if classify else DecisionTreeRegressor
        return cls(max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"], random_state=p.get("seed", seed))
    if family in ("random_forest", "extra_trees"):
        forest = {
            ("random_forest", True): RandomForestClassifier,
            ("random_forest", False): RandomForestRegressor,
            ("extra_trees", True): ExtraTreesClassifier,
            ("extra_trees", False): ExtraTreesRegressor,
        }[family, classify]
        features = p.get("max_features", "auto")
        if features == "auto":
            features = "sqrt" if classify else 1.0
        elif features == "all":
            features = 1.0
        return forest(
            n_estimators=p["n_estimators"],
            max_depth=p["max_depth"],
            min_samples_leaf=p["min_samples_leaf"],
            max_features=features,
            random_state=p.get("seed", seed),
            n_jobs=n_jobs,
        )
    if family == "hist_gradient_boosting":
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return cls(
            learning_rate=p["learning_rate"],
            max_iter=p["max_iter"],
            max_leaf_nodes=p["max_leaf_nodes"],
            l2_regularization=p["l2_regularization"],
            min_samples_leaf=p.get("min_samples_leaf", 20),
            max_features=p.get("max_features", 1.0),
            early_stopping=p.get("early_stopping", "auto"),
            categorical_features=p.get("categorical_features", "from_dtype"),
            random_state=p.get("seed", seed),
        )
    if family == "svm":
        if classify:
            return SVC(
                C=p["C"],
                kernel=p["kernel"],
                gamma=p["gamma"],
                probability=p.get("probability", False),
                random_state=seed,
            )
        return SVR(C=p["C"], kernel=p["kernel"], gamma=p["gamma"])
    if family == "knn":
        cls = KNeighborsClassifier if classify else KNeighborsRegressor
        return cls(n_neighbors=p["n_neighbors"], weights=p["weights"], n_jobs=n_jobs)
    if family == "naive_bayes":
        return GaussianNB(var_smoothing=p["var_smoothing"])
    if family == "mlp":
        cls = MLPClassifier if classify else MLPRegressor
        return cls(
            hidden_layer_sizes=(p["hidden_units"],) * p["layers"],
            alpha=p["alpha"],
            max_iter=p["max_iter"],
            early_stopping=p.get("early_stopping", False),
            random_state=p.get("seed", seed),
        )
    raise ValueError(f"no estimator for {family!r}")
