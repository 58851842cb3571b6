"""The functions a pipeline step holds (`preprocess.transform`, `select_k_best`'s scores); module-level and
the project's own, so skops can persist them and `allowlist` trusts them by name."""

from __future__ import annotations

import numpy as np
from sklearn.feature_selection import f_classif, f_regression


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """log1p that keeps the sign, defined for negative values too."""
    return np.asarray(np.sign(x) * np.log1p(np.abs(x)))


def signed_sqrt(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.sign(x) * np.sqrt(np.abs(x)))


def anova_f(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`select_k_best`'s score for classification (ANOVA F); the project's own name, so artifacts trust it."""
    return f_classif(X, y)  # type: ignore[no-any-return]


def regression_f(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`select_k_best`'s score for regression (univariate linear F test)."""
    return f_regression(X, y)  # type: ignore[no-any-return]
