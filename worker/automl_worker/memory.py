"""How much memory a final fit may take, and how much a fitted model holds, so AutoML plans within the limit.

The job's limit (AUTOML_JOB_MEMORY_MB, set by the local executor; else the memory the machine has
free) is enforced outside the engine on resident memory; the engine plans to stay under it: a model
whose size grows with the rows (forests store a leaf per few rows, k-NN and SVM store the rows
themselves) is measured after its trial and scaled to the refit's rows.
"""

from __future__ import annotations

import os
from typing import Any

LIMIT_ENV = "AUTOML_JOB_MEMORY_MB"
HEADROOM = 0.8
"""Plan to this share of the limit: the watchdog samples, allocators fragment, predictions need room."""
COPIES = 3
"""The refit holds the rows a few times over: the slice, the encoded frame, the estimator's own array."""
NODE_BYTES = 64
"""One node of a scikit-learn tree (its struct), before the per-node values."""


def limit_bytes() -> int:
    """The job's memory limit, or the memory this machine has available when there is none."""
    mb = os.environ.get(LIMIT_ENV, "")
    if mb.isdigit() and int(mb) > 0:
        return int(mb) * 1024 * 1024
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def resident_bytes() -> int:
    """This process's resident memory now."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def room_bytes() -> int:
    """What a further fit may still take before the plan's share of the limit is used."""
    return max(int(limit_bytes() * HEADROOM) - resident_bytes(), 0)


def data_bytes(rows: int, columns: int) -> int:
    """The refit's copies of `rows` rows of `columns` numeric columns."""
    return rows * columns * 8 * COPIES


def model_bytes(model: Any) -> int:
    """Bytes a fitted pipeline's estimator holds that grow with its training rows (0 when they don't)."""
    head = model.steps[-1][1] if hasattr(model, "steps") else model
    trees = getattr(head, "estimators_", None)
    if trees is not None and hasattr(trees, "__len__") and len(trees) and hasattr(trees[0], "tree_"):
        return sum(t.tree_.node_count * (NODE_BYTES + t.tree_.value[0].nbytes) for t in trees)
    for stored in ("_fit_X", "support_vectors_"):
        array = getattr(head, stored, None)
        if array is not None and hasattr(array, "nbytes"):
            return int(array.nbytes)
    return 0
