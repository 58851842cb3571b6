"""Repositories over one AsyncSession: rows map to the domain's Structs by field name.

Every user-facing statement carries `owner_id` in its WHERE clause, so another user's row is
indistinguishable from a missing one. Integrity errors surface as Conflict.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import ColumnElement, Row, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.sqlalchemy.tables import datasets, identities, models, run_results, runs, users, workflows
from automl_core.datasets import Dataset
from automl_core.errors import Conflict, NotFound
from automl_core.models import ModelRecord
from automl_core.ports import LOG_TAIL, Page
from automl_core.runs import NodeStatus, Progress, Run, RunError, RunResult, RunStatus
from automl_core.users import User
from automl_core.workflow import Workflow

S = TypeVar("S")


def _is_uuid(ident: str) -> bool:
    """Ids are UUIDs; anything else cannot name a row (and PostgreSQL would reject it as a type error)."""
    try:
        uuid.UUID(ident)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _column_value(value: Any) -> Any:
    """A datetime column takes the datetime; inside JSON (a step's `started_at`) it becomes ISO text."""
    return value if isinstance(value, datetime) else msgspec.to_builtins(value)


def _values(struct: msgspec.Struct, table: Table) -> dict[str, Any]:
    # Field by field, so defaults that the Struct omits when encoded (omit_defaults) are stored too.
    return {name: _column_value(getattr(struct, name)) for name in struct.__struct_fields__ if name in table.c}


def _fields(row: Row[Any]) -> dict[str, Any]:
    # Column names come back as `quoted_name`, a str subclass msgspec does not take as a key.
    return {str(name): value for name, value in row._mapping.items()}


def _struct(row: Row[Any], kind: type[S], **extra: Any) -> S:
    return msgspec.convert({**_fields(row), **extra}, kind)


@contextmanager
def _conflicts(message: str) -> Iterator[None]:
    try:
        yield
    except IntegrityError as e:
        raise Conflict(message) from e


class _OwnedTable:
    """add/get/list/delete for tables whose rows belong to a user."""

    table: Table
    kind: str
    struct: type[Any]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _owned(self, owner_id: str, ident: str) -> ColumnElement[bool]:
        return (self.table.c.id == ident) & (self.table.c.owner_id == owner_id)

    async def _insert(self, item: msgspec.Struct) -> None:
        with _conflicts(f"{self.kind} {getattr(item, 'id', '')!r} clashes with a stored one"):
            await self.session.execute(insert(self.table).values(_values(item, self.table)))

    async def _get(self, owner_id: str, ident: str) -> Any:
        row = None
        if _is_uuid(ident) and _is_uuid(owner_id):
            row = (await self.session.execute(select(self.table).where(self._owned(owner_id, ident)))).first()
        if row is None:
            raise NotFound(self.kind, ident)
        return _struct(row, self.struct)

    async def _page(self, owner_id: str, limit: int, offset: int) -> Page[Any]:
        if not _is_uuid(owner_id):
            return Page(items=[], total=0)
        condition = self.table.c.owner_id == owner_id
        total = await self.session.scalar(select(func.count()).select_from(self.table).where(condition))
        rows = await self.session.execute(
            select(self.table)
            .where(condition)
            .order_by(self.table.c.created_at.desc(), self.table.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return Page(items=[_struct(r, self.struct) for r in rows], total=total or 0)

    async def _delete(self, owner_id: str, ident: str) -> None:
        if _is_uuid(ident) and _is_uuid(owner_id):
            result = await self.session.execute(
                delete(self.table).where(self._owned(owner_id, ident)).returning(self.table.c.id)
            )
            if result.first() is not None:
                return
        raise NotFound(self.kind, ident)


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user: User) -> None:
        with _conflicts(f"user {user.email!r} exists"):
            await self.session.execute(insert(users).values(_values(user, users)))

    async def get(self, user_id: str) -> User:
        row = None
        if _is_uuid(user_id):
            row = (await self.session.execute(select(users).where(users.c.id == user_id))).first()
        if row is None:
            raise NotFound("user", user_id)
        return _struct(row, User)

    async def update(self, user: User) -> None:
        if _is_uuid(user.id):
            with _conflicts(f"user {user.email!r} exists"):
                result = await self.session.execute(
                    update(users)
                    .where(users.c.id == user.id)
                    .values(email=user.email, name=user.name, picture=user.picture)
                    .returning(users.c.id)
                )
            if result.first() is not None:
                return
        raise NotFound("user", user.id)

    async def end_sessions(self, user_id: str) -> None:
        if _is_uuid(user_id):
            await self.session.execute(
                update(users).where(users.c.id == user_id).values(session_version=users.c.session_version + 1)
            )

    async def find_by_identity(self, provider: str, subject: str) -> User | None:
        row = (
            await self.session.execute(
                select(users)
                .join(identities, identities.c.user_id == users.c.id)
                .where(identities.c.provider == provider, identities.c.subject == subject)
            )
        ).first()
        return None if row is None else _struct(row, User)

    async def find_by_email(self, email: str) -> User | None:
        row = (await self.session.execute(select(users).where(users.c.email == email))).first()
        return None if row is None else _struct(row, User)

    async def link_identity(self, user_id: str, provider: str, subject: str) -> None:
        await self.get(user_id)
        with _conflicts("identity already linked"):
            await self.session.execute(insert(identities).values(user_id=user_id, provider=provider, subject=subject))


class SqlDatasetRepository(_OwnedTable):
    table, kind, struct = datasets, "dataset", Dataset

    async def add(self, dataset: Dataset) -> None:
        await self._insert(dataset)

    async def get(self, owner_id: str, dataset_id: str) -> Dataset:
        found: Dataset = await self._get(owner_id, dataset_id)
        return found

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Dataset]:
        return await self._page(owner_id, limit, offset)

    async def delete(self, owner_id: str, dataset_id: str) -> None:
        await self._delete(owner_id, dataset_id)

    async def blob_in_use(self, blob_key: str) -> bool:
        return bool(await self.session.scalar(select(select(datasets).where(datasets.c.blob_key == blob_key).exists())))


class SqlWorkflowRepository(_OwnedTable):
    table, kind, struct = workflows, "workflow", Workflow

    async def add(self, workflow: Workflow) -> None:
        await self._insert(workflow)

    async def get(self, owner_id: str, workflow_id: str) -> Workflow:
        found: Workflow = await self._get(owner_id, workflow_id)
        return found

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Workflow]:
        return await self._page(owner_id, limit, offset)

    async def update(self, workflow: Workflow, expected_version: int) -> None:
        """One conditional UPDATE, so two writers holding the same version cannot both win."""
        await self.get(workflow.owner_id, workflow.id)
        values = _values(workflow, workflows)
        result = await self.session.execute(
            update(workflows)
            .where(self._owned(workflow.owner_id, workflow.id), workflows.c.version == expected_version)
            .values({k: values[k] for k in ("name", "description", "graph", "version", "updated_at")})
            .returning(workflows.c.id)
        )
        if result.first() is None:
            raise Conflict(f"workflow {workflow.id!r} changed since version {expected_version}")

    async def delete(self, owner_id: str, workflow_id: str) -> None:
        await self._delete(owner_id, workflow_id)


_RUN_STATE = (
    "status",
    "progress",
    "error",
    "log",
    "started_at",
    "finished_at",
    "lease_owner",
    "lease_expires_at",
    "nodes",
    "finish_requested",
)


class SqlRunRepository(_OwnedTable):
    table, kind, struct = runs, "run", Run

    async def _load(
        self, where: ColumnElement[bool], *, newest_first: bool = True, limit: int | None = None, offset: int = 0
    ) -> list[Run]:
        order = (runs.c.created_at.desc(), runs.c.id.desc()) if newest_first else (runs.c.created_at, runs.c.id)
        rows = (
            await self.session.execute(select(runs).where(where).order_by(*order).limit(limit).offset(offset))
        ).all()
        results: dict[str, list[dict[str, Any]]] = {row.id: [] for row in rows}
        if rows:
            found = await self.session.execute(
                select(run_results)
                .where(run_results.c.run_id.in_(list(results)))
                .order_by(run_results.c.run_id, run_results.c.position)
            )
            for r in found:
                results[r.run_id].append(_fields(r))
        return [_struct(row, Run, results=results[row.id]) for row in rows]

    async def _replace_results(self, run_id: str, items: Sequence[RunResult]) -> None:
        await self.session.execute(delete(run_results).where(run_results.c.run_id == run_id))
        if items:
            await self.session.execute(
                insert(run_results),
                [{**_values(r, run_results), "run_id": run_id, "position": i} for i, r in enumerate(items)],
            )

    async def add(self, run: Run) -> None:
        await self._insert(run)
        await self._replace_results(run.id, run.results)

    async def get(self, owner_id: str, run_id: str) -> Run:
        found = await self._load(self._owned(owner_id, run_id)) if _is_uuid(run_id) and _is_uuid(owner_id) else []
        if not found:
            raise NotFound("run", run_id)
        return found[0]

    async def get_for_system(self, run_id: str) -> Run:
        found = await self._load(runs.c.id == run_id) if _is_uuid(run_id) else []
        if not found:
            raise NotFound("run", run_id)
        return found[0]

    async def list(self, owner_id: str, workflow_id: str | None, limit: int, offset: int) -> Page[Run]:
        if not _is_uuid(owner_id) or (workflow_id is not None and not _is_uuid(workflow_id)):
            return Page(items=[], total=0)
        condition = runs.c.owner_id == owner_id
        if workflow_id is not None:
            condition &= runs.c.workflow_id == workflow_id
        total = await self.session.scalar(select(func.count()).select_from(runs).where(condition))
        return Page(items=await self._load(condition, limit=limit, offset=offset), total=total or 0)

    async def transition(self, run: Run, expected: RunStatus) -> None:
        """Compare-and-set in one UPDATE: on PostgreSQL a concurrent writer waits on the row lock and
        then finds the status (or the attempt) changed; SQLite has one writer at a time."""
        values = _values(run, runs)
        result = await self.session.execute(
            update(runs)
            .where(runs.c.id == run.id, runs.c.status == expected.value, runs.c.attempts == run.attempts)
            .values({k: values[k] for k in _RUN_STATE})
            .returning(runs.c.id)
        )
        if result.first() is None:
            stored = await self.get_for_system(run.id)
            if stored.status is expected:
                raise Conflict(f"run {run.id!r} is in attempt {stored.attempts}, not {run.attempts}")
            raise Conflict(f"run {run.id!r} is {stored.status.value}, not {expected.value}")
        await self._replace_results(run.id, run.results)

    async def set_progress(
        self,
        run_id: str,
        progress: Progress,
        log: Sequence[str] = (),
        nodes: Mapping[str, NodeStatus] | None = None,
    ) -> None:
        stored = None
        if _is_uuid(run_id):
            stored = await self.session.scalar(select(runs.c.log).where(runs.c.id == run_id).with_for_update())
        if stored is None:
            raise NotFound("run", run_id)
        values: dict[str, Any] = {"progress": msgspec.to_builtins(progress), "log": [*stored, *log][-LOG_TAIL:]}
        if nodes is not None:
            values["nodes"] = msgspec.to_builtins(dict(nodes))
        await self.session.execute(update(runs).where(runs.c.id == run_id).values(values))

    async def request_finish(self, owner_id: str, run_id: str) -> bool:
        if not (_is_uuid(run_id) and _is_uuid(owner_id)):
            return False
        marked = await self.session.execute(
            update(runs)
            .where(self._owned(owner_id, run_id), runs.c.status == RunStatus.RUNNING.value)
            .values(finish_requested=True)
            .returning(runs.c.id)
        )
        return marked.first() is not None

    async def set_outcome(self, run_id: str, results: Sequence[RunResult], error: RunError | None) -> None:
        found = None
        if _is_uuid(run_id):
            found = (
                await self.session.execute(
                    update(runs)
                    .where(runs.c.id == run_id)
                    .values(error=msgspec.to_builtins(error))
                    .returning(runs.c.id)
                )
            ).first()
        if found is None:
            raise NotFound("run", run_id)
        await self._replace_results(run_id, results)

    async def claim_next(
        self, at: datetime, exclude_owners: Sequence[str] = (), *, lease_owner: str, lease_until: datetime
    ) -> Run | None:
        """One UPDATE whose subquery locks the oldest queued row with FOR UPDATE SKIP LOCKED on
        PostgreSQL (replicas skip each other's picks); SQLite drops the clause and serialises writers,
        and the outer `status = 'queued'` keeps the claim exclusive there too."""
        oldest = (
            select(runs.c.id)
            .where(runs.c.status == RunStatus.QUEUED.value)
            .order_by(runs.c.created_at, runs.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if excluded := [o for o in exclude_owners if _is_uuid(o)]:
            oldest = oldest.where(runs.c.owner_id.not_in(excluded))
        claimed = (
            await self.session.execute(
                update(runs)
                .where(runs.c.id == oldest.scalar_subquery(), runs.c.status == RunStatus.QUEUED.value)
                .values(
                    status=RunStatus.RUNNING.value,
                    started_at=at,
                    attempts=runs.c.attempts + 1,
                    lease_owner=lease_owner,
                    lease_expires_at=lease_until,
                )
                .returning(runs.c.id)
            )
        ).scalar()
        return None if claimed is None else await self.get_for_system(claimed)

    async def renew_leases(self, lease_owner: str, run_ids: Sequence[str], until: datetime) -> set[str]:
        """One UPDATE: on PostgreSQL it waits for a replica releasing the same rows and then finds them
        queued (lost), or goes first and the release no longer sees them as expired."""
        ids = [r for r in run_ids if _is_uuid(r)]
        if not ids:
            return set()
        renewed = await self.session.execute(
            update(runs)
            .where(runs.c.id.in_(ids), runs.c.status == RunStatus.RUNNING.value, runs.c.lease_owner == lease_owner)
            .values(lease_expires_at=until)
            .returning(runs.c.id)
        )
        return {str(r) for r in renewed.scalars()}

    async def release_leases(self, at: datetime, owner: str | None = None) -> builtins.list[Run]:
        """Locks the lapsed rows (FOR UPDATE SKIP LOCKED: a row another replica is renewing or releasing
        right now is left to it) and requeues them in one UPDATE; the locks hold until commit."""
        lapsed = (runs.c.lease_expires_at.is_(None)) | (runs.c.lease_expires_at < at)
        if owner is not None:
            lapsed |= runs.c.lease_owner == owner
        chosen = (
            select(runs.c.id).where(runs.c.status == RunStatus.RUNNING.value, lapsed).with_for_update(skip_locked=True)
        )
        released = (
            await self.session.execute(
                update(runs)
                .where(runs.c.id.in_(chosen), runs.c.status == RunStatus.RUNNING.value)
                .values(
                    status=RunStatus.QUEUED.value,
                    started_at=None,
                    progress=msgspec.to_builtins(Progress()),
                    lease_owner=None,
                    lease_expires_at=None,
                    finish_requested=False,
                )
                .returning(runs.c.id)
            )
        ).scalars()
        ids = [str(r) for r in released]
        return await self._load(runs.c.id.in_(ids), newest_first=False) if ids else []


class SqlModelRepository(_OwnedTable):
    table, kind, struct = models, "model", ModelRecord

    async def add(self, model: ModelRecord) -> None:
        await self._insert(model)

    async def get(self, owner_id: str, model_id: str) -> ModelRecord:
        found: ModelRecord = await self._get(owner_id, model_id)
        return found

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[ModelRecord]:
        return await self._page(owner_id, limit, offset)

    async def delete(self, owner_id: str, model_id: str) -> None:
        await self._delete(owner_id, model_id)

    async def blob_in_use(self, blob_key: str) -> bool:
        used = (models.c.artifact_key == blob_key) | (models.c.onnx_key == blob_key)
        return bool(await self.session.scalar(select(select(models).where(used).exists())))
