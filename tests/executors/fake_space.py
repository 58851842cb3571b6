"""A hostile stand-in for a Gradio Space: an ASGI app served by uvicorn on loopback.

It speaks just enough of Gradio 6's HTTP protocol to run a job, and misbehaves on request: 503s,
a 500, a stream cut mid-way, malformed JSON, silence, heartbeats forever. Every request's
Authorization header is recorded so the tests can check the token went on all of them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from adapters.memory.executor import fabricated_result
from automl_core.execution import CompletedEvent, FailedEvent, ProgressEvent, decode_request, encode_event


@dataclass
class Behaviour:
    call_status: list[int] = field(default_factory=list)
    """Statuses answered to the first calls before a normal answer (e.g. [503, 503])."""
    stream: str = "ok"
    """ok | drop | garbage | silent | heartbeats | error | bare_error | unknown"""
    authorised_token: str | None = None
    artifact: bytes | None = None
    """The bytes served as every model file (a hostile artifact); by default a placeholder."""


@dataclass
class Record:
    authorization: list[str | None] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    calls: int = 0
    disconnected: asyncio.Event | None = None
    stream_closed: threading.Event = field(default_factory=threading.Event)


def build(behaviour: Behaviour, record: Record) -> Starlette:
    requests: dict[str, dict[str, object]] = {}

    def refused(request: Request) -> Response | None:
        header = request.headers.get("authorization")
        record.authorization.append(header)
        if behaviour.authorised_token and header != f"Bearer {behaviour.authorised_token}":
            return JSONResponse({"detail": "Not authenticated"}, status_code=401)
        return None

    async def info(request: Request) -> Response:
        return refused(request) or JSONResponse({"named_endpoints": {"/execute": {}}})

    async def upload(request: Request) -> Response:
        if denied := refused(request):
            return denied
        form = await request.form()
        paths = []
        for item in form.getlist("files"):
            name = getattr(item, "filename", "x")
            record.uploads.append(name)
            paths.append(f"/tmp/fake-space/{name}")
        return JSONResponse(paths)

    async def call(request: Request) -> Response:
        if denied := refused(request):
            return denied
        record.calls += 1
        if behaviour.call_status:
            status = behaviour.call_status.pop(0)
            return PlainTextResponse("Queue is full." if status == 503 else "Internal Server Error", status)
        body = await request.json()
        event_id = f"ev{record.calls}"
        requests[event_id] = body
        return JSONResponse({"event_id": event_id})

    async def stream(request: Request) -> Response:
        if denied := refused(request):
            return denied
        body = requests[request.path_params["event_id"]]
        return StreamingResponse(_events(behaviour.stream, body, str(request.base_url)), media_type="text/event-stream")

    async def file(request: Request) -> Response:
        if denied := refused(request):
            return denied
        return Response(behaviour.artifact or f"skops:{request.path_params['path']}".encode())

    async def _events(kind: str, body: dict[str, object], base: str) -> AsyncIterator[str]:
        try:
            progress = encode_event(ProgressEvent(fraction=0.5, message="fitting", node_id="model")).decode()
            if kind == "garbage":
                yield "event: generating\ndata: {not json at all\n\n"
                return
            if kind == "unknown":
                yield 'event: surprise\ndata: ["?"]\n\n'
                return
            yield f"event: generating\ndata: {json.dumps([progress, None])}\n\n"
            if kind == "drop":
                return
            if kind == "silent":
                await asyncio.sleep(3600)
            if kind == "heartbeats":
                while True:
                    yield "event: heartbeat\ndata: null\n\n"
                    await asyncio.sleep(0.1)
            if kind == "error":
                failed = encode_event(FailedEvent(message="the dataset has no column `ghost`", node_id="data"))
                yield f"event: error\ndata: {json.dumps({'error': failed.decode(), 'title': 'Error'})}\n\n"
                return
            if kind == "bare_error":
                yield "event: error\ndata: null\n\n"
                return
            data = body["data"]
            assert isinstance(data, list)
            result = fabricated_result(decode_request(data[0]))
            # As the real worker answers: files named by position, `artifact_files` maps them to nodes,
            # and the generator's last output comes twice (as `generating`, then as `complete`).
            files = [
                {
                    "path": f"/tmp/out/{i}-{b.node_id}.skops",
                    "url": f"{base}gradio_api/file=/tmp/out/{i}-{b.node_id}.skops",
                    "orig_name": f"{i}-{b.node_id}.skops",
                    "meta": {"_type": "gradio.FileData"},
                }
                for i, b in enumerate(result.branches)
            ]
            without_bytes = [msgspec.structs.replace(b, artifact=b"") for b in result.branches]
            final = msgspec.to_builtins(CompletedEvent(result=msgspec.structs.replace(result, branches=without_bytes)))
            final["artifact_files"] = [b.node_id for b in result.branches]
            outputs = json.dumps([json.dumps(final), files])
            yield f"event: generating\ndata: {outputs}\n\n"
            yield f"event: complete\ndata: {outputs}\n\n"
        finally:
            record.stream_closed.set()

    return Starlette(
        routes=[
            Route("/gradio_api/info", info),
            Route("/gradio_api/upload", upload, methods=["POST"]),
            Route("/gradio_api/call/execute", call, methods=["POST"]),
            Route("/gradio_api/call/execute/{event_id}", stream),
            Route("/gradio_api/file={path:path}", file),
        ]
    )


def reserve_port() -> socket.socket:
    """A loopback socket bound to a port the OS chose and not listening: nobody else can take the
    port, and connecting to it is refused until `serve` listens on it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve(behaviour: Behaviour, sock: socket.socket | None = None) -> Iterator[tuple[str, Record]]:
    """Run the fake Space in a thread (its own event loop) on `sock` (a fresh port by default) and
    yield its URL and what it saw."""
    record = Record()
    sock = sock or reserve_port()
    server = uvicorn.Server(uvicorn.Config(build(behaviour, record), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the fake Space did not start")
        threading.Event().wait(0.01)
    try:
        yield url_of(sock), record
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=5)
        sock.close()
