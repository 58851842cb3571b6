"""Exported Python scripts print the metrics the engine computed, for workflows covering every node type.

Each script runs in a subprocess that cannot import this project, on the CSV the engine's Parquet
was written from.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from automl_core.catalog import CATALOG
from automl_core.export import LIBRARY_MODELS, python_script
from automl_core.workflow import Edge, Graph, Node
from automl_worker.data import Table
from automl_worker.engine import run
from tests.no_project import GUARD

from .conftest import chain, dataset, read_csv, request
from .test_engine import MODELS, clustering, every_step

SEED = 7
SKLEARN = {task: [f for f in families if f"model.{f}" not in LIBRARY_MODELS] for task, families in MODELS.items()}


def side_by_side(target: str, families: list[str]) -> Graph:
    """Hold-out split, a scaler, one branch per family, each with an evaluate node."""
    nodes = [
        Node("data", "dataset", {"dataset_id": "ds", "target": target}),
        Node("scale", "preprocess.scale", {"method": "minmax"}),
        Node("split", "split", {"test_size": 0.3, "seed": 3}),
    ]
    edges = [Edge("e1", "data", "scale"), Edge("e2", "scale", "split")]
    for family in families:
        nodes += [
            Node(family, f"model.{family}", {"max_iter": 300} if family == "mlp" else {}),
            Node(f"ev-{family}", "evaluate"),
        ]
        edges += [Edge(f"e-{family}", "split", family), Edge(f"ev-{family}", family, f"ev-{family}")]
    return Graph(nodes=nodes, edges=edges)


CASES = {
    "every_step": ("titanic", 400, every_step),
    "binary_families": ("titanic", 200, lambda: side_by_side("survived", SKLEARN["binary"])),
    "regression_families": ("mpg", 200, lambda: side_by_side("mpg", SKLEARN["regression"])),
    "clustering": ("penguins", None, clustering),
    "no_split_multiclass": ("penguins", None, lambda: chain(dataset("species"), ("tree", "model.decision_tree"))),
}


def printed(script: str, csv: Path, folder: Path) -> dict[tuple[str, str], float]:
    (folder / "workflow.py").write_text(script)
    (folder / "guard.py").write_text(GUARD)
    done = subprocess.run(
        [sys.executable, "guard.py", "workflow.py", str(csv)], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = {}
    for line in done.stdout.splitlines():
        node, metric, value = line.split("\t")
        found[node, metric] = float(value)
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_the_exported_script_prints_the_engines_metrics(case: str, tmp_path: Path) -> None:
    name, rows, build = CASES[case]
    frame = read_csv(name, rows)
    csv, parquet = tmp_path / f"{name}.csv", tmp_path / f"{name}.parquet"
    frame.write_csv(csv)
    frame.write_parquet(parquet)
    graph = build()
    result = run(request(graph, seed=SEED), {"ds": parquet})
    script = python_script(case, graph, {"ds": Table.read(parquet).dtypes}, SEED)
    assert "automl_" not in script.replace("AutoML platform", "")
    got = printed(script, csv, tmp_path)
    expected = {(b.node_id, m): v for b in result.branches for m, v in b.metrics.items()}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-6), key


def test_the_cases_cover_every_catalog_node_type_but_those_not_exported_yet() -> None:
    covered = {n.type for _, _, build in CASES.values() for n in build().nodes}
    assert covered == set(CATALOG) - {"automl"} - LIBRARY_MODELS


def test_library_models_are_refused_with_the_reason() -> None:
    from automl_core.errors import Conflict

    graph = chain(dataset("survived"), ("lgbm", "model.lightgbm"))
    with pytest.raises(Conflict, match="LightGBM"):
        python_script("w", graph, {"ds": {"survived": "integer"}}, 0)


def test_automl_nodes_are_refused_with_the_reason() -> None:
    from automl_core.errors import Conflict

    graph = chain(dataset("survived"), ("auto", "automl"))
    with pytest.raises(Conflict, match="AutoML"):
        python_script("w", graph, {"ds": {"survived": "integer"}}, 0)
