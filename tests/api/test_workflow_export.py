"""Export as Python over HTTP: the script the API serves, run on the uploaded CSV, prints the run's metrics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import TITANIC, WORKER_URL, Trained, User
from tests.no_project import GUARD


@pytest.mark.skipif(WORKER_URL is not None, reason="running the script needs pandas and scikit-learn")
def test_the_exported_script_reproduces_the_runs_metrics(trained: Trained, tmp_path: Path) -> None:
    response = trained.owner.get(
        f"/api/workflows/{trained.workflow['id']}/export?format=python&seed={trained.run['seed']}"
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-python")
    assert response.headers["content-disposition"] == 'attachment; filename="titanic.py"'
    (tmp_path / "workflow.py").write_text(response.text)
    (tmp_path / "guard.py").write_text(GUARD)
    done = subprocess.run(
        [sys.executable, "guard.py", "workflow.py", str(TITANIC)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    printed = {}
    for line in done.stdout.splitlines():
        node, metric, value = line.split("\t")
        printed[node, metric] = float(value)
    expected = {(r["node_id"], k): v for r in trained.run["results"] for k, v in r["metrics"].items()}
    assert printed.keys() == expected.keys()
    for key, value in expected.items():
        assert printed[key] == pytest.approx(value, abs=1e-6), key


def test_export_is_owner_only_and_refuses_what_it_cannot_write(trained: Trained, other_user: User, user: User) -> None:
    assert other_user.get(f"/api/workflows/{trained.workflow['id']}/export?format=python").status_code == 404
    assert trained.owner.get(f"/api/workflows/{trained.workflow['id']}/export?format=notebook").status_code == 422
    dataset = user.upload()
    nodes = [
        {"id": "data", "type": "dataset", "params": {"dataset_id": dataset["id"], "target": "survived"}},
        {"id": "auto", "type": "automl", "params": {}},
    ]
    nodes = [{**n, "position": {"x": 0.0, "y": 0.0}} for n in nodes]
    edges = [{"id": "e", "source": "data", "target": "auto"}]
    workflow = user.post("/api/workflows", json={"name": "Auto", "nodes": nodes, "edges": edges}).json()
    refused = user.get(f"/api/workflows/{workflow['id']}/export?format=python")
    assert refused.status_code == 409
    assert "AutoML" in refused.json()["detail"]
