"""Misbehaving engines for the local executor's process tests; imported in the job process by name."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from adapters.memory.executor import fabricated_result
from automl_core.execution import ExecutionEvent, ExecutionRequest, ExecutionResult, ProgressEvent

Emit = Callable[[ExecutionEvent], None]


def chatty(
    request: ExecutionRequest, datasets: Mapping[str, Path], on_event: Emit, should_stop: object, finish: object
) -> ExecutionResult:
    """Prints to stdout (which must not corrupt the event stream) and reports the pid it ran in."""
    print("hello from the engine " * 1000)
    sys.stdout.flush()
    on_event(ProgressEvent(fraction=0.5, message=f"pid {os.getpid()}"))
    return fabricated_result(request)


def crash(
    request: ExecutionRequest, datasets: Mapping[str, Path], on_event: Emit, should_stop: object, finish: object
) -> ExecutionResult:
    on_event(ProgressEvent(fraction=0.1, message="about to crash"))
    print("segfault coming", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def hog(
    request: ExecutionRequest, datasets: Mapping[str, Path], on_event: Emit, should_stop: object, finish: object
) -> ExecutionResult:
    """Writes to ever more memory (bytearray zero-fills, so every page becomes resident)."""
    on_event(ProgressEvent(fraction=0.1, message="Allocating"))
    blocks = []
    for _ in range(256):
        blocks.append(bytearray(64 * 1024 * 1024))
        time.sleep(0.02)
    raise AssertionError(f"allocated {len(blocks)} blocks")


def sleepy(
    request: ExecutionRequest, datasets: Mapping[str, Path], on_event: Emit, should_stop: object, finish: object
) -> ExecutionResult:
    on_event(ProgressEvent(fraction=0.1, message=f"pid {os.getpid()}"))
    time.sleep(600)
    raise AssertionError("slept through")


def busy(
    request: ExecutionRequest, datasets: Mapping[str, Path], on_event: Emit, should_stop: object, finish: object
) -> ExecutionResult:
    """Keeps a core busy for a fixed while, so a test can watch the API's event loop meanwhile."""
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        sum(range(10_000))
    on_event(ProgressEvent(fraction=0.9, message="done burning"))
    return fabricated_result(request)
