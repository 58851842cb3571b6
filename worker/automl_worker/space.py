"""The Gradio worker (a Hugging Face Space): the `execute`, `preview` and `predict` APIs the API calls, and a UI.

API (`api_name="execute"`), a generator so progress streams:
  inputs  request JSON (an ExecutionRequest, plus optional `"files": [dataset ids]` naming the
          uploaded files in order; without it a file named `<dataset id>.parquet` is matched by name,
          and a single file serves a single dataset), and the Parquet files.
  outputs an event JSON (automl_core.execution.encode_event: progress / log / trial, then one
          `completed` event whose branches carry no artifact bytes and whose `artifact_files` lists
          the node ids in the order of the returned files) and, with the final event, the skops files.
  errors  `gr.Error` whose message is a `failed` event JSON naming the node.

API (`api_name="predict"`):
  inputs  a prediction request JSON (automl_core.prediction.PredictRequest: the model's artifact
          SHA-256 and rows) and the model's skops file, or null to use the model this Space holds.
  outputs an answer JSON (PredictAnswer): the predictions, or a problem — `missing_artifact` asks
          the caller to send the file; rows that do not fit name their row and column.

API (`api_name="preview"`):
  inputs  a step preview request JSON (automl_core.previews.PreviewRequest, plus `"files": [dataset
          ids]` naming the uploaded Parquet files in order) and those files.
  outputs the outcome JSON: a `preview` (the table) or a `failed` naming the node.
API (`api_name="finish"`): input a run id; asks that run's engine, if it runs here, to finish now
(an AutoML search keeps its best model so far). Output: whether such a run was found.

`python -m automl_worker.space space-dist [DIR]` assembles a folder pushable to a Space as is.
"""

from __future__ import annotations

import argparse
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import msgspec

import automl_core
from automl_core.execution import (
    CompletedEvent,
    ExecutionRequest,
    ExecutionResult,
    FailedEvent,
    LogEvent,
    TrialEvent,
    decode_request,
    encode_event,
)
from automl_core.previews import PreviewFailure, PreviewRequest, encode_outcome
from automl_core.workflow import Edge, Graph, Node
from automl_worker import engine, serving
from automl_worker import preview as step_preview
from automl_worker.errors import EngineCancelled, EngineError

WORKER_DIR = Path(__file__).resolve().parents[1]
SCRATCH = Path(tempfile.gettempdir()) / "automl-worker"
SCRATCH_HOURS = 6
MODELS = serving.ModelCache(store=Path(tempfile.gettempdir()) / "automl-worker-models")
"""The models this Space predicts with, by artifact SHA-256; received files are kept on its disk too."""
_DONE = object()
_finishing: dict[str, threading.Event] = {}
"""run id -> the "finish now" flag of the engine running it in this process."""


def _scratch(prefix: str) -> Path:
    """A fresh folder for one call's files; folders older than SCRATCH_HOURS are removed on the way
    (Gradio serves our outputs from its own cache, so ours are only needed until it copied them)."""
    SCRATCH.mkdir(exist_ok=True)
    cutoff = time.time() - SCRATCH_HOURS * 3600
    for old in SCRATCH.iterdir():
        if old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH))


class _Envelope(msgspec.Struct):
    files: list[str] | None = None


def _failure(message: str, node_id: str | None = None) -> gr.Error:
    return gr.Error(encode_event(FailedEvent(message=message, node_id=node_id)).decode(), print_exception=False)


def dataset_paths(request: ExecutionRequest, files: Sequence[str], named: Sequence[str] | None) -> dict[str, Path]:
    """dataset id -> uploaded file, by the request's `files` list, by file name, or the only file."""
    paths = [Path(f) for f in files]
    if named is not None:
        if len(named) != len(paths):
            raise _failure(f"`files` names {len(named)} datasets but {len(paths)} files were uploaded")
        return dict(zip(named, paths, strict=True))
    wanted = [n.params.get("dataset_id") for n in request.workflow.nodes if n.type == "dataset"]
    by_name = {p.stem: p for p in paths}
    found = {d: by_name[d] for d in wanted if isinstance(d, str) and d in by_name}
    if not found and len(paths) == 1 and len(set(wanted)) == 1 and isinstance(wanted[0], str):
        found = {wanted[0]: paths[0]}
    return found


def execute(request_json: str, files: list[str] | None) -> Iterator[tuple[str, list[str] | None]]:
    try:
        request = decode_request(request_json)
        named = msgspec.json.decode(request_json, type=_Envelope).files
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _failure(f"not an execution request: {exc}") from None
    datasets = dataset_paths(request, files or [], named)
    events: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()
    finishing = _finishing[request.run_id] = threading.Event()

    def work() -> None:
        try:
            result = engine.run(request, datasets, events.put, stop.is_set, finishing.is_set)
            events.put(CompletedEvent(result=result))
        except EngineError as exc:
            events.put(FailedEvent(message=exc.message, node_id=exc.node_id))
        except EngineCancelled:
            events.put(FailedEvent(message="cancelled"))
        except Exception as exc:  # the client must hear about every failure, not a bare error
            events.put(FailedEvent(message=f"engine failure: {type(exc).__name__}: {exc}"))
        events.put(_DONE)

    threading.Thread(target=work, daemon=True, name=f"engine-{request.run_id}").start()
    try:
        while (event := events.get()) is not _DONE:
            if isinstance(event, FailedEvent):
                raise _failure(event.message, event.node_id)
            if isinstance(event, CompletedEvent):
                yield _completed(event, request.run_id)
            else:
                yield encode_event(event).decode(), None
    finally:
        stop.set()
        if _finishing.get(request.run_id) is finishing:
            del _finishing[request.run_id]


def finish(run_id: str) -> str:
    """Ask the run's engine to finish now; "true" if the run is running here."""
    flag = _finishing.get(run_id)
    if flag is not None:
        flag.set()
    return "true" if flag is not None else "false"


def preview(request_json: str, files: list[str] | None) -> str:
    """One step preview (`automl_core.previews`): the request names its uploaded files in `files`."""
    try:
        request = msgspec.json.decode(request_json, type=PreviewRequest)
        named = msgspec.json.decode(request_json, type=_Envelope).files or []
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return encode_outcome(PreviewFailure(message=f"not a preview request: {exc}")).decode()
    paths = [Path(f) for f in files or []]
    if len(named) != len(paths):
        return encode_outcome(
            PreviewFailure(message=f"`files` names {len(named)} datasets, {len(paths)} came")
        ).decode()
    return encode_outcome(step_preview.outcome(request, dict(zip(named, paths, strict=True)))).decode()


def predict(request_json: str, artifact: str | None) -> str:
    return MODELS.answer(request_json, Path(artifact) if artifact else None).decode()


def _completed(event: CompletedEvent, run_id: str) -> tuple[str, list[str]]:
    folder = _scratch(f"run-{run_id}-")
    files, names = [], []
    for i, branch in enumerate(event.result.branches):
        path = folder / f"{i}-{''.join(c if c.isalnum() or c in '-_' else '_' for c in branch.node_id)}.skops"
        path.write_bytes(branch.artifact)
        files.append(str(path))
        names.append(branch.node_id)
        branch.artifact = b""
    body = msgspec.to_builtins(event)
    body["artifact_files"] = names
    return msgspec.json.encode(body).decode(), files


def _columns(upload: str | None) -> Any:
    if not upload:
        return gr.update(choices=[], value=None)
    names = list(_read_upload(Path(upload)).columns)
    return gr.update(choices=names, value=names[-1])


def _read_upload(path: Path) -> Any:
    import pandas as pd

    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, sep=None, engine="python", na_values=["?", "NA", ""])


def _run_ui(upload: str | None, target: str | None, budget: float) -> Iterator[tuple[Any, Any, Any, str]]:
    """The human tab: one AutoML node on the uploaded table, hold-out metrics and the model file."""
    if not upload or not target:
        raise gr.Error("upload a table and pick the target column first")
    folder = _scratch("ui-")
    parquet = folder / "upload.parquet"
    _read_upload(Path(upload)).to_parquet(parquet, index=False)
    graph = Graph(
        nodes=[
            Node("data", "dataset", {"dataset_id": "upload", "target": target}),
            Node("split", "split", {}),
            Node("automl", "automl", {"time_budget_s": int(budget)}),
        ],
        edges=[Edge("e1", "data", "split"), Edge("e2", "split", "automl")],
    )
    lines: list[str] = []
    events: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            events.put(engine.run(ExecutionRequest(run_id="ui", workflow=graph), {"upload": parquet}, events.put))
        except EngineError as exc:
            events.put(exc)

    threading.Thread(target=work, daemon=True).start()
    while True:
        item = events.get()
        if isinstance(item, EngineError):
            raise gr.Error(str(item))
        if isinstance(item, LogEvent):
            lines.append(item.message)
        elif isinstance(item, TrialEvent):
            lines.append(f"{item.entry.algorithm}: {item.entry.score}")
        elif isinstance(item, ExecutionResult):
            branch = item.branches[0]
            model = folder / "model.skops"
            model.write_bytes(branch.artifact)
            board = [
                [e.algorithm, e.score, e.fit_seconds, msgspec.json.encode(e.params).decode()]
                for e in branch.leaderboard or []
            ]
            yield branch.metrics, board, str(model), "\n".join(lines)
            return
        yield None, None, None, "\n".join(lines[-30:])


def build_app() -> gr.Blocks:
    with gr.Blocks(title="AutoML worker", delete_cache=(3600, SCRATCH_HOURS * 3600)) as app:
        gr.Markdown("# AutoML worker\nUpload a table, pick the column to predict, and let AutoML search.")
        with gr.Tab("AutoML"):
            upload = gr.File(label="Table (CSV or Parquet)", file_types=[".csv", ".tsv", ".parquet"], type="filepath")
            target = gr.Dropdown(label="Target column", choices=[])
            budget = gr.Slider(5, 300, value=30, step=5, label="Time budget (seconds)")
            go = gr.Button("Run AutoML", variant="primary")
            metrics = gr.JSON(label="Hold-out metrics")
            board = gr.Dataframe(headers=["algorithm", "score", "fit_seconds", "params"], label="Leaderboard")
            model = gr.File(label="Model (skops)")
            log = gr.Textbox(label="Log", lines=8)
            upload.change(_columns, upload, target, api_visibility="private")
            go.click(
                _run_ui,
                [upload, target, budget],
                [metrics, board, model, log],
                api_visibility="private",
                concurrency_id="engine",
            )
        with gr.Tab("API"):
            gr.Markdown("Executors call `/gradio_api/call/execute`: see the module docstring of `automl_worker.space`.")
            request = gr.Textbox(label="Execution request (JSON)", lines=4)
            files = gr.File(label="Datasets (Parquet)", file_count="multiple", type="filepath")
            event = gr.Textbox(label="Event (JSON)")
            artifacts = gr.File(label="Artifacts (skops)", file_count="multiple")
            gr.Button("Execute").click(
                execute, [request, files], [event, artifacts], api_name="execute", concurrency_id="engine"
            )
            preview_request = gr.Textbox(label="Step preview request (JSON)", lines=4)
            preview_files = gr.File(label="Datasets for the preview (Parquet)", file_count="multiple", type="filepath")
            preview_answer = gr.Textbox(label="Step preview (JSON)")
            # Its own group too: a preview is answered while a run trains.
            gr.Button("Preview").click(
                preview,
                [preview_request, preview_files],
                preview_answer,
                api_name="preview",
                concurrency_id="preview",
                concurrency_limit=1,
            )
            predict_request = gr.Textbox(label="Prediction request (JSON)", lines=4)
            model_file = gr.File(label="Model (skops), only when the Space asks for it", type="filepath")
            answer = gr.Textbox(label="Predictions (JSON)")
            # Its own concurrency group: predictions never wait behind a training run.
            gr.Button("Predict").click(
                predict,
                [predict_request, model_file],
                answer,
                api_name="predict",
                concurrency_id="predict",
                concurrency_limit=2,
            )
            run_id = gr.Textbox(label="Run id", visible=False)
            found = gr.Textbox(label="Finishing", visible=False)
            # Its own queue without a limit: it must not wait behind the training it is about to end.
            gr.Button("Finish now", visible=False).click(
                finish, run_id, found, api_name="finish", concurrency_id="finish", concurrency_limit=None
            )
    queued: gr.Blocks = app.queue(default_concurrency_limit=1)
    return queued


def space_dist(out: Path) -> Path:
    """app.py, README (Space front matter), requirements, the worker package and the core contract types."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("app.py", "README.md", "requirements.txt"):
        shutil.copy2(WORKER_DIR / name, out / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(Path(__file__).resolve().parent, out / "automl_worker", ignore=ignore)
    shutil.copytree(Path(automl_core.__file__).resolve().parent, out / "automl_core", ignore=ignore)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m automl_worker.space")
    commands = parser.add_subparsers(dest="command", required=True)
    dist = commands.add_parser("space-dist", help="assemble a folder to push to a Hugging Face Space")
    dist.add_argument("out", nargs="?", default="space-dist", type=Path)
    args = parser.parse_args(argv)
    print(f"Space folder ready: {space_dist(args.out)}")


if __name__ == "__main__":
    main()
