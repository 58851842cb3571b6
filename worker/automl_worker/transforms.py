"""Element-wise functions for `preprocess.transform`; module-level so skops can persist and trust them."""

from __future__ import annotations

import numpy as np


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """log1p that keeps the sign, defined for negative values too."""
    return np.sign(x) * np.log1p(np.abs(x))


def signed_sqrt(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.sqrt(np.abs(x))
