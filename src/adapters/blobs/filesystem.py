"""Blobs as files under a root directory, at `root/ab/abcdef…` (two-level fan-out)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

from adapters.blobs.keys import CHUNK_SIZE, checked
from automl_core.errors import NotFound
from automl_core.ports import BlobRef


class _Writer:
    """A temp file beside the blobs, hashed as it is written and renamed into place at the end,
    so a reader never sees a partial blob and a crash leaves only a temp file."""

    def __init__(self, store: FilesystemBlobStore) -> None:
        self.store = store
        self.digest = hashlib.sha256()
        self.size = 0
        store.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=store.tmp)
        self.path = Path(name)
        self.file: BinaryIO = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)

    def finish(self) -> BlobRef:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        key = self.digest.hexdigest()
        target = self.store.path(key)
        if target.exists():
            self.path.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path, target)
        return BlobRef(key=key, size=self.size, sha256=key)

    def abort(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


class FilesystemBlobStore:
    def __init__(self, root: Path, chunk_size: int = CHUNK_SIZE) -> None:
        self.root = root
        self.tmp = root / ".tmp"
        self.chunk_size = chunk_size

    def path(self, key: str) -> Path:
        return self.root / key[:2] / checked(key)

    def _existing(self, key: str) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise NotFound("blob", key)
        return path

    def _put_file(self, source: Path) -> BlobRef:
        writer = _Writer(self)
        try:
            with source.open("rb") as f:
                for chunk in iter(lambda: f.read(self.chunk_size), b""):
                    writer.write(chunk)
            return writer.finish()
        except BaseException:
            writer.abort()
            raise

    async def put_file(self, path: Path) -> BlobRef:
        return await asyncio.to_thread(self._put_file, path)

    async def put_stream(self, chunks: AsyncIterator[bytes]) -> BlobRef:
        writer = await asyncio.to_thread(_Writer, self)
        try:
            async for chunk in chunks:
                await asyncio.to_thread(writer.write, chunk)
            return await asyncio.to_thread(writer.finish)
        except BaseException:
            writer.abort()
            raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        f = await asyncio.to_thread(self._existing(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, self.chunk_size):
                yield chunk
        finally:
            f.close()

    @asynccontextmanager
    async def as_file(self, key: str) -> AsyncIterator[Path]:
        yield self._existing(key)

    async def exists(self, key: str) -> bool:
        try:
            self._existing(key)
        except NotFound:
            return False
        return True

    async def delete(self, key: str) -> None:
        if await self.exists(key):
            self.path(key).unlink(missing_ok=True)
