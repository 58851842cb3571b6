"""`automl run`: train a workflow file on a local table from the terminal."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from entrypoints.cli import main
from tests.api.conftest import TITANIC, WORKER_URL, titanic_graph

pytestmark = pytest.mark.skipif(
    WORKER_URL is not None, reason="`automl run` trains in the terminal's process: it needs the worker extra"
)


def _run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    return int(exit_.value.code or 0)


def test_run_prints_metrics_and_saves_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workflow = tmp_path / "titanic.json"
    workflow.write_bytes(msgspec.json.encode({"name": "t", **titanic_graph("any-id")}))
    assert _run("run", str(workflow), "--data", str(TITANIC), "--out", str(tmp_path / "models")) == 0
    out = capsys.readouterr().out
    assert "891 rows" in out
    assert "accuracy" in out
    assert (tmp_path / "models" / "model.skops").stat().st_size > 100


def test_run_lists_the_workflows_issues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = titanic_graph("any-id")
    graph["nodes"][0]["params"]["target"] = "no_such_column"
    workflow = tmp_path / "bad.json"
    workflow.write_bytes(msgspec.json.encode(graph))
    assert _run("run", str(workflow), "--data", str(TITANIC)) == 1
    out = capsys.readouterr().out
    assert any(line.startswith("data: ") and "no_such_column" in line for line in out.splitlines()), out


def test_run_with_an_unreadable_workflow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("run", str(tmp_path / "missing.json"), "--data", str(TITANIC)) == 2
    out = "".join(capsys.readouterr().out.split())  # rich wraps long lines, even inside the path
    assert f"cannotread{tmp_path / 'missing.json'}" in out, out
