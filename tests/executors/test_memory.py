"""The in-memory executor, running the real engine in a thread, holds to the same contract."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from adapters.executors.contract import ExecutorContract
from adapters.executors.preview_contract import PreviewerContract
from adapters.memory import MemoryExecutor
from adapters.memory.executor import EngineFailure
from automl_core.execution import ExecutionEvent, ExecutionRequest, ExecutionResult


class TestMemoryExecutor(ExecutorContract):
    @pytest.fixture
    async def executor(self):
        from automl_worker.engine import run
        from automl_worker.errors import EngineError

        # A thread can't be killed: a cancelled job's engine stops at its next check once the test ends.
        stop = threading.Event()

        def engine(
            request: ExecutionRequest, datasets: Mapping[str, Path], emit: Callable[[ExecutionEvent], None]
        ) -> ExecutionResult:
            try:
                return run(request, datasets, emit, stop.is_set)
            except EngineError as exc:
                raise EngineFailure(exc.message, exc.node_id) from exc

        yield MemoryExecutor(engine=engine)
        stop.set()


class TestMemoryPreviews(PreviewerContract):
    @pytest.fixture
    def previewer(self) -> MemoryExecutor:
        from automl_worker.preview import outcome

        return MemoryExecutor(previewer=outcome)
