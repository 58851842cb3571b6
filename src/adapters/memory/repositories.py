"""Repositories over plain dicts, with a unit of work that commits or discards as one.

Transactions are serialised by one lock, which gives the compare-and-set and claim semantics the
SQL adapters get from the database.
"""

from __future__ import annotations

import asyncio
import builtins
import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import msgspec

from automl_core.datasets import Dataset
from automl_core.errors import Conflict, NotFound
from automl_core.models import ModelRecord
from automl_core.ports import LOG_TAIL, CacheEntry, Page
from automl_core.runs import NodeStatus, Progress, Run, RunError, RunResult, RunStatus
from automl_core.users import User
from automl_core.workflow import Workflow


class MemoryStore:
    """The 'database': committed state shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {
            "users": {},
            "identities": {},
            "datasets": {},
            "workflows": {},
            "runs": {},
            "models": {},
            "node_cache": {},
        }
        self.lock = asyncio.Lock()


class _Table:
    def __init__(self, tables: dict[str, dict[Any, Any]], name: str, kind: str) -> None:
        self.tables = tables
        self.name = name
        self.kind = kind

    @property
    def rows(self) -> dict[Any, Any]:
        return self.tables[self.name]

    def owned(self, owner_id: str, ident: str) -> Any:
        row = self.rows.get(ident)
        if row is None or row.owner_id != owner_id:
            raise NotFound(self.kind, ident)
        return copy.deepcopy(row)

    def listing(self, owner_id: str, limit: int, offset: int, **match: Any) -> Page[Any]:
        items = [
            copy.deepcopy(r)
            for r in self.rows.values()
            if r.owner_id == owner_id and all(getattr(r, k) == v for k, v in match.items() if v is not None)
        ]
        items.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return Page(items=items[offset : offset + limit], total=len(items))

    def insert(self, row: Any) -> None:
        if row.id in self.rows:
            raise Conflict(f"{self.kind} {row.id!r} exists")
        self.rows[row.id] = copy.deepcopy(row)

    def remove(self, owner_id: str, ident: str) -> None:
        self.owned(owner_id, ident)
        del self.rows[ident]


class MemoryUserRepository:
    def __init__(self, tables: dict[str, dict[Any, Any]]) -> None:
        self.tables = tables

    @property
    def users(self) -> dict[str, User]:
        return self.tables["users"]

    @property
    def identities(self) -> dict[tuple[str, str], str]:
        return self.tables["identities"]

    async def add(self, user: User) -> None:
        if user.id in self.users or any(u.email == user.email for u in self.users.values()):
            raise Conflict(f"user {user.email!r} exists")
        self.users[user.id] = copy.deepcopy(user)

    async def get(self, user_id: str) -> User:
        if user_id not in self.users:
            raise NotFound("user", user_id)
        return copy.deepcopy(self.users[user_id])

    async def update(self, user: User) -> None:
        if user.id not in self.users:
            raise NotFound("user", user.id)
        self.users[user.id] = copy.deepcopy(user)

    async def end_sessions(self, user_id: str) -> None:
        if user_id in self.users:
            user = self.users[user_id]
            user.session_version += 1

    async def find_by_identity(self, provider: str, subject: str) -> User | None:
        user_id = self.identities.get((provider, subject))
        return copy.deepcopy(self.users[user_id]) if user_id else None

    async def find_by_email(self, email: str) -> User | None:
        found = next((u for u in self.users.values() if u.email == email), None)
        return copy.deepcopy(found)

    async def link_identity(self, user_id: str, provider: str, subject: str) -> None:
        if user_id not in self.users:
            raise NotFound("user", user_id)
        if (provider, subject) in self.identities:
            raise Conflict("identity already linked")
        self.identities[(provider, subject)] = user_id


class MemoryDatasetRepository:
    def __init__(self, tables: dict[str, dict[Any, Any]]) -> None:
        self.table = _Table(tables, "datasets", "dataset")

    async def add(self, dataset: Dataset) -> None:
        self.table.insert(dataset)

    async def get(self, owner_id: str, dataset_id: str) -> Dataset:
        found: Dataset = self.table.owned(owner_id, dataset_id)
        return found

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Dataset]:
        return self.table.listing(owner_id, limit, offset)

    async def delete(self, owner_id: str, dataset_id: str) -> None:
        self.table.remove(owner_id, dataset_id)

    async def blob_in_use(self, blob_key: str) -> bool:
        return any(d.blob_key == blob_key for d in self.table.rows.values())


class MemoryWorkflowRepository:
    def __init__(self, tables: dict[str, dict[Any, Any]]) -> None:
        self.table = _Table(tables, "workflows", "workflow")

    async def add(self, workflow: Workflow) -> None:
        self.table.insert(workflow)

    async def get(self, owner_id: str, workflow_id: str) -> Workflow:
        found: Workflow = self.table.owned(owner_id, workflow_id)
        return found

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Workflow]:
        return self.table.listing(owner_id, limit, offset)

    async def update(self, workflow: Workflow, expected_version: int) -> None:
        stored = self.table.owned(workflow.owner_id, workflow.id)
        if stored.version != expected_version:
            raise Conflict(f"workflow {workflow.id!r} changed since version {expected_version}")
        self.table.rows[workflow.id] = copy.deepcopy(workflow)

    async def delete(self, owner_id: str, workflow_id: str) -> None:
        self.table.remove(owner_id, workflow_id)


class MemoryRunRepository:
    def __init__(self, tables: dict[str, dict[Any, Any]]) -> None:
        self.table = _Table(tables, "runs", "run")

    async def add(self, run: Run) -> None:
        self.table.insert(run)

    async def get(self, owner_id: str, run_id: str) -> Run:
        found: Run = self.table.owned(owner_id, run_id)
        return found

    async def get_for_system(self, run_id: str) -> Run:
        if run_id not in self.table.rows:
            raise NotFound("run", run_id)
        return copy.deepcopy(self.table.rows[run_id])  # type: ignore[no-any-return]

    async def list(self, owner_id: str, workflow_id: str | None, limit: int, offset: int) -> Page[Run]:
        return self.table.listing(owner_id, limit, offset, workflow_id=workflow_id)

    async def transition(self, run: Run, expected: RunStatus) -> None:
        stored = await self.get_for_system(run.id)
        if stored.status != expected:
            raise Conflict(f"run {run.id!r} is {stored.status.value}, not {expected.value}")
        if stored.attempts != run.attempts:
            raise Conflict(f"run {run.id!r} is in attempt {stored.attempts}, not {run.attempts}")
        self.table.rows[run.id] = copy.deepcopy(run)

    def _patch(self, run_id: str, **changes: Any) -> None:
        if run_id not in self.table.rows:
            raise NotFound("run", run_id)
        self.table.rows[run_id] = msgspec.structs.replace(self.table.rows[run_id], **changes)

    async def set_progress(
        self,
        run_id: str,
        progress: Progress,
        log: Sequence[str] = (),
        nodes: Mapping[str, NodeStatus] | None = None,
    ) -> None:
        current = self.table.rows.get(run_id)
        lines = (current.log if current else []) + list(log)
        changes: dict[str, Any] = {"progress": progress, "log": lines[-LOG_TAIL:]}
        if nodes is not None:
            changes["nodes"] = dict(nodes)
        self._patch(run_id, **changes)

    async def request_finish(self, owner_id: str, run_id: str) -> bool:
        run = self.table.rows.get(run_id)
        if run is None or run.owner_id != owner_id or run.status is not RunStatus.RUNNING:
            return False
        self._patch(run_id, finish_requested=True)
        return True

    async def set_outcome(self, run_id: str, results: builtins.list[RunResult], error: RunError | None) -> None:
        self._patch(run_id, results=copy.deepcopy(results), error=error)

    async def claim_next(
        self, at: datetime, exclude_owners: Sequence[str] = (), *, lease_owner: str, lease_until: datetime
    ) -> Run | None:
        queued = sorted(
            (r for r in self.table.rows.values() if r.status is RunStatus.QUEUED and r.owner_id not in exclude_owners),
            key=lambda r: (r.created_at, r.id),
        )
        if not queued:
            return None
        claimed: Run = msgspec.structs.replace(
            queued[0].moved(RunStatus.RUNNING, at),
            attempts=queued[0].attempts + 1,
            lease_owner=lease_owner,
            lease_expires_at=lease_until,
        )
        self.table.rows[claimed.id] = claimed
        return copy.deepcopy(claimed)

    async def renew_leases(self, lease_owner: str, run_ids: Sequence[str], until: datetime) -> set[str]:
        held = set()
        for run_id in run_ids:
            run = self.table.rows.get(run_id)
            if run is not None and run.status is RunStatus.RUNNING and run.lease_owner == lease_owner:
                self._patch(run_id, lease_expires_at=until)
                held.add(run_id)
        return held

    async def release_leases(self, at: datetime, owner: str | None = None) -> builtins.list[Run]:
        def lapsed(run: Run) -> bool:
            if run.status is not RunStatus.RUNNING:
                return False
            return (
                run.lease_expires_at is None
                or run.lease_expires_at < at
                or (owner is not None and run.lease_owner == owner)
            )

        released = [r.moved(RunStatus.QUEUED, at) for r in self.table.rows.values() if lapsed(r)]
        for run in released:
            self.table.rows[run.id] = run
        return [copy.deepcopy(r) for r in sorted(released, key=lambda r: (r.created_at, r.id))]


class MemoryModelRepository:
    def __init__(self, tables: dict[str, dict[Any, Any]]) -> None:
        self.table = _Table(tables, "models", "model")

    async def add(self, model: ModelRecord) -> None:
        self.table.insert(model)

    async def get(self, owner_id: str, model_id: str) -> ModelRecord:
        found: ModelRecord = self.table.owned(owner_id, model_id)
        return found

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[ModelRecord]:
        return self.table.listing(owner_id, limit, offset)

    async def delete(self, owner_id: str, model_id: str) -> None:
        self.table.remove(owner_id, model_id)

    async def blob_in_use(self, blob_key: str) -> bool:
        return any(blob_key in (m.artifact_key, m.onnx_key) for m in self.table.rows.values())


class MemoryNodeCacheRepository:
    def __init__(self, tables: dict[str, dict[Any, Any]]) -> None:
        self.tables = tables

    @property
    def rows(self) -> dict[tuple[str, str], CacheEntry]:
        return self.tables["node_cache"]

    async def get(self, owner_id: str, key: str) -> CacheEntry | None:
        return self.rows.get((owner_id, key))

    async def touch(self, owner_id: str, key: str, at: datetime) -> None:
        entry = self.rows.get((owner_id, key))
        if entry is not None:
            self.rows[owner_id, key] = msgspec.structs.replace(entry, used_at=at)

    async def put(self, entry: CacheEntry) -> None:
        self.rows[entry.owner_id, entry.key] = entry

    async def evict(self, owner_id: str, max_bytes: int) -> list[CacheEntry]:
        newest_first = sorted(
            (e for e in self.rows.values() if e.owner_id == owner_id), key=lambda e: e.used_at, reverse=True
        )
        removed, total = [], 0
        for entry in newest_first:
            total += entry.size
            if total > max_bytes:
                removed.append(entry)
                del self.rows[owner_id, entry.key]
        return removed

    async def blob_in_use(self, blob_key: str) -> bool:
        return any(e.blob_key == blob_key for e in self.rows.values())


class MemoryUnitOfWork:
    """Works on a copy of the committed state; `commit()` publishes it, anything else discards it."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def __aenter__(self) -> Self:
        await self.store.lock.acquire()
        self._working = {name: dict(rows) for name, rows in self.store.tables.items()}
        self.users = MemoryUserRepository(self._working)
        self.datasets = MemoryDatasetRepository(self._working)
        self.workflows = MemoryWorkflowRepository(self._working)
        self.runs = MemoryRunRepository(self._working)
        self.models = MemoryModelRepository(self._working)
        self.node_cache = MemoryNodeCacheRepository(self._working)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.store.lock.release()

    async def commit(self) -> None:
        self.store.tables.update(self._working)
        self._refresh()

    async def rollback(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        """Start over from the committed state; repositories see it through the shared dict."""
        self._working.update({name: dict(rows) for name, rows in self.store.tables.items()})
