"""The Gradio Space executor against the real worker app, launched on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.executors.gradio_space import GradioSpaceExecutor
from automl_core.execution import CompletedEvent, FailedEvent, ProgressEvent, TrialEvent
from tests.executors.contract import (
    DATASET_ID,
    LOGISTIC,
    ExecutorContract,
    collect,
    graph,
    request,
    table,
)
from tests.executors.preview_contract import PreviewerContract
from tests.spaces import running_space


@pytest.fixture(scope="module")
def space_url() -> Iterator[str]:
    with running_space() as url:
        yield url


class TestGradioSpaceExecutor(ExecutorContract):
    @pytest.fixture
    async def executor(self, space_url: str):
        executor = GradioSpaceExecutor(space_url, token="hf_test_token", wake_timeout_s=10, read_timeout_s=30)
        yield executor
        await executor.close()


LONG_SEARCH = ("search", "automl", {"time_budget_s": 900, "ensemble": False})
"""Far longer than the test may take: if cancel left it running, the next job would wait behind it."""


@pytest.mark.timeout(120)
async def test_cancel_frees_the_space_for_the_next_job(space_url: str, tmp_path: Path) -> None:
    """The worker runs one job at a time: if cancel left the search running, the next job would wait
    for its whole budget, far past this test's deadline."""
    path = tmp_path / "data.parquet"
    table().write_parquet(path)
    executor = GradioSpaceExecutor(space_url, read_timeout_s=30)
    try:
        slow = await executor.submit(request("slow", graph(LONG_SEARCH)), {DATASET_ID: path})
        cancelled = False
        async for event in executor.events(slow):
            if not cancelled and isinstance(event, TrialEvent | ProgressEvent) and event.node_id == "search":
                await executor.cancel(slow)
                cancelled = True
        assert cancelled, "the search never reported, so a running job was not cancelled"
        assert isinstance(event, FailedEvent) and "cancel" in event.message, event
        quick = await executor.submit(request("quick", graph(LOGISTIC)), {DATASET_ID: path})
        final = (await collect(executor, quick, timeout=60))[-1]
        assert isinstance(final, CompletedEvent), final
    finally:
        await executor.close()


class TestGradioPreviews(PreviewerContract):
    @pytest.fixture
    async def previewer(self, space_url: str):
        executor = GradioSpaceExecutor(space_url, token="hf_test_token", wake_timeout_s=10, read_timeout_s=30)
        yield executor
        await executor.close()
