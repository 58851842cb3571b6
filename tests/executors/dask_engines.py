"""Engines for the Dask executor's worker-death tests; imported on the Dask workers by name."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from adapters.memory.executor import fabricated_result
from automl_core.execution import ExecutionEvent, ExecutionRequest, ExecutionResult, ProgressEvent

Emit = Callable[[ExecutionEvent], None]


def _doze(
    seconds: float, request: ExecutionRequest, on_event: Emit, should_stop: Callable[[], bool]
) -> ExecutionResult:
    on_event(ProgressEvent(fraction=0.1, message=f"pid {os.getpid()}"))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if should_stop():
            raise RuntimeError("stopped")
        time.sleep(0.1)
    return fabricated_result(request)


def nap(
    request: ExecutionRequest,
    datasets: Mapping[str, Path],
    on_event: Emit,
    should_stop: Callable[[], bool],
    finish: object,
) -> ExecutionResult:
    """Long enough to be killed in, short enough to finish on the rerun."""
    return _doze(4, request, on_event, should_stop)


def insomnia(
    request: ExecutionRequest,
    datasets: Mapping[str, Path],
    on_event: Emit,
    should_stop: Callable[[], bool],
    finish: object,
) -> ExecutionResult:
    return _doze(120, request, on_event, should_stop)
