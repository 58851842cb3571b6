"""In-memory adapters for every port: fast, deterministic stand-ins for service and contract tests."""

from adapters.memory.blobs import MemoryBlobStore
from adapters.memory.executor import MemoryExecutor
from adapters.memory.repositories import MemoryStore, MemoryUnitOfWork

__all__ = ["MemoryBlobStore", "MemoryExecutor", "MemoryStore", "MemoryUnitOfWork"]
