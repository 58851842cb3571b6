"""What runs in the warm prediction process; the worker package is imported there, never in the API."""

from __future__ import annotations

from pathlib import Path


def start(memory_mb: int | None, max_models: int) -> None:
    """The pool's initializer: cap the process's memory, load the model libraries once, size the LRU."""
    if memory_mb:
        from adapters.executors.local_child import limit_memory

        limit_memory(memory_mb)
    from automl_worker import serving

    serving.CACHE.max_models = max_models


def answer(request: bytes, artifact: str | None) -> bytes:
    from automl_worker import serving

    return serving.answer(request, Path(artifact) if artifact else None)
