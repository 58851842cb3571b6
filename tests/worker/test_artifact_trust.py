"""Model files are trusted by an explicit, closed list of classes: hostile ones are refused unbuilt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from automl_core.catalog import CATALOG
from automl_worker import allowlist, artifacts

from .conftest import chain, dataset, read_csv, request
from .hostile_artifacts import HOSTILE


@pytest.fixture(scope="module")
def real(tables: Any) -> bytes:
    from automl_worker.engine import run

    graph = chain(dataset("mpg", features=["weight", "origin"]), ("model", "model.linear_regression"))
    return run(request(graph), {"ds": tables("mpg")}).branches[0].artifact


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_artifact_is_refused_before_anything_in_it_runs(case: str, real: bytes, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    data = HOSTILE[case](marker, real)
    with pytest.raises(artifacts.ArtifactError):
        artifacts.verify(data)
    with pytest.raises(artifacts.ArtifactError):
        artifacts.predict(data, [{"weight": 3000, "origin": "usa"}])
    assert not marker.exists()


def test_a_real_artifact_passes_and_predicts(real: bytes) -> None:
    artifacts.verify(real)
    rows = read_csv("mpg").select("weight", "origin").head(3).to_dicts()
    assert len(artifacts.predict(real, rows).predictions) == 3


def test_every_catalog_node_has_its_entry_in_the_allowlist() -> None:
    """A new model family (or preprocessing node) must say which classes its artifacts hold."""
    for type_name, spec in CATALOG.items():
        if spec.category == "model":
            assert type_name.removeprefix("model.") in allowlist.MODEL_CLASSES, type_name
        elif spec.category == "preprocess":
            assert type_name.removeprefix("preprocess.") in allowlist.PREPROCESS_CLASSES, type_name


def test_no_namespace_or_function_is_trusted_wholesale() -> None:
    assert all(name.count(".") >= 2 and not name.endswith(".") for name in allowlist.CLASSES)
    assert all(name.startswith("automl_worker.") for name in allowlist.FUNCTIONS)
