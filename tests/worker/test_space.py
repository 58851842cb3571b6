"""The real Gradio worker on loopback, called with the raw `/gradio_api` protocol as executors do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from automl_core.execution import CompletedEvent, FailedEvent, ProgressEvent, decode_event, encode_request
from automl_core.workflow import Node
from automl_worker.artifacts import predict
from automl_worker.space import _columns, _run_ui, build_app, dataset_paths, space_dist

from .conftest import chain, dataset, read_csv, request


@pytest.fixture(scope="module")
def worker() -> Iterator[str]:
    app = build_app()
    _, url, _ = app.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        yield url.rstrip("/")
    finally:
        app.close()


def upload(client: httpx.Client, base: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        response = client.post(f"{base}/gradio_api/upload", files={"files": (path.name, f)})
    response.raise_for_status()
    return {"path": response.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def call(client: httpx.Client, base: str, body: str, files: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """POST the call, then read its SSE stream to the end: [(event name, decoded data)]."""
    response = client.post(f"{base}/gradio_api/call/execute", json={"data": [body, files]})
    response.raise_for_status()
    event_id = response.json()["event_id"]
    events: list[tuple[str, Any]] = []
    name = ""
    with client.stream("GET", f"{base}/gradio_api/call/execute/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.removeprefix("data:").strip())))
                if name in ("complete", "error"):
                    break
    return events


def test_execute_streams_progress_then_completes_with_artifacts(worker: str, tmp_path: Path) -> None:
    path = tmp_path / "upload.parquet"
    read_csv("penguins").write_parquet(path)
    graph = chain(dataset("species", "penguins"), ("split", "split"), ("tree", "model.decision_tree"))
    body = msgspec.json.decode(encode_request(request(graph)))
    body["files"] = ["penguins"]
    with httpx.Client(timeout=120) as client:
        events = call(client, worker, json.dumps(body), [upload(client, worker, path)])
        names = [name for name, _ in events]
        assert names[-1] == "complete"
        progress = [decode_event(data[0]) for name, data in events if name == "generating"]
        assert any(isinstance(e, ProgressEvent) for e in progress)
        final_json, files = events[-1][1]
        final = decode_event(final_json)
        assert isinstance(final, CompletedEvent)
        assert json.loads(final_json)["artifact_files"] == ["tree"]
        assert final.result.branches[0].metrics["accuracy"] > 0.8
        artifact = client.get(files[0]["url"]).content
    rows = read_csv("penguins").drop("species").head(3).to_dicts()
    assert predict(artifact, rows).predictions == read_csv("penguins")["species"].head(3).to_list()


def test_a_bad_request_gets_an_error_event_naming_the_node(worker: str, tmp_path: Path) -> None:
    path = tmp_path / "ds.parquet"
    read_csv("penguins").write_parquet(path)
    graph = chain(dataset("species"), ("split", "split", {"method": "kfold", "folds": 20}), ("m", "model.knn"))
    tiny = tmp_path / "ds-small.parquet"
    read_csv("penguins", rows=12).write_parquet(tiny)
    with httpx.Client(timeout=60) as client:
        events = call(client, worker, encode_request(request(graph)).decode(), [upload(client, worker, tiny)])
    name, data = events[-1]
    assert name == "error"
    failure = decode_event(data["error"] if isinstance(data, dict) else data)
    assert isinstance(failure, FailedEvent)
    assert failure.node_id == "split"


def test_not_a_request_is_an_error_event(worker: str) -> None:
    with httpx.Client(timeout=30) as client:
        events = call(client, worker, "{not json", [])
    assert events[-1][0] == "error"


def test_space_dist_is_a_pushable_folder(tmp_path: Path) -> None:
    out = space_dist(tmp_path / "space")
    front = (out / "README.md").read_text().split("---")[1]
    assert "sdk: gradio" in front and "app_file: app.py" in front
    for part in ("app.py", "requirements.txt", "automl_worker/engine.py", "automl_core/execution.py"):
        assert (out / part).is_file(), part
    assert not list(out.rglob("__pycache__"))


def test_the_human_tab_runs_automl_on_a_csv(tmp_path: Path) -> None:
    csv = tmp_path / "penguins.csv"
    read_csv("penguins", rows=150).write_csv(csv)
    assert "species" in _columns(str(csv))["choices"]
    *_, (metrics, board, model, log) = _run_ui(str(csv), "species", 2)
    assert metrics["accuracy"] > 0.8
    assert board and Path(model).stat().st_size > 0
    assert "search" in log


def test_uploaded_files_map_to_datasets_by_list_by_name_or_alone() -> None:
    two = request(chain(dataset("y", "a"), ("m", "model.knn")))
    two.workflow.nodes.append(Node("other", "dataset", {"dataset_id": "b"}))
    assert dataset_paths(two, ["/u/x.parquet", "/u/y.parquet"], ["b", "a"]) == {
        "b": Path("/u/x.parquet"),
        "a": Path("/u/y.parquet"),
    }
    assert dataset_paths(two, ["/u/1/a.parquet", "/u/2/b.parquet"], None) == {
        "a": Path("/u/1/a.parquet"),
        "b": Path("/u/2/b.parquet"),
    }
    one = request(chain(dataset("y", "a"), ("m", "model.knn")))
    assert dataset_paths(one, ["/u/upload.parquet"], None) == {"a": Path("/u/upload.parquet")}
