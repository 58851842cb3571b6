"""Artifacts are checked on arrival in a process on the worker's side, never in the API process.

The API does not import the worker package, and a file from an executor (a Space, a cluster, a job
process) is not trusted: it is handed to one long-lived process beside the API (from multiprocessing's
fork server, which local training jobs use too), which loads it exactly as prediction would
(`automl_worker.artifacts.verify`). The process imports the model libraries once, on the first check.
A file that kills that process is refused as well; the next check starts a fresh one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool


def _refusal(artifact: bytes) -> str | None:
    """In the checking process: the worker's own loader says whether it would load the file.

    An API installed without the worker extra has no model library to build the file with; it still
    reads it with the allowlist (standard library only), which is what stands between a file and code.
    """
    try:
        from automl_worker.artifacts import ArtifactError, verify
    except ModuleNotFoundError:
        from automl_worker.allowlist import UntrustedArtifact, audit

        try:
            audit(artifact)
        except UntrustedArtifact as exc:
            return str(exc)
        return None
    try:
        verify(artifact)
    except ArtifactError as exc:
        return str(exc)
    return None


class WorkerProcessVerifier:
    def __init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._pool: ProcessPoolExecutor | None = None
        self._lock = asyncio.Lock()

    async def refusal(self, artifact: bytes) -> str | None:
        async with self._lock:  # one file at a time: checks are rare (once per trained model)
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=self._context)
            try:
                return await asyncio.wrap_future(self._pool.submit(_refusal, artifact))
            except BrokenProcessPool:
                self._pool = None
                return "checking the file stopped the process that loaded it"

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
