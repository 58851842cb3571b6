"""What a model artifact may hold: the classes the engine writes, per catalog node, and nothing else.

A skops file names every object it rebuilds (module, class, and the skops loader that rebuilds it).
`audit` reads that schema and the zip's members before anything is imported or built, and refuses a
file that names a class, function or type not listed here, or that carries members the schema does
not use. No namespace is trusted as a whole: scikit-learn itself ships functions that run Python code.

The lists are per catalog node, so a new family adds its classes in one place: its entry in
`MODEL_CLASSES` (keyed by the name after `model.`; LightGBM/XGBoost/CatBoost families add theirs
there too), or `PREPROCESS_CLASSES` for a preprocessing node. `tests/worker/test_artifact_trust.py`
trains every catalog family and fails for one whose artifact holds a class its entry lacks, and for a
catalog family with no entry at all.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

from automl_core.catalog import CATALOG


class UntrustedArtifact(ValueError):
    """The file is not a skops artifact this engine could have written."""


_PIPELINE = "sklearn.pipeline.Pipeline"
_COLUMNS = "sklearn.compose._column_transformer.ColumnTransformer"
_PASSTHROUGH = "sklearn.preprocessing._function_transformer.FunctionTransformer"
"""ColumnTransformer's `remainder="passthrough"` (func None), and `preprocess.transform`'s own functions."""
_IMPUTER = "sklearn.impute._base.SimpleImputer"
_ONE_HOT = "sklearn.preprocessing._encoders.OneHotEncoder"
_ORDINAL = "sklearn.preprocessing._encoders.OrdinalEncoder"
_STANDARD = "sklearn.preprocessing._data.StandardScaler"
_QUANTILE = "sklearn.preprocessing._data.QuantileTransformer"
_LABEL_BINARIZER = "sklearn.preprocessing._label.LabelBinarizer"
_LABEL_ENCODER = "sklearn.preprocessing._label.LabelEncoder"
_TREE = "sklearn.tree._tree.Tree"
_HGB_INTERNALS = (
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    _LABEL_ENCODER,
    _ORDINAL,  # native categorical features: the model's own fitted preprocessor
    _COLUMNS,
    _PASSTHROUGH,
)
_KNN_INTERNALS = (
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
)

MODEL_CLASSES: dict[str, tuple[str, ...]] = {
    "logistic_regression": ("sklearn.linear_model._logistic.LogisticRegression",),
    "linear_regression": ("sklearn.linear_model._base.LinearRegression",),
    "ridge": ("sklearn.linear_model._ridge.Ridge", "sklearn.linear_model._ridge.RidgeClassifier", _LABEL_BINARIZER),
    "lasso": ("sklearn.linear_model._coordinate_descent.Lasso",),
    "decision_tree": (
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._classes.DecisionTreeRegressor",
        _TREE,
    ),
    "random_forest": (
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.ensemble._forest.RandomForestRegressor",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._classes.DecisionTreeRegressor",
        _TREE,
    ),
    "extra_trees": (
        "sklearn.ensemble._forest.ExtraTreesClassifier",
        "sklearn.ensemble._forest.ExtraTreesRegressor",
        "sklearn.tree._classes.ExtraTreeClassifier",
        "sklearn.tree._classes.ExtraTreeRegressor",
        _TREE,
    ),
    "hist_gradient_boosting": (
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
        *_HGB_INTERNALS,
    ),
    "svm": ("sklearn.svm._classes.SVC", "sklearn.svm._classes.SVR"),
    "knn": (
        "sklearn.neighbors._classification.KNeighborsClassifier",
        "sklearn.neighbors._regression.KNeighborsRegressor",
        *_KNN_INTERNALS,
    ),
    "naive_bayes": ("sklearn.naive_bayes.GaussianNB",),
    "mlp": (
        "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
        "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        _LABEL_BINARIZER,
    ),
    "kmeans": ("sklearn.cluster._kmeans.KMeans",),
    # Found with skops.io.get_untrusted_types on trained models; each booster is a model string or
    # bytes the library parses itself (no Python objects inside).
    "lightgbm": (
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "lightgbm.basic.Booster",
        _LABEL_ENCODER,
    ),
    "xgboost": ("xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor", "xgboost.core.Booster"),
    "catboost": ("catboost.core.CatBoostClassifier", "catboost.core.CatBoostRegressor"),
}
"""Per model family: the estimator classes it fits and the fitted internals they hold."""

PREPROCESS_CLASSES: dict[str, tuple[str, ...]] = {
    "impute": (_IMPUTER, _COLUMNS),
    "scale": (
        _STANDARD,
        "sklearn.preprocessing._data.MinMaxScaler",
        "sklearn.preprocessing._data.RobustScaler",
        "sklearn.preprocessing._data.MaxAbsScaler",
        _COLUMNS,
    ),
    "one_hot": (_ONE_HOT, _COLUMNS),
    "ordinal": (_ORDINAL, _COLUMNS),
    "drop_columns": (_COLUMNS,),
    "transform": ("sklearn.preprocessing._data.PowerTransformer", _QUANTILE, _PASSTHROUGH, _STANDARD, _COLUMNS),
    "polynomial": ("sklearn.preprocessing._polynomial.PolynomialFeatures", _IMPUTER, _PIPELINE, _COLUMNS),
    "select_k_best": ("sklearn.feature_selection._univariate_selection.SelectKBest",),
    "pca": ("sklearn.decomposition._pca.PCA",),
    "remove_duplicates": (),
    "remove_outliers": (),
}
"""Per preprocessing node (the name after `preprocess.`): the fitted steps it adds to a pipeline."""

AUTOML_CLASSES: tuple[str, ...] = (
    "sklearn.ensemble._voting.VotingClassifier",
    "sklearn.ensemble._voting.VotingRegressor",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    _LABEL_ENCODER,
)
"""The AutoML node's own wrappers (ensembles, calibration) around the families it searches."""

ALWAYS_CLASSES: tuple[str, ...] = (
    _PIPELINE,
    _COLUMNS,
    _PASSTHROUGH,
    _IMPUTER,
    _ONE_HOT,
    _ORDINAL,
    _STANDARD,
    _QUANTILE,
    "numpy.random.mtrand.RandomState",
    "numpy.random._generator.Generator",
)
"""What every pipeline may hold: its frame, the encoding and imputation the engine adds unasked."""

FUNCTIONS = frozenset(
    {
        "automl_worker.transforms.signed_log1p",
        "automl_worker.transforms.signed_sqrt",
        "automl_worker.transforms.anova_f",
        "automl_worker.transforms.regression_f",
    }
)
"""The only functions a file may name: the project's own, element-wise and side-effect free."""

PARTIAL_FUNCTIONS = frozenset({"sklearn.utils.validation.check_array"})
"""The one partial a fitted model builds for itself: HistGradientBoosting's preprocessor for native
categorical features checks its numeric columns with `partial(check_array, dtype=..., ...)`, which
only validates an array. A partial of anything else (or of a function taking a callable) is refused."""

_SCALARS = ("bool", "int", "float", "str")
TYPES = frozenset(
    {f"builtins.{t}" for t in _SCALARS}
    | {
        f"numpy.{t}"
        for t in (
            "bool_",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "float32",
            "float64",
            "str_",
            "object_",
        )
    }
)
"""Types a file may name as values (a dtype, a dict's key type); a type is never called with file data."""

_CONTAINERS = {
    # LightGBM keeps its validation scores in defaultdict(OrderedDict): plain mappings of numbers.
    "DictNode": frozenset({"builtins.dict", "sklearn.utils._bunch.Bunch", "collections.OrderedDict"}),
    "DefaultDictNode": frozenset({"collections.defaultdict"}),
    # XGBoost's booster and CatBoost's model: each library's own binary model format.
    "BytearrayNode": frozenset({"builtins.bytearray"}),
    "BytesNode": frozenset({"builtins.bytes"}),
    "ListNode": frozenset({"builtins.list"}),
    "TupleNode": frozenset({"builtins.tuple"}),
    "SliceNode": frozenset({"builtins.slice"}),
    "JsonNode": frozenset({f"builtins.{t}" for t in (*_SCALARS, "NoneType")}),
    "DTypeNode": frozenset({"numpy.dtype"}),
    "NdArrayNode": frozenset({"numpy.ndarray"} | {t for t in TYPES if t.startswith("numpy.")}),
    "TypeNode": TYPES | {"collections.OrderedDict"},  # that defaultdict's factory, called with no arguments
}
_BUILDS_CLASS = frozenset({"ObjectNode", "TreeNode", "LossNode", "RandomStateNode", "RandomGeneratorNode"})
"""skops loaders that build an instance of the class named (so the class must be listed)."""
MAX_UNCOMPRESSED = 2 * 1024**3
"""A trained pipeline is at most a few hundred MB unpacked; more is a zip bomb."""


def _trusted_classes() -> frozenset[str]:
    """Every class some catalog node can put in an artifact (nodes without an entry add none)."""
    names: set[str] = set(ALWAYS_CLASSES)
    for type_name, spec in CATALOG.items():
        if spec.category == "model":
            names.update(MODEL_CLASSES.get(type_name.removeprefix("model."), ()))
        elif spec.category == "preprocess":
            names.update(PREPROCESS_CLASSES.get(type_name.removeprefix("preprocess."), ()))
        elif type_name == "automl":
            names.update(AUTOML_CLASSES)
    return frozenset(names)


CLASSES = _trusted_classes()


def _nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every skops node in a schema, depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _refusal(node: Mapping[str, Any], partial_funcs: set[int]) -> str | None:
    """Why this node may not be built, or None; notes the function of a trusted partial in `partial_funcs`."""
    loader = node.get("__loader__")
    name = f"{node.get('__module__')}.{node.get('__class__')}"
    if loader in _CONTAINERS:
        return None if name in _CONTAINERS[loader] else name
    if loader in _BUILDS_CLASS:
        return None if name in CLASSES else name
    if loader == "FunctionNode":
        return None if name in FUNCTIONS or id(node) in partial_funcs else f"function {name}"
    if loader == "PartialNode":
        func = (node.get("content") or {}).get("func") or {}
        wrapped = f"{func.get('__module__')}.{func.get('__class__')}"
        if name == "functools.partial" and func.get("__loader__") == "FunctionNode" and wrapped in PARTIAL_FUNCTIONS:
            partial_funcs.add(id(func))
            return None
        return f"partial of {wrapped}"
    return f"{name} (rebuilt by {loader})"


def audit(data: bytes) -> None:
    """Refuse (UntrustedArtifact) a file naming anything off these lists or carrying extra members."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
            raise UntrustedArtifact("the artifact unpacks to more than any model this engine writes")
        schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as exc:
        if isinstance(exc, UntrustedArtifact):
            raise
        raise UntrustedArtifact(f"not a readable skops artifact: {exc}") from None
    refused: set[str] = set()
    files: set[str] = set()
    partial_funcs: set[int] = set()
    for node in _nodes(schema):  # a partial comes before the function it wraps
        reason = _refusal(node, partial_funcs)
        if reason is not None:
            refused.add(reason)
        if isinstance(node.get("file"), str):
            files.add(node["file"])
    if refused:
        raise UntrustedArtifact(f"the artifact holds what this engine never writes: {', '.join(sorted(refused))}")
    extra = {m.filename for m in members} - files - {"schema.json"}
    if extra:
        raise UntrustedArtifact(f"the artifact carries files its schema does not use: {', '.join(sorted(extra))}")
