"""BlobStore contract: content addressing, streaming in chunks, no partial blobs."""

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from automl_core.errors import NotFound
from automl_core.ports import BlobStore

DATA = bytes(range(256)) * 37  # several chunks of the stores' 1,000-byte test chunk size
KEY = hashlib.sha256(DATA).hexdigest()


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(store: BlobStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.open(key)])


async def test_put_file_is_content_addressed(blob_store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(DATA)
    ref = await blob_store.put_file(source)
    assert (ref.key, ref.sha256, ref.size) == (KEY, KEY, len(DATA))
    assert await blob_store.exists(KEY)
    assert await read(blob_store, KEY) == DATA


async def test_the_same_bytes_twice_are_one_blob(blob_store: BlobStore) -> None:
    first = await blob_store.put_stream(pieces(DATA, 333))
    second = await blob_store.put_stream(pieces(DATA, 4096))
    assert first == second
    await blob_store.delete(KEY)
    assert not await blob_store.exists(KEY)


async def test_empty_blob(blob_store: BlobStore) -> None:
    ref = await blob_store.put_stream(pieces(b"", 1))
    assert ref.size == 0
    assert await read(blob_store, ref.key) == b""


async def test_as_file_holds_the_bytes(blob_store: BlobStore) -> None:
    await blob_store.put_stream(pieces(DATA, 1000))
    async with blob_store.as_file(KEY) as path:
        assert path.read_bytes() == DATA


@pytest.mark.parametrize("key", ["0" * 64, "../../etc/passwd"])
async def test_missing_blobs(blob_store: BlobStore, key: str) -> None:
    assert not await blob_store.exists(key)
    with pytest.raises(NotFound):
        await read(blob_store, key)
    with pytest.raises(NotFound):
        async with blob_store.as_file(key):
            pass
    await blob_store.delete(key)  # deleting what is not there is not an error


async def test_a_failed_upload_leaves_nothing(blob_store: BlobStore, tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield DATA
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        await blob_store.put_stream(broken())
    assert not await blob_store.exists(KEY)
    leftovers = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert leftovers == []
