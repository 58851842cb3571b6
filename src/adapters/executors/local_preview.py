"""What runs inside a local preview process: one step preview, its outcome sent back over a pipe.

Like a training job (see `local_child`), a preview is forked from the fork server with the engine
preloaded, leads its own process group, takes the memory limit and exits when the API lets go.
"""

from __future__ import annotations

import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path

import msgspec

from adapters.executors.local_child import exit_when_orphaned, limit_memory, load_engine
from automl_core.previews import PreviewFailure, PreviewRequest, encode_outcome

DEFAULT_PREVIEWER = "automl_worker.preview:outcome"


class PreviewInput(msgspec.Struct):
    request: PreviewRequest
    datasets: dict[str, str]


def main(previewer_spec: str, memory_mb: int | None, payload: bytes, out: Connection, lifeline: Connection) -> None:
    os.setsid()
    threading.Thread(target=exit_when_orphaned, args=(lifeline,), daemon=True).start()
    if memory_mb:
        limit_memory(memory_mb)
    job = msgspec.json.decode(payload, type=PreviewInput)
    try:
        previewer = load_engine(previewer_spec)
        outcome = previewer(job.request, {ident: Path(p) for ident, p in job.datasets.items()})
    except MemoryError:
        outcome = PreviewFailure(message=f"the preview ran out of memory (limit {memory_mb} MB)")
    except Exception as exc:
        outcome = PreviewFailure(message=f"the preview failed: {type(exc).__name__}: {exc}")
    out.send_bytes(encode_outcome(outcome))  # type: ignore[arg-type]


def payload_of(request: PreviewRequest, datasets: dict[str, Path]) -> bytes:
    return msgspec.json.encode(PreviewInput(request=request, datasets={k: str(v) for k, v in datasets.items()}))
