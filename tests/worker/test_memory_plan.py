"""AutoML plans its final fit for the memory limit: models whose size grows with the rows are scaled."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from automl_core.execution import LogEvent
from automl_worker import memory
from automl_worker.engine import run

from .conftest import chain, dataset, request


def test_a_forests_measured_size_grows_with_its_rows() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8000, 5))
    y = (X[:, 0] + rng.normal(size=len(X)) > 0).astype(int)
    small = memory.model_bytes(RandomForestClassifier(20, random_state=0).fit(X[:4000], y[:4000]))
    large = memory.model_bytes(RandomForestClassifier(20, random_state=0).fit(X, y))
    assert 1.6 < large / small < 2.4


def test_a_refit_that_would_pass_the_memory_limit_runs_on_fewer_rows(
    tables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A limit leaving ~20 MB: a 200-tree forest on every row would not fit, so it sees fewer of them."""
    monkeypatch.setenv(memory.LIMIT_ENV, str(int((memory.resident_bytes() / 2**20 + 20) / memory.HEADROOM)))
    events: list[Any] = []
    automl = ("auto", "automl", {"time_budget_s": 6, "families": ["random_forest"], "ensemble": False})
    branch = run(
        request(chain(dataset("income"), ("split", "split"), automl)), {"ds": tables("adult", 8000)}, events.append
    )
    said = [e.message for e in events if isinstance(e, LogEvent)]
    assert any("MB are free under the memory limit" in m for m in said), said
    assert branch.branches[0].metrics["roc_auc"] > 0.8
