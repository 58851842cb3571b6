"""Predictions in a warm process beside the API: models load once and stay in its LRU, not in the API.

A `ProcessPoolExecutor` (one process by default) forked from the same fork server as training jobs,
with the model libraries already imported, so the first prediction doesn't pay their import either.
A process that dies (out of memory, a crash) is replaced on the next request; the request that saw
it die is retried once on the new one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from adapters.executors import local_child as job_child
from adapters.prediction import local_child
from adapters.prediction.by_reference import predict_by_reference
from automl_core.errors import Unavailable
from automl_core.models import Predictions
from automl_core.ports import BlobStore

PRELOAD = [job_child.__name__, local_child.__name__, "automl_worker.engine", "automl_worker.serving"]


class WarmProcessPredictor:
    def __init__(
        self, blobs: BlobStore, *, processes: int = 1, max_models: int = 8, memory_limit_mb: int | None = None
    ) -> None:
        self.blobs = blobs
        self.processes = processes
        self.max_models = max_models
        self.memory_limit_mb = memory_limit_mb
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._pool: ProcessPoolExecutor | None = None

    async def predict(self, artifact_key: str, rows: list[dict[str, Any]], explain: bool = False) -> Predictions:
        return await predict_by_reference(self._send, self.blobs, artifact_key, rows, explain)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def _send(self, request: bytes, artifact: Path | None) -> bytes:
        try:
            return await self._submit(request, artifact)
        except BrokenProcessPool:
            pass
        try:
            return await self._submit(request, artifact)
        except BrokenProcessPool:
            limit = f", limit {self.memory_limit_mb} MB" if self.memory_limit_mb else ""
            raise Unavailable(f"the prediction process died twice on this request (out of memory{limit}?)") from None

    async def _submit(self, request: bytes, artifact: Path | None) -> bytes:
        """One request on the current pool; a broken pool is dropped, so the next request starts a new one."""
        pool = self._pool or self._start()
        try:
            return await asyncio.wrap_future(pool.submit(local_child.answer, request, str(artifact or "")))
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def _start(self) -> ProcessPoolExecutor:
        self._pool = ProcessPoolExecutor(
            self.processes,
            mp_context=self._context,
            initializer=local_child.start,
            initargs=(self.memory_limit_mb, self.max_models),
        )
        return self._pool
