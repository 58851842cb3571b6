"""README's plain-Python snippet loads a model file without this project and predicts what the API does."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from automl_core.models import check_rows
from automl_worker import allowlist, artifacts
from automl_worker.engine import run
from tests.no_project import GUARD

from .conftest import chain, dataset, read_csv, request

GENERIC = {"functools.partial", "numpy.dtype", "numpy.ndarray", "builtins.slice", "sklearn.utils._bunch.Bunch"}
"""Containers and value types skops names besides the engine's classes."""
README = Path(__file__).resolve().parents[2] / "README.md"


def snippet() -> str:
    text = README.read_text()
    found = re.search(r"<!-- skops-snippet-allowlist -->\s*```python\n(.*?)```", text, re.S)
    assert found, "README has lost its skops snippet"
    return found.group(1)


def test_the_readme_snippet_predicts_the_api_labels_without_importing_the_project(tables: Any, tmp_path: Path) -> None:
    graph = chain(dataset("survived"), ("impute", "preprocess.impute"), ("model", "model.random_forest"))
    branch = run(request(graph), {"ds": tables("titanic", 200)}).branches[0]
    model = tmp_path / "model.skops"
    model.write_bytes(branch.artifact)
    rows = read_csv("titanic").tail(25).drop("survived")
    rows.write_csv(tmp_path / "rows.csv")
    (tmp_path / "snippet.py").write_text(snippet())
    (tmp_path / "guard.py").write_text(GUARD)

    done = subprocess.run(
        [sys.executable, "guard.py", "snippet.py", "model.skops", "rows.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    clean, issues = check_rows(branch.features, rows.to_dicts())
    assert not issues
    assert ast.literal_eval(done.stdout.strip()) == artifacts.predict(branch.artifact, clean).predictions


def test_the_readme_trusts_the_engines_closed_list_and_nothing_of_this_project() -> None:
    listed = ast.literal_eval(re.search(r"TRUSTED = (\{.*?\n\})", snippet(), re.S).group(1))  # type: ignore[union-attr]
    engine = allowlist.CLASSES | allowlist.PARTIAL_FUNCTIONS | allowlist.TYPES
    assert engine <= listed
    assert listed - engine == GENERIC
