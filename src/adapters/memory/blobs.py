"""A content-addressed blob store in a dict (tests only)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from automl_core.errors import NotFound
from automl_core.ports import BlobRef

CHUNK = 1 << 16


class MemoryBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def _store(self, data: bytes) -> BlobRef:
        key = hashlib.sha256(data).hexdigest()
        self.blobs[key] = data
        return BlobRef(key=key, size=len(data), sha256=key)

    async def put_file(self, path: Path) -> BlobRef:
        return self._store(path.read_bytes())

    async def put_stream(self, chunks: AsyncIterator[bytes]) -> BlobRef:
        return self._store(b"".join([c async for c in chunks]))

    async def open(self, key: str) -> AsyncIterator[bytes]:
        data = self._get(key)
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]

    @asynccontextmanager
    async def as_file(self, key: str) -> AsyncIterator[Path]:
        data = self._get(key)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / key
            path.write_bytes(data)
            yield path

    async def exists(self, key: str) -> bool:
        return key in self.blobs

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    def _get(self, key: str) -> bytes:
        if key not in self.blobs:
            raise NotFound("blob", key)
        return self.blobs[key]
