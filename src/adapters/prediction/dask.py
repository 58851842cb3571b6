"""Predictions on the Dask cluster: each request is a task, answered from the worker's model LRU.

The task runs `automl_worker.serving` in the Dask worker process, which keeps the models it loaded;
a worker that lacks one answers `missing_artifact` and the request goes again with the artifact (its
bytes, or with shared storage its path). Any worker may take a task: each warms up on its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from adapters.executors.dask import DaskExecutor
from adapters.prediction.by_reference import predict_by_reference
from automl_core.errors import Unavailable
from automl_core.models import Predictions
from automl_core.ports import BlobStore


class DaskPredictor:
    def __init__(self, executor: DaskExecutor, blobs: BlobStore, *, shared_storage: bool = False) -> None:
        self.executor = executor
        self.blobs = blobs
        self.shared_storage = shared_storage

    async def predict(self, artifact_key: str, rows: list[dict[str, Any]], explain: bool = False) -> Predictions:
        return await predict_by_reference(self._send, self.blobs, artifact_key, rows, explain)

    async def _send(self, request: bytes, artifact: Path | None) -> bytes:
        sent: bytes | str | None = None
        if artifact is not None:
            sent = str(artifact) if self.shared_storage else await asyncio.to_thread(artifact.read_bytes)
        try:
            client = await self.executor.client()
            answer: bytes = await client.submit(predict_task, request, sent, pure=False)
        except (OSError, TimeoutError) as exc:
            raise Unavailable(
                f"the Dask scheduler at {self.executor.scheduler_address} cannot be reached: {exc}"
            ) from None
        except Exception as exc:
            raise Unavailable(f"the Dask prediction task failed: {type(exc).__name__}: {exc}") from None
        return answer


def predict_task(request: bytes, artifact: bytes | str | None) -> bytes:
    """On a Dask worker: the worker package is imported there, never in the API."""
    from automl_worker import serving

    return serving.answer(request, Path(artifact) if isinstance(artifact, str) else artifact)
