"""Blobs as rows of chunks, for hosts whose disk does not survive a restart.

A blob's chunks are written under a fresh `chunks_id` before its key (the hash) is known; the
`blobs` row naming them is inserted in the same transaction, so a failed upload leaves nothing.
The transaction lasts as long as the upload: on SQLite that holds the write lock, so this store
is meant for PostgreSQL, and callers should hand it local files rather than slow network streams.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from adapters.blobs.keys import CHUNK_SIZE, checked
from adapters.persistence.sqlalchemy.database import SqlDatabase
from adapters.persistence.sqlalchemy.tables import blob_chunks, blobs
from automl_core.errors import NotFound
from automl_core.ports import BlobRef


async def _read(path: Path, size: int) -> AsyncIterator[bytes]:
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, size):
            yield chunk


async def _rechunk(chunks: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """Rows of `size` bytes whatever the caller's chunking, holding at most one row in memory."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


class DatabaseBlobStore:
    def __init__(self, database: SqlDatabase, chunk_size: int = CHUNK_SIZE) -> None:
        self.engine = database.engine
        self.chunk_size = chunk_size

    async def put_file(self, path: Path) -> BlobRef:
        return await self.put_stream(_read(path, self.chunk_size))

    async def put_stream(self, chunks: AsyncIterator[bytes]) -> BlobRef:
        chunks_id = str(uuid.uuid4())
        digest = hashlib.sha256()
        size = 0
        try:
            async with self.engine.begin() as conn:
                seq = 0
                async for data in _rechunk(chunks, self.chunk_size):
                    digest.update(data)
                    size += len(data)
                    await conn.execute(insert(blob_chunks).values(chunks_id=chunks_id, seq=seq, data=data))
                    seq += 1
                key = digest.hexdigest()
                if await conn.scalar(select(blobs.c.key).where(blobs.c.key == key)) is None:
                    await conn.execute(insert(blobs).values(key=key, size=size, chunks_id=chunks_id))
                else:
                    await conn.execute(delete(blob_chunks).where(blob_chunks.c.chunks_id == chunks_id))
        except IntegrityError:
            pass  # a concurrent upload of the same bytes inserted the key first; that copy stands
        return BlobRef(key=key, size=size, sha256=key)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        async with self.engine.connect() as conn:
            chunks_id = await conn.scalar(select(blobs.c.chunks_id).where(blobs.c.key == checked(key)))
            if chunks_id is None:
                raise NotFound("blob", key)
            rows = await conn.stream(
                select(blob_chunks.c.data)
                .where(blob_chunks.c.chunks_id == chunks_id)
                .order_by(blob_chunks.c.seq)
                .execution_options(yield_per=1)
            )
            async for (data,) in rows:
                yield data

    @asynccontextmanager
    async def as_file(self, key: str) -> AsyncIterator[Path]:
        with tempfile.TemporaryDirectory(prefix="blob-") as tmp:
            path = Path(tmp) / key
            with path.open("wb") as f:
                async for chunk in self.open(key):
                    await asyncio.to_thread(f.write, chunk)
            yield path

    async def exists(self, key: str) -> bool:
        async with self.engine.connect() as conn:
            return await conn.scalar(select(blobs.c.key).where(blobs.c.key == key)) is not None

    async def delete(self, key: str) -> None:
        async with self.engine.begin() as conn:
            chunks_id = await conn.scalar(delete(blobs).where(blobs.c.key == key).returning(blobs.c.chunks_id))
            if chunks_id is not None:
                await conn.execute(delete(blob_chunks).where(blob_chunks.c.chunks_id == chunks_id))
