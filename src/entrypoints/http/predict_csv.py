"""Prediction from a CSV file: read in chunks of rows off the event loop, each predicted as it comes.

The file itself is bounded by the upload limit (it is received to disk as an upload is); rows are
never all in memory at once, so the API holds one chunk of rows plus the predictions whatever the
file's size. Every row must have as many values as the header: a short row is not padded, it is
refused with its number (as every other row problem is, counted from 0 after the header).
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from automl_core.errors import InvalidInput
from automl_core.issues import Issue
from automl_core.models import Predictions
from automl_core.services.models import ModelService

CHUNK_ROWS = 2_000
"""Rows checked and predicted per step: small enough that checking them never holds the event loop long."""


def _invalid(message: str, issue: Issue) -> InvalidInput:
    return InvalidInput(message, [issue])


class CsvChunks:
    """Chunks of `{column: text}` rows from a UTF-8 CSV file (a byte-order mark is dropped)."""

    def __init__(self, path: Path, size: int = CHUNK_ROWS) -> None:
        self.size = size
        self._file = path.open("rb")
        text = io.TextIOWrapper(self._file, encoding="utf-8-sig", errors="strict", newline="")
        self._reader = csv.reader(text, strict=True)
        self._header: list[str] | None = None
        self._index = 0

    def close(self) -> None:
        self._file.close()

    def next_chunk(self) -> list[dict[str, Any]]:
        """The next rows (empty at the end); InvalidInput naming the row that cannot be read."""
        try:
            if self._header is None:
                self._header = next(self._rows(), None) or []
                if not self._header:
                    raise _invalid("the CSV file is empty", Issue("invalid_csv", "no header row", field="file"))
            chunk = []
            for values in itertools.islice(self._rows(), self.size):
                if len(values) != len(self._header):
                    problem = f"row {self._index} has {len(values)} values; the header has {len(self._header)}"
                    raise _invalid("a row of the CSV file does not match its header",
                                   Issue("ragged_row", problem, row=self._index, field="file"))  # fmt: skip
                chunk.append(dict(zip(self._header, values, strict=True)))
                self._index += 1
            return chunk
        except (UnicodeDecodeError, csv.Error) as exc:
            where = f"row {self._index}: " if self._header is not None else ""
            raise _invalid(
                "the CSV file could not be read", Issue("invalid_csv", f"{where}{exc}", field="file")
            ) from None

    def _rows(self) -> Iterator[list[str]]:
        return (values for values in self._reader if values)  # a blank line is not a row


async def predict_csv(models: ModelService, owner_id: str, model_id: str, path: Path) -> Predictions:
    """Predictions for every row of the file, a chunk at a time (reading in a thread)."""
    chunks = await asyncio.to_thread(CsvChunks, path)
    predictions: list[Any] = []
    probabilities: list[list[float]] | None = []
    classes = None
    first = 0
    try:
        while rows := await asyncio.to_thread(chunks.next_chunk):
            part = await models.predict(owner_id, model_id, rows, first_row=first)
            first += len(rows)
            predictions.extend(part.predictions)
            classes = part.classes
            probabilities = (
                None if part.probabilities is None or probabilities is None else probabilities + part.probabilities
            )
    finally:
        chunks.close()
    if not predictions:
        raise _invalid("the CSV file has no rows", Issue("no_rows", "send at least one row", field="file"))
    return Predictions(predictions=predictions, probabilities=probabilities, classes=classes)
