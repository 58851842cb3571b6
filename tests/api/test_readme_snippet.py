"""The README's snippet for a downloaded model, run word for word: plain skops loads the file and
the printed predictions are the class labels (not codes), the same the API predicts."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.api.conftest import TITANIC, WORKER_URL, User, titanic_graph

pytestmark = pytest.mark.skipif(WORKER_URL is not None, reason="the snippet loads the model with skops and pandas")

README = Path(__file__).resolve().parents[2] / "README.md"


def snippet() -> str:
    found = re.search(r"<!-- skops-snippet -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert found, "the README lost its skops snippet"
    code = found[1]
    assert len(code.strip().splitlines()) == 5
    return code


def test_the_model_page_shows_the_same_snippet() -> None:
    page = (README.parent / "frontend/src/components/SkopsSnippet.tsx").read_text()
    assert snippet().strip() in page


def test_the_readme_snippet_predicts_labels_from_a_downloaded_model(user: User, tmp_path: Path) -> None:
    dataset = user.upload()
    graph = titanic_graph(dataset["id"], model="model.logistic_regression")
    graph["nodes"][0]["params"] = {"dataset_id": dataset["id"], "target": "who", "task": "multiclass"}
    workflow = user.post("/api/workflows", json={"name": "Who", **graph}).json()
    run = user.wait_for_run(user.post(f"/api/workflows/{workflow['id']}/execute").json()["id"])
    assert run["status"] == "succeeded", run
    model_id = run["results"][0]["model_id"]
    (tmp_path / "model.skops").write_bytes(user.get(f"/api/models/{model_id}/download").content)
    rows = pl.read_csv(TITANIC).drop("who").head(12)
    rows.write_csv(tmp_path / "rows.csv")

    done = subprocess.run([sys.executable, "-c", snippet()], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = ast.literal_eval(done.stdout.strip())
    expected = user.post(f"/api/models/{model_id}/predict", json={"rows": rows.to_dicts()}).json()["predictions"]
    assert printed == expected
    assert set(printed) <= {"man", "woman", "child"} and len(set(printed)) >= 2
