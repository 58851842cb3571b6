"""Failures the engine reports, each naming the node the user has to fix."""

from __future__ import annotations


class EngineError(Exception):
    """A run cannot go on; `node_id` points the canvas at the culprit."""

    def __init__(self, message: str, node_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node_id = node_id

    def __str__(self) -> str:
        return f"{self.message} (node {self.node_id})" if self.node_id else self.message


class EngineCancelled(Exception):
    """`should_stop` asked the engine to stop."""


class PredictionError(ValueError):
    """A row does not fit the model's feature schema (the API answers 422 naming row and column)."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
