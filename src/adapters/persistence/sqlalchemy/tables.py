"""The schema: one table per aggregate, nested value objects as JSON (JSONB on PostgreSQL).

Column names equal the domain Structs' field names, so rows map to Structs by name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    false,
    text,
)

from adapters.persistence.sqlalchemy.database import UtcDateTime, json_type
from automl_core.runs import RunStatus

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id(name: str = "id", *args: Any, **kwargs: Any) -> Column[str]:
    return Column(name, Uuid(as_uuid=False), *args, **kwargs)


def _owner() -> Column[str]:
    return _id("owner_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _created() -> Column[object]:
    return Column("created_at", UtcDateTime(), nullable=False)


SHA256 = String(64)

users = Table(
    "users",
    metadata,
    _id(primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("picture", Text),
    _created(),
    Column("session_version", Integer, nullable=False, server_default="0"),
)

identities = Table(
    "identities",
    metadata,
    Column("provider", String(64), primary_key=True),
    Column("subject", Text, primary_key=True),
    _id("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
)

datasets = Table(
    "datasets",
    metadata,
    _id(primary_key=True),
    _owner(),
    Column("name", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("format", String(32), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content_hash", SHA256, nullable=False),
    Column("row_count", BigInteger, nullable=False),
    Column("columns", json_type(), nullable=False),
    Column("profile", json_type(), nullable=False),
    Column("blob_key", SHA256, nullable=False, index=True),
    _created(),
    Index("ix_datasets_owner_id_created_at", "owner_id", "created_at"),
)

workflows = Table(
    "workflows",
    metadata,
    _id(primary_key=True),
    _owner(),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("graph", json_type(), nullable=False),
    Column("version", Integer, nullable=False),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_workflows_owner_id_created_at", "owner_id", "created_at"),
)

runs = Table(
    "runs",
    metadata,
    _id(primary_key=True),
    _owner(),
    # No foreign key: a run keeps its snapshot and outlives the workflow it came from.
    _id("workflow_id", nullable=False),
    Column("snapshot", json_type(), nullable=False),
    Column("dataset_hashes", json_type(), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", json_type(), nullable=False),
    Column("error", json_type(nullable=True)),
    Column("log", json_type(), nullable=False),
    _created(),
    Column("started_at", UtcDateTime()),
    Column("finished_at", UtcDateTime()),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # The replica running the run and until when its claim holds (migration 0002).
    Column("lease_owner", Text),
    Column("lease_expires_at", UtcDateTime()),
    # Each step's state and "finish now" (migration 0007).
    Column("nodes", json_type(), nullable=False, server_default=text("'{}'")),
    Column("finish_requested", Boolean, nullable=False, server_default=false()),
    CheckConstraint(f"status IN ({', '.join(repr(s.value) for s in RunStatus)})", name="status"),
    Index("ix_runs_owner_id_created_at", "owner_id", "created_at"),
    Index("ix_runs_status_created_at", "status", "created_at"),
    Index("ix_runs_status_lease_expires_at", "status", "lease_expires_at"),
    Index("ix_runs_workflow_id", "workflow_id"),
)

run_results = Table(
    "run_results",
    metadata,
    _id("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("node_id", Text, nullable=False),
    Column("model_id", Text),
    Column("algorithm", Text, nullable=False),
    Column("task", String(32), nullable=False),
    Column("metrics", json_type(), nullable=False),
    Column("leaderboard", json_type(nullable=True)),
    Column("plots", json_type(), nullable=False),
    Column("primary_metric", Text),
    Column("timings", json_type(nullable=True)),
)

models = Table(
    "models",
    metadata,
    _id(primary_key=True),
    _owner(),
    _id("run_id", ForeignKey("runs.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("node_id", Text, nullable=False),
    Column("algorithm", Text, nullable=False),
    Column("task", String(32), nullable=False),
    Column("target", Text),
    Column("metrics", json_type(), nullable=False),
    Column("features", json_type(), nullable=False),
    Column("classes", json_type(nullable=True)),
    Column("primary_metric", Text),
    Column("provenance", json_type(), nullable=False),
    Column("artifact_key", SHA256, nullable=False, index=True),
    Column("onnx_key", SHA256, index=True),
    Column("onnx_error", Text),
    Column("explanation", json_type(nullable=True)),
    _created(),
    Index("ix_models_owner_id_created_at", "owner_id", "created_at"),
)

node_cache = Table(
    "node_cache",
    metadata,
    # Cached node outputs per user (migration 0003); the bytes are blobs, evicted least recently used first.
    _owner(),
    Column("key", SHA256, nullable=False),
    Column("blob_key", SHA256, nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("used_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("owner_id", "key"),
    Index("ix_node_cache_owner_id_used_at", "owner_id", "used_at"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("key", SHA256, primary_key=True),
    Column("size", BigInteger, nullable=False),
    _id("chunks_id", nullable=False, unique=True),
)

blob_chunks = Table(
    "blob_chunks",
    metadata,
    # Chunks are written before their blob's key (the hash) is known, hence no foreign key.
    _id("chunks_id", primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
