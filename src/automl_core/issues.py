"""The one shape every problem report takes: validation, ingestion and prediction alike."""

from __future__ import annotations

import msgspec


class Issue(msgspec.Struct, omit_defaults=True, frozen=True):
    """A problem and where it is: a node, an edge, a field, a row or a column."""

    code: str
    message: str
    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None
    row: int | None = None
    column: str | None = None
