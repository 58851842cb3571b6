"""Trained models: what they predict from (feature schema), how well, and where they came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Feature(msgspec.Struct, frozen=True):
    name: str
    dtype: str


class Provenance(msgspec.Struct, kw_only=True):
    workflow: str
    """The id of the workflow that produced the model."""
    dataset_id: str
    dataset_hash: str
    seed: int
    library_versions: dict[str, str]
    workflow_hash: str = ""


class ModelRecord(msgspec.Struct, kw_only=True):
    id: str
    owner_id: str
    name: str
    run_id: str
    node_id: str
    algorithm: str
    task: str
    target: str | None
    metrics: dict[str, float]
    features: list[Feature]
    classes: list[Any] | None = None
    created_at: datetime
    provenance: Provenance
    artifact_key: str
    """Blob key of the skops file."""
