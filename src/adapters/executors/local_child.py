"""What runs inside a local job process: one engine call, its events sent back over a pipe.

The process is forked from multiprocessing's fork server, which imported the engine once, so a job
starts in milliseconds instead of paying Python's start-up and scikit-learn's import each time. It
makes itself a process-group leader (cancel kills the group, helpers included; the parent's memory
watch sums the group's resident memory), tells the engine its memory limit to plan with, and exits
when its lifeline pipe closes: the API that started it is gone, and a job nobody can follow must not
run on.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import msgspec

from automl_core.execution import (
    CompletedEvent,
    ExecutionEvent,
    ExecutionRequest,
    FailedEvent,
    encode_event,
    failure_event,
)

MEMORY_ENV = "AUTOML_JOB_MEMORY_MB"
FINISH = b"finish"
"""What the API writes on the lifeline to ask the engine to finish now."""


class JobInput(msgspec.Struct):
    request: ExecutionRequest
    datasets: dict[str, str]


def load_engine(spec: str) -> Callable[..., object]:
    module, _, name = spec.partition(":")
    engine: Callable[..., object] = getattr(importlib.import_module(module), name or "run")
    return engine


def limit_memory(megabytes: int) -> None:
    """RLIMIT_DATA, not RLIMIT_AS: the address space counts what numeric libraries merely reserve
    (malloc arenas, OpenBLAS buffers per thread), so under an AS cap of 1 GB OpenBLAS fails to start
    its threads and spins; DATA counts the memory a job actually writes to and fails it cleanly with
    a MemoryError (Linux >= 4.7 includes private anonymous mappings, where numpy arrays live)."""
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def exit_when_orphaned(lifeline: Connection, finish: threading.Event | None = None) -> None:
    """The API holds the other end for as long as it follows the job: a FINISH frame asks the engine
    to finish now; EOF means the API died or let go, and a job nobody follows exits."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            if lifeline.recv_bytes() == FINISH and finish is not None:
                finish.set()
    os._exit(3)


def main(engine_spec: str, memory_mb: int | None, payload: bytes, events: Connection, lifeline: Connection) -> None:
    os.setsid()
    finish = threading.Event()
    threading.Thread(target=exit_when_orphaned, args=(lifeline, finish), daemon=True).start()
    lock = threading.Lock()

    def send(event: ExecutionEvent) -> None:
        with lock:
            events.send_bytes(encode_event(event))

    if memory_mb:
        # The parent enforces the limit on resident memory (memory_watch); the engine plans with it.
        os.environ[MEMORY_ENV] = str(memory_mb)
    try:
        engine = load_engine(engine_spec)
    except Exception as exc:
        limit = f" (memory limit {memory_mb} MB)" if memory_mb else ""
        send(FailedEvent(message=f"the engine could not be loaded{limit}: {type(exc).__name__}: {exc}"))
        return
    job = msgspec.json.decode(payload, type=JobInput)
    datasets = {ident: Path(p) for ident, p in job.datasets.items()}
    try:
        # Cancel kills this process, so `should_stop` never has to say yes.
        result = engine(job.request, datasets, send, lambda: False, finish.is_set)
    except MemoryError:
        send(FailedEvent(message=f"the job ran out of memory (limit {memory_mb} MB)"))
    except Exception as exc:
        send(failure_event(exc))
    else:
        send(CompletedEvent(result=result))  # type: ignore[arg-type]
