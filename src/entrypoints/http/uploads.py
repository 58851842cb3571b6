"""Streaming request bodies: a multipart file goes part by part to disk, never whole into memory.

Litestar's own form parsing reads the full body under a size cap before the handler runs; uploads of
hundreds of MB need the stream itself, and a limit that bites as soon as it is passed (413) instead
of after the whole file has arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
from litestar import Request
from litestar.exceptions import HTTPException
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser  # type: ignore[import-untyped]

from automl_core.errors import InvalidInput, PayloadTooLarge, UnsupportedFormat
from automl_core.issues import Issue

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FIELD_BYTES = 64 * 1024
"""Non-file fields (a dataset's name) are small; anything bigger is not a field we read."""
MAX_PARTS = 16
WRITE_BYTES = 1 << 20
"""A file part is gathered to this size before each write: one thread hop per MiB, not one per packet."""


@dataclass
class ReceivedFile:
    """The file part, written to `path`, and the other (small) form fields as text."""

    path: Path
    filename: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def scratch_dir(data_dir: Path, prefix: str) -> Iterator[Path]:
    """A private temp folder on the data disk (uploads can outgrow a RAM-backed /tmp), removed after."""
    parent = data_dir / "tmp"
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class _FileSink:
    """A file written from the event loop in WRITE_BYTES pieces (each write is a hop to a thread)."""

    def __init__(self, file: anyio.AsyncFile[bytes]) -> None:
        self.file = file
        self.buffer = bytearray()

    async def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= WRITE_BYTES:
            await self.file.write(self.buffer)
            self.buffer.clear()

    async def aclose(self) -> None:
        if self.buffer:
            await self.file.write(self.buffer)
            self.buffer.clear()
        await self.file.aclose()


def _clean(text: str) -> str:
    """Names end up in the database, which stores no NUL character."""
    return text.replace("\x00", "")


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the upload is larger than the {max_bytes // (1024 * 1024)} MB limit")


def _boundary(request: Request[Any, Any, Any]) -> str:
    media_type, options = request.content_type
    if media_type != "multipart/form-data":
        raise UnsupportedFormat(f"send the file as multipart/form-data, not {media_type or 'no content type'}")
    boundary = options.get("boundary")
    if not boundary:
        raise InvalidInput("the multipart body has no boundary")
    return boundary


async def receive_file(
    request: Request[Any, Any, Any], directory: Path, max_bytes: int, file_field: str = "file"
) -> ReceivedFile:
    """Write the `file_field` part to a file in `directory`; PayloadTooLarge as soon as the body passes
    `max_bytes` (plus room for the small fields). The caller owns `directory` and removes it."""
    boundary = _boundary(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + MAX_FIELD_BYTES:
        raise _too_large(max_bytes)
    target = directory / "upload"
    filename: str | None = None
    size = received = 0
    fields: dict[str, str] = {}
    sink: _FileSink | None = None
    try:
        with PushMultipartParser(boundary, max_segment_count=MAX_PARTS) as parser:
            segment: MultipartSegment | None = None
            text = bytearray()
            async for chunk in request.stream():
                received += len(chunk)
                if received > max_bytes + MAX_FIELD_BYTES:
                    raise _too_large(max_bytes)
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment = event
                        if segment.name == file_field and segment.filename is not None and filename is None:
                            filename = _clean(Path(segment.filename.replace("\\", "/")).name) or "upload"
                            sink = _FileSink(await anyio.open_file(target, "wb"))
                    elif segment is None:
                        continue
                    elif event is not None:  # a chunk of the current part's body
                        if sink is not None:
                            size += len(event)
                            if size > max_bytes:
                                raise _too_large(max_bytes)
                            await sink.write(event)
                        elif len(text) + len(event) <= MAX_FIELD_BYTES:
                            text.extend(event)
                    else:  # the end of the current part
                        if sink is not None:
                            await sink.aclose()
                            sink = None
                        elif not segment.filename:
                            fields[segment.name] = _clean(text.decode(segment.charset or "utf-8", "replace"))
                        text = bytearray()
                        segment = None
    except ParserLimitReached:
        raise InvalidInput("the multipart body has too many parts or headers") from None
    except ParserError as exc:
        raise InvalidInput(f"the multipart body is malformed: {exc}") from None
    finally:
        if sink is not None:
            await sink.aclose()
    if filename is None:
        raise InvalidInput(
            f"attach the file as the `{file_field}` part",
            [Issue("missing_file", f"no `{file_field}` part with a filename", field=file_field)],
        )
    return ReceivedFile(path=target, filename=filename, size=size, fields=fields)


async def read_body(request: Request[Any, Any, Any], max_bytes: int) -> bytes:
    """The whole body, refused with PayloadTooLarge as soon as it passes `max_bytes`."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"the body is larger than {max_bytes // (1024 * 1024)} MB")
    return bytes(body)


async def unless_client_leaves(request: Request[Any, Any, Any], work: Awaitable[T]) -> T:
    """`work`, cancelled when the client disconnects first: profiling a wide table costs seconds of a
    core, and nobody waits for the answer any more."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        gone.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await task
    log.info("upload stopped: the client went away before it was read")
    raise HTTPException(status_code=400, detail="the connection closed before the upload was read")


async def _disconnected(request: Request[Any, Any, Any]) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
