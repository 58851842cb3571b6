"""Shared tables as Parquet (as the API stores them) and graph builders for the engine tests."""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from automl_core.execution import ExecutionRequest
from automl_core.workflow import Edge, Graph, Node
from automl_worker import allowlist

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
if not DATASETS.is_dir():
    DATASETS = Path("/work/shared/datasets")


def read_csv(name: str, rows: int | None = None, seed: int = 0) -> pl.DataFrame:
    frame = pl.read_csv(
        DATASETS / f"{name}.csv", null_values=["?", "NA", ""], infer_schema_length=None, truncate_ragged_lines=True
    )
    if rows is not None and frame.height > rows:
        frame = frame.sample(rows, seed=seed)
    return frame


@pytest.fixture(scope="session")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """name -> Parquet path of a shared table (subsampled to `rows`), written once per session."""
    folder = tmp_path_factory.mktemp("parquet")
    made: dict[tuple[str, int | None], Path] = {}

    def get(name: str, rows: int | None = None) -> Path:
        if (name, rows) not in made:
            path = folder / f"{name}-{rows or 'all'}.parquet"
            read_csv(name, rows).write_parquet(path)
            made[name, rows] = path
        return made[name, rows]

    return get


def chain(*specs: tuple[str, str] | tuple[str, str, dict[str, Any]]) -> Graph:
    """A linear graph: each (id, type[, params]) feeds the next, edges listed in that order."""
    nodes = [Node(id=s[0], type=s[1], params=dict(s[2]) if len(s) > 2 else {}) for s in specs]  # type: ignore[misc]
    edges = [Edge(id=f"e{i}", source=a.id, target=b.id) for i, (a, b) in enumerate(itertools.pairwise(nodes))]
    return Graph(nodes=nodes, edges=edges)


def request(graph: Graph, seed: int = 0, **kwargs: Any) -> ExecutionRequest:
    return ExecutionRequest(run_id="run", workflow=graph, seed=seed, **kwargs)


def dataset(target: str | None, dataset_id: str = "ds", **params: Any) -> tuple[str, str, dict[str, Any]]:
    return ("data", "dataset", {"dataset_id": dataset_id, **({"target": target} if target else {}), **params})


def classes_in(artifact: bytes) -> set[str]:
    """The classes a file asks skops to build (the allowlist's own reading of the schema)."""
    schema = json.loads(zipfile.ZipFile(io.BytesIO(artifact)).read("schema.json"))
    built = allowlist._BUILDS_CLASS
    return {f"{n['__module__']}.{n['__class__']}" for n in allowlist._nodes(schema) if n["__loader__"] in built}
