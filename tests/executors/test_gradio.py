"""The Gradio Space executor against the real worker app, launched on loopback."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.executors.contract import (
    DATASET_ID,
    LOGISTIC,
    SLOW_AUTOML,
    ExecutorContract,
    collect,
    graph,
    request,
    table,
)
from adapters.executors.gradio_space import GradioSpaceExecutor
from automl_core.execution import CompletedEvent, ProgressEvent, TrialEvent
from tests.executors.fake_space import free_port


@pytest.fixture(scope="module")
def space_url() -> Iterator[str]:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from automl_worker.space import build_app

    app = build_app()
    port = free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.close()


class TestGradioSpaceExecutor(ExecutorContract):
    @pytest.fixture
    async def executor(self, space_url: str):
        executor = GradioSpaceExecutor(space_url, token="hf_test_token", wake_timeout_s=10, read_timeout_s=30)
        yield executor
        await executor.close()


@pytest.mark.timeout(90)
async def test_cancel_frees_the_space_for_the_next_job(space_url: str, tmp_path: Path) -> None:
    """The worker runs one job at a time: if cancel left the search running, the next job would wait
    for its whole budget."""
    path = tmp_path / "data.parquet"
    table().write_parquet(path)
    executor = GradioSpaceExecutor(space_url, read_timeout_s=30)
    try:
        slow = await executor.submit(request("slow", graph(SLOW_AUTOML)), {DATASET_ID: path})
        async for event in executor.events(slow):
            if isinstance(event, TrialEvent | ProgressEvent) and getattr(event, "node_id", None) == "search":
                await executor.cancel(slow)
        started = time.monotonic()
        quick = await executor.submit(request("quick", graph(LOGISTIC)), {DATASET_ID: path})
        final = (await collect(executor, quick))[-1]
        assert isinstance(final, CompletedEvent)
        assert time.monotonic() - started < SLOW_AUTOML[2]["time_budget_s"] / 2
    finally:
        await executor.close()
