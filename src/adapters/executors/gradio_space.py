"""Runs the engine on a Gradio app (a Hugging Face Space) over Gradio 6's plain HTTP protocol.

Why httpx and not `gradio_client`: the API must survive whatever a remote Space does — sleep, queue
overflow, a cut stream, garbage — and report it as a failed run with a clear message. Speaking the
four requests of the protocol ourselves keeps every timeout, retry and error message in our hands:

1. `POST {space}/gradio_api/upload` (multipart `files`) -> the server paths of the Parquet files;
2. `POST {space}/gradio_api/call/<api_name>` `{"data": [request_json, files]}` -> `{"event_id"}`;
3. `GET {space}/gradio_api/call/<api_name>/<event_id>`: server-sent events, `generating` (progress),
   `complete` (result), `error` (the worker's message), `heartbeat` — always HTTP 200, so the events
   themselves say whether it worked;
4. `GET` each artifact file the result points at.

Closing the event stream is how a job is cancelled: Gradio stops a job whose listener went away.
"Finish now" is `POST {space}/gradio_api/call/finish` `{"data": [run_id]}` (its own queue, so it never
waits behind the training it is about to end).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import msgspec

from adapters.executors.jobs import Job, JobTable
from automl_core.errors import Unavailable
from automl_core.execution import (
    CompletedEvent,
    ExecutionEvent,
    ExecutionRequest,
    FailedEvent,
    LogEvent,
    ProgressEvent,
    decode_event,
)
from automl_core.ports import JobHandle
from automl_core.previews import PreviewRequest, PreviewResult, decode_outcome, raise_failure

RETRY_STATUSES = frozenset({502, 503, 504})
"""Queue full (503), and what a sleeping or restarting Space answers through its proxy."""

DETAIL_CHARS = 300


class SpaceError(Exception):
    """The Space can't run the job; the message is what the run's owner reads."""


class GradioSpaceExecutor:
    def __init__(
        self,
        space_url: str,
        token: str | None = None,
        api_name: str = "execute",
        http: httpx.AsyncClient | None = None,
        *,
        wake_timeout_s: float = 300.0,
        read_timeout_s: float = 60.0,
        backoff_s: float = 1.0,
    ) -> None:
        """`wake_timeout_s` bounds how long connect errors and 502/503/504 are retried (a cold Space
        wakes, a full queue drains); `read_timeout_s` is the longest silence tolerated on a stream
        (Gradio sends a heartbeat every 15 s). A run's time limit is the supervisor's (`run_timeout_s`)."""
        self.space_url = space_url.rstrip("/")
        self.api_name = api_name
        self.wake_timeout_s = wake_timeout_s
        self.backoff_s = backoff_s
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=read_timeout_s), follow_redirects=True)
        self._jobs = JobTable()

    async def submit(self, request: ExecutionRequest, datasets: Mapping[str, Path]) -> JobHandle:
        files = dict(datasets)
        return self._jobs.start(lambda job: self._run(job, request, files))

    def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        return self._jobs.events(handle)

    async def cancel(self, handle: JobHandle) -> None:
        await self._jobs.cancel(handle)

    async def finish(self, handle: JobHandle) -> None:
        await self._jobs.finish(handle)

    async def healthy(self) -> bool:
        try:
            response = await self._http.get(f"{self.space_url}/gradio_api/info", headers=self._headers, timeout=10.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def close(self) -> None:
        await self._jobs.close()
        if self._owns_http:
            await self._http.aclose()

    async def _run(self, job: Job, request: ExecutionRequest, datasets: dict[str, Path]) -> None:
        try:
            job.emit(ProgressEvent(fraction=0.0, message="sending the data to the Space"))
            files = await self._upload(datasets)
            event_id = await self._call(request, files)
            job.emit(ProgressEvent(fraction=0.0, message="queued on the Space"))
            await self._jobs.started(job, lambda: self._finish(job, request.run_id))
            await self._follow(job, event_id)
        except SpaceError as exc:
            job.fail(str(exc))
        except httpx.TimeoutException:
            job.fail(f"the Space at {self.space_url} stopped answering (timed out)")
        except httpx.HTTPError as exc:
            job.fail(f"could not talk to the Space at {self.space_url}: {type(exc).__name__}: {exc}")
        job.fail("the Space's event stream ended before the run finished")

    async def _upload(self, datasets: dict[str, Path]) -> list[dict[str, Any]]:
        """Each Parquet file goes up named `<dataset id>.parquet`, which is how the worker maps it."""
        return await self.upload({f"{ident}.parquet": path for ident, path in datasets.items()}, "the dataset")

    async def upload(self, files: Mapping[str, Path], what: str = "a file") -> list[dict[str, Any]]:
        """Upload files (name on the Space -> local path); their Gradio FileData, in the same order."""
        names = list(files)

        async def send() -> httpx.Response:
            with contextlib.ExitStack() as stack:
                parts = [("files", (name, stack.enter_context(files[name].open("rb")))) for name in names]
                return await self._http.post(f"{self.space_url}/gradio_api/upload", files=parts, headers=self._headers)

        response = await self._with_retries(f"upload {what}", send)
        paths = _json(response, "the upload")
        if not isinstance(paths, list) or len(paths) != len(names) or not all(isinstance(p, str) for p in paths):
            raise SpaceError(f"the Space's upload answer is not a list of {len(names)} paths: {_clip(paths)}")
        return [
            {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
            for name, path in zip(names, paths, strict=True)
        ]

    async def preview(self, request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewResult:
        """A step preview on the Space's `preview` endpoint (its own queue: it never waits behind a run)."""
        try:
            files = await self.upload({f"{ident}.parquet": path for ident, path in datasets.items()}, "the dataset")
            envelope = {**msgspec.to_builtins(request), "files": list(datasets)}
            outputs = await self.call("preview", [json.dumps(envelope), files], "preview the step")
            return raise_failure(decode_outcome(outputs[0] if isinstance(outputs[0], str) else ""))
        except SpaceError as exc:
            raise Unavailable(str(exc)) from None
        except msgspec.DecodeError as exc:
            raise Unavailable(f"the Space's preview answer can't be read: {exc}") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"could not reach the Space at {self.space_url} to preview: {exc}") from None

    async def call(self, api_name: str, data: list[Any], what: str) -> list[Any]:
        """One call of a (non-streaming) endpoint of the Space: its outputs, or SpaceError saying why not."""
        url = f"{self.space_url}/gradio_api/call/{api_name}"

        async def start() -> httpx.Response:
            return await self._http.post(url, json={"data": data}, headers=self._headers)

        answer = _json(await self._with_retries(what, start), "the call")
        event_id = answer.get("event_id") if isinstance(answer, dict) else None
        if not isinstance(event_id, str) or not event_id:
            raise SpaceError(f"the Space did not return an event id: {_clip(answer)}")
        async with self._http.stream("GET", f"{url}/{event_id}", headers=self._headers) as response:
            if response.status_code != 200:
                await response.aread()
                raise SpaceError(_status_message(response, what))
            async for kind, body in _sse(response.aiter_lines()):
                if kind == "complete":
                    outputs = _json_text(body, kind)
                    if not isinstance(outputs, list) or not outputs:
                        raise SpaceError(f"the Space sent a complete event without outputs: {_clip(body)}")
                    return outputs
                if kind == "error":
                    raise SpaceError(f"could not {what}: {_worker_failure(body).message}")
        raise SpaceError(f"the Space's event stream ended before it answered (trying to {what})")

    async def _call(self, request: ExecutionRequest, files: list[dict[str, Any]]) -> str:
        """The request JSON carries `files`: the dataset id of each uploaded file, in order."""
        envelope = {**msgspec.to_builtins(request), "files": [Path(f["orig_name"]).stem for f in files]}
        body = {"data": [json.dumps(envelope), files]}

        async def send() -> httpx.Response:
            return await self._http.post(self._call_url, json=body, headers=self._headers)

        answer = _json(await self._with_retries("start the run", send), "the call")
        event_id = answer.get("event_id") if isinstance(answer, dict) else None
        if not isinstance(event_id, str) or not event_id:
            raise SpaceError(f"the Space did not return an event id: {_clip(answer)}")
        return event_id

    async def _finish(self, job: Job, run_id: str) -> None:
        """Ask the Space to finish the run now; a Space that can't is told in the job's log."""
        try:
            response = await self._http.post(
                f"{self.space_url}/gradio_api/call/finish", json={"data": [run_id]}, headers=self._headers
            )
            if response.status_code >= 400:
                raise SpaceError(_status_message(response, "ask the run to finish now"))
        except (httpx.HTTPError, SpaceError) as exc:
            job.emit(LogEvent(message=f"could not ask the Space to finish now: {exc}", level="warning"))

    @property
    def _call_url(self) -> str:
        return f"{self.space_url}/gradio_api/call/{self.api_name}"

    async def _follow(self, job: Job, event_id: str) -> None:
        async with self._http.stream("GET", f"{self._call_url}/{event_id}", headers=self._headers) as response:
            if response.status_code != 200:
                await response.aread()
                raise SpaceError(_status_message(response, "stream the run's events"))
            async for kind, data in _sse(response.aiter_lines()):
                if kind == "heartbeat":
                    continue
                if kind == "error":
                    job.emit(_worker_failure(data))
                    return
                if kind not in ("generating", "complete"):
                    raise SpaceError(f"the Space sent an unknown event {kind!r}")
                # A generator's last output arrives as `generating` and again as `complete`:
                # the first terminal event wins, wherever it comes.
                outputs = _outputs(data, kind)
                for event in _events_in(outputs, kind):
                    if isinstance(event, CompletedEvent):
                        event = await self._with_artifacts(event, outputs)
                    job.emit(event)
                if job.finished:
                    return
                if kind == "complete":
                    raise SpaceError("the worker finished without a result")

    async def _with_artifacts(self, event: CompletedEvent, outputs: list[Any]) -> CompletedEvent:
        """Fill each branch's artifact from the skops file the worker returned for it: by the
        event's `artifact_files` (node ids in file order), else by a file named after the node."""
        files = _files_in(outputs[1:])
        order = outputs[0].get("artifact_files") if isinstance(outputs[0], dict) else None
        if isinstance(order, list) and len(order) == len(files):
            by_node = dict(zip(order, files, strict=True))
        else:
            by_node = {Path(str(f.get("orig_name") or f.get("path"))).stem: f for f in files}
        branches = []
        for branch in event.result.branches:
            if not branch.artifact:
                file = by_node.get(branch.node_id)
                if file is None:
                    raise SpaceError(f"the Space returned no model file for node {branch.node_id!r}")
                branch = msgspec.structs.replace(branch, artifact=await self._download(file))
            branches.append(branch)
        return CompletedEvent(result=msgspec.structs.replace(event.result, branches=branches))

    async def _download(self, file: dict[str, Any]) -> bytes:
        url = str(file.get("url") or "")
        if not url or not _same_origin(url, self.space_url):
            # Never send the token elsewhere: ask the Space itself for its own file.
            url = f"{self.space_url}/gradio_api/file={quote(str(file.get('path', '')))}"

        async def send() -> httpx.Response:
            return await self._http.get(url, headers=self._headers)

        return (await self._with_retries("download a model file", send)).content

    async def _with_retries(self, what: str, send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """Retry connect errors and 502/503/504 with exponential backoff, for at most `wake_timeout_s`."""
        deadline = time.monotonic() + self.wake_timeout_s
        delay = self.backoff_s
        while True:
            try:
                response = await send()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if time.monotonic() + delay > deadline:
                    raise SpaceError(
                        f"could not reach the Space at {self.space_url} to {what} "
                        f"(gave up after {self.wake_timeout_s:g} s): {exc}"
                    ) from exc
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise SpaceError(_status_message(response, what))
                    return response
                if time.monotonic() + delay > deadline:
                    raise SpaceError(
                        f"{_status_message(response, what)}; still unavailable after {self.wake_timeout_s:g} s"
                    )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


async def _sse(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream; a dispatch needs a blank line after it."""
    kind, data = "message", list[str]()
    async for line in lines:
        if not line:
            if data:
                yield kind, "\n".join(data)
            kind, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)


def _outputs(data: str, kind: str) -> list[Any]:
    """The outputs list of a `generating`/`complete` event, its first item (the event JSON) parsed."""
    try:
        outputs = json.loads(data)
        if isinstance(outputs, list) and outputs and isinstance(outputs[0], str):
            outputs[0] = json.loads(outputs[0])
    except json.JSONDecodeError as exc:
        raise SpaceError(f"the Space sent a malformed {kind} event ({exc}): {_clip(data)}") from None
    if not isinstance(outputs, list) or not outputs:
        raise SpaceError(f"the Space sent a {kind} event without outputs: {_clip(data)}")
    return outputs


def _events_in(outputs: list[Any], kind: str) -> list[ExecutionEvent]:
    """The worker's first output is its event (or a list of them); None is an empty update."""
    first = outputs[0]
    items = first if isinstance(first, list) else [] if first is None else [first]
    try:
        return [decode_event(msgspec.json.encode(item)) for item in items]
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SpaceError(f"the Space sent a {kind} event this API can't read ({exc}): {_clip(first)}") from None


def _files_in(outputs: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in outputs:
        if isinstance(item, list):
            found.extend(_files_in(item))
        elif isinstance(item, dict) and "path" in item:
            found.append(item)
    return found


def _worker_failure(data: str) -> FailedEvent:
    """Gradio's error event carries `null` or the `gr.Error` text; the worker puts its event JSON there."""
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        payload = data
    if isinstance(payload, dict):
        payload = payload.get("error") or payload.get("message") or payload
    if isinstance(payload, str):
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            event = decode_event(payload)
            if isinstance(event, FailedEvent):
                return event
        return FailedEvent(message=payload or "the worker failed without a message")
    if payload is None:
        return FailedEvent(message="the worker failed without a message (is show_error on?)")
    return FailedEvent(message=f"the worker failed: {_clip(payload)}")


def _json_text(data: str, kind: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise SpaceError(f"the Space sent a malformed {kind} event ({exc}): {_clip(data)}") from None


def _status_message(response: httpx.Response, what: str) -> str:
    code = response.status_code
    if code in (401, 403):
        reason = "refused the credentials (check HF_TOKEN)"
    elif code == 404:
        reason = "has no such endpoint (is the worker app deployed?)"
    elif code == 503:
        reason = "is unavailable or its queue is full"
    else:
        reason = f"answered HTTP {code}"
    detail = response.text.strip()
    return f"could not {what}: the Space {reason}" + (f": {_clip(detail)}" if detail else "")


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SpaceError(f"the Space's answer to {what} is not JSON: {_clip(response.text)}") from None


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _clip(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "…"
