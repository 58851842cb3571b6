"""The in-memory executor, running the real engine in a thread, holds to the same contract."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryExecutor
from tests.executors.contract import ExecutorContract
from tests.executors.preview_contract import PreviewerContract


class TestMemoryExecutor(ExecutorContract):
    @pytest.fixture
    async def executor(self):
        from automl_worker.engine import run

        yield MemoryExecutor(engine=run)


class TestMemoryPreviews(PreviewerContract):
    @pytest.fixture
    def previewer(self) -> MemoryExecutor:
        from automl_worker.preview import outcome

        return MemoryExecutor(previewer=outcome)
