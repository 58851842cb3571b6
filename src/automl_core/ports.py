"""Ports: what the domain needs from the outside world, as Protocols the adapters implement.

Repositories scope every user-facing read and write by `owner_id`: another user's thing is simply
not found. Methods named for the system (`claim_next`, `get_for_system`) are for the run
supervisor, never for request handlers.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar, runtime_checkable

import msgspec

from automl_core.datasets import Column, ColumnProfile, Dataset
from automl_core.execution import ExecutionEvent, ExecutionRequest
from automl_core.issues import Issue
from automl_core.models import ModelRecord, Predictions
from automl_core.previews import PreviewRequest, PreviewResult
from automl_core.runs import NodeStatus, Progress, Run, RunError, RunResult, RunStatus
from automl_core.users import Identity, SessionClaims, User
from automl_core.workflow import Workflow

T = TypeVar("T")


LOG_TAIL = 500
"""How many log lines a run keeps."""


class Page(msgspec.Struct, Generic[T], frozen=True):
    items: list[T]
    total: int


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime: ...


@runtime_checkable
class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...
    async def get(self, user_id: str) -> User: ...
    async def update(self, user: User) -> None: ...
    async def find_by_identity(self, provider: str, subject: str) -> User | None: ...
    async def find_by_email(self, email: str) -> User | None: ...
    async def link_identity(self, user_id: str, provider: str, subject: str) -> None: ...
    async def end_sessions(self, user_id: str) -> None:
        """Raise the user's session version, so every session issued before is refused."""
        ...


@runtime_checkable
class DatasetRepository(Protocol):
    async def add(self, dataset: Dataset) -> None: ...
    async def get(self, owner_id: str, dataset_id: str) -> Dataset: ...
    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Dataset]: ...
    async def delete(self, owner_id: str, dataset_id: str) -> None: ...
    async def blob_in_use(self, blob_key: str) -> bool:
        """Whether any dataset (of anyone) still points at this blob."""
        ...


@runtime_checkable
class WorkflowRepository(Protocol):
    async def add(self, workflow: Workflow) -> None: ...
    async def get(self, owner_id: str, workflow_id: str) -> Workflow: ...
    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Workflow]: ...
    async def update(self, workflow: Workflow, expected_version: int) -> None:
        """Store `workflow` if the stored one is still at `expected_version`, else raise Conflict."""
        ...

    async def delete(self, owner_id: str, workflow_id: str) -> None: ...


@runtime_checkable
class RunRepository(Protocol):
    async def add(self, run: Run) -> None: ...
    async def get(self, owner_id: str, run_id: str) -> Run: ...
    async def get_for_system(self, run_id: str) -> Run: ...
    async def list(self, owner_id: str, workflow_id: str | None, limit: int, offset: int) -> Page[Run]: ...
    async def transition(self, run: Run, expected: RunStatus) -> None:
        """Compare-and-set: store `run`'s status, progress, timestamps and lease only if the stored run is
        still `expected` and in the same attempt (`run.attempts`), else Conflict. The attempt is what
        stops a replica whose run was taken back and claimed by another from still finishing it.
        Results, error and log are set separately."""
        ...

    async def set_progress(
        self,
        run_id: str,
        progress: Progress,
        log: Sequence[str] = (),
        nodes: Mapping[str, NodeStatus] | None = None,
    ) -> None:
        """Store the latest progress and append log lines (keeping the last LOG_TAIL); with `nodes`,
        store those step states too (the whole map: it replaces the stored one)."""
        ...

    async def request_finish(self, owner_id: str, run_id: str) -> bool:
        """Mark the owner's running run as asked to finish now; False if it is not running (any more)."""
        ...

    async def set_outcome(self, run_id: str, results: builtins.list[RunResult], error: RunError | None) -> None: ...
    async def claim_next(
        self, at: datetime, exclude_owners: Sequence[str] = (), *, lease_owner: str, lease_until: datetime
    ) -> Run | None:
        """Atomically move the oldest queued run (of an owner not excluded) to running, leased to the replica
        `lease_owner` until `lease_until` and counted as one more attempt, and return it."""
        ...

    async def renew_leases(self, lease_owner: str, run_ids: Sequence[str], until: datetime) -> set[str]:
        """Extend to `until` the leases `lease_owner` holds on these running runs; return the ids it still
        holds (a run missing from the answer was taken back or ended: its job must stop)."""
        ...

    async def release_leases(self, at: datetime, owner: str | None = None) -> builtins.list[Run]:
        """Move back to queued every running run whose lease ended before `at` (or that has none), and with
        `owner` every run that replica holds (it restarted under its own id: nothing it held lives on);
        return them as now stored, oldest first. They stay locked until the unit of work ends, so the
        caller can fail some in the same transaction before any replica claims them."""
        ...


@runtime_checkable
class ModelRepository(Protocol):
    async def add(self, model: ModelRecord) -> None: ...
    async def get(self, owner_id: str, model_id: str) -> ModelRecord: ...
    async def list(self, owner_id: str, limit: int, offset: int) -> Page[ModelRecord]: ...
    async def delete(self, owner_id: str, model_id: str) -> None: ...
    async def blob_in_use(self, blob_key: str) -> bool: ...


class CacheEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One cached node output of one user: its content key, the blob holding it, and when last used."""

    owner_id: str
    key: str
    blob_key: str
    size: int
    used_at: datetime


@runtime_checkable
class NodeCacheRepository(Protocol):
    """The per-user index of cached node outputs (the bytes live in the blob store)."""

    async def get(self, owner_id: str, key: str) -> CacheEntry | None: ...
    async def touch(self, owner_id: str, key: str, at: datetime) -> None: ...
    async def put(self, entry: CacheEntry) -> None:
        """Insert or replace the owner's entry under `entry.key`."""
        ...

    async def evict(self, owner_id: str, max_bytes: int) -> builtins.list[CacheEntry]:
        """Remove the owner's least recently used entries until theirs total at most `max_bytes`; return them."""
        ...

    async def blob_in_use(self, blob_key: str) -> bool: ...


@runtime_checkable
class UnitOfWork(Protocol):
    """One transaction over every repository: `commit()` keeps all, leaving without it keeps none."""

    users: UserRepository
    datasets: DatasetRepository
    workflows: WorkflowRepository
    runs: RunRepository
    models: ModelRepository
    node_cache: NodeCacheRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class BlobRef(msgspec.Struct, frozen=True):
    key: str
    size: int
    sha256: str


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed bytes: the key is the SHA-256 of the content, so equal uploads are stored once."""

    async def put_file(self, path: Path) -> BlobRef: ...
    async def put_stream(self, chunks: AsyncIterator[bytes]) -> BlobRef: ...
    def open(self, key: str) -> AsyncIterator[bytes]: ...
    def as_file(self, key: str) -> AbstractAsyncContextManager[Path]:
        """A local path holding the blob for the duration of the context (a temp copy if need be)."""
        ...

    async def exists(self, key: str) -> bool: ...
    async def delete(self, key: str) -> None: ...


class ReadOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How to read a delimited text upload; unset fields are sniffed from the bytes.

    `skip_rows`: lines before the header (a preamble). `header_row=False`: the first row read is
    data, and columns are named column_1, column_2, …
    """

    delimiter: str | None = None
    encoding: str | None = None
    skip_rows: int = 0
    header_row: bool = True


class IngestedTable(msgspec.Struct, kw_only=True):
    """A table read from an upload and written as Parquet, with its schema and profile."""

    parquet_path: str
    format: str
    row_count: int
    content_hash: str
    columns: builtins.list[Column]
    profile: builtins.list[ColumnProfile]
    warnings: builtins.list[Issue] = msgspec.field(default_factory=list)


class Preview(msgspec.Struct, frozen=True):
    columns: builtins.list[str]
    rows: builtins.list[list[object]]
    total_rows: int


@runtime_checkable
class TableReader(Protocol):
    """Reads uploads into typed Parquet and pages through stored tables."""

    async def ingest(
        self, path: Path, filename: str, workdir: Path, options: ReadOptions = ReadOptions()
    ) -> IngestedTable:
        """Raise InvalidInput (naming the line) or UnsupportedFormat for files it cannot read."""
        ...

    async def preview(self, parquet: Path, limit: int, offset: int) -> Preview: ...


class JobHandle(msgspec.Struct, frozen=True):
    job_id: str


@runtime_checkable
class Executor(Protocol):
    """Runs the engine somewhere (a process, a Space, a cluster) and streams its events."""

    async def submit(self, request: ExecutionRequest, datasets: Mapping[str, Path]) -> JobHandle: ...
    def events(self, handle: JobHandle) -> AsyncIterator[ExecutionEvent]:
        """Every event of the job, ending with exactly one CompletedEvent or FailedEvent."""
        ...

    async def cancel(self, handle: JobHandle) -> None: ...
    async def finish(self, handle: JobHandle) -> None:
        """Ask the job to stop searching now and complete with the best model so far (no-op once ended)."""
        ...

    async def healthy(self) -> bool: ...


@runtime_checkable
class StepPreviewer(Protocol):
    """Computes the table flowing out of one step on the worker side (a process, a Space, a cluster).

    Raises StepPreviewFailed naming the node when the graph or data is at fault, Unavailable when the
    worker cannot be reached."""

    async def preview(self, request: PreviewRequest, datasets: Mapping[str, Path]) -> PreviewResult: ...


@runtime_checkable
class RunWakeup(Protocol):
    """Tells the run supervisors a run was queued, so they claim it at once rather than at their next
    poll; across replicas where the store is shared (PostgreSQL LISTEN/NOTIFY)."""

    async def notify(self) -> None:
        """A run was queued (call after its unit of work committed)."""
        ...

    async def wait(self) -> None:
        """Return once a run was queued since the last return (at once if one was meanwhile)."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class Predictor(Protocol):
    """Predicts with a model artifact (loaded safely: no pickle) on rows already checked against its schema.

    It predicts where the executor's models live (a warm process, the Space, the cluster), never in the
    API process; `artifact_key` is the artifact's blob key (its SHA-256), fetched from the blob store only
    when that place does not hold the model yet. InvalidInput names the row and column that do not fit.
    """

    async def predict(
        self, artifact_key: str, rows: builtins.list[dict[str, object]], explain: bool = False
    ) -> Predictions:
        """With `explain`, also each row's SHAP values (base value + contributions = the raw output)."""
        ...


@runtime_checkable
class ArtifactVerifier(Protocol):
    """Checks a model artifact an executor sent, on the worker's side, before it is stored: it must load
    with the engine's allowlist (the classes the catalog's nodes write), as prediction will load it."""

    async def refusal(self, artifact: bytes) -> str | None:
        """Why the artifact is refused, or None when it is one this engine could have written."""
        ...


@runtime_checkable
class IdentityProvider(Protocol):
    async def identity_from_id_token(self, id_token: str) -> Identity:
        """Verify signature, issuer, audience and expiry; raise Unauthorized otherwise."""
        ...


@runtime_checkable
class TokenService(Protocol):
    def issue(self, user_id: str, session_version: int) -> str: ...
    def verify(self, token: str) -> SessionClaims:
        """Who the token was issued for, under which session version; Unauthorized if tampered, expired
        (its `exp`, or its `iat` older than the session lifetime whatever `exp` claims) or malformed."""
        ...
