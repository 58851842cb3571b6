"""PolarsTableReader: upload on disk → typed, zstd-compressed Parquet in `workdir` + schema + profile.

Three lazy passes at most: sniffing (hash + encoding check, plain Python I/O), `scan_* → sink_parquet`
(streaming, bounded memory), and one `select` over the Parquet for every column statistic at once.
`content_hash` is the SHA-256 of the upload as received, so the same file always hashes the same
whatever the Parquet writer does; the blob key of the stored Parquet is its own hash.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import math
import os
import re
import threading
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import polars as pl
import polars.selectors as cs

from adapters.tabular.sniffing import Upload, invalid, ragged_error, ragged_lines, sniff, unique_names
from automl_core.datasets import NUMERIC, Column, ColumnProfile, DType, HistogramBin, TopValue
from automl_core.errors import InvalidInput
from automl_core.issues import Issue
from automl_core.ports import IngestedTable, Preview, ReadOptions

NULL_VALUES = ["NA", "?", ""]
INFER_ROWS = 1_000
EXACT_UNIQUE_LIMIT = 100_000
"""Above this many distinct values (estimated), a column's count stays an estimate: see `_exact_counts`."""
UNPARSED = re.compile(r"could not parse .* \(column number (\d+)\)", re.DOTALL)
TRANSCODE_CHARS = 1 << 20
MAX_COLUMNS = 1_000


def logical_dtype(dtype: pl.DataType) -> DType:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "float"
    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
        return "string"
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        return "datetime"
    return "other"


def json_safe(value: Any) -> Any:
    """Cell values as JSON can carry them: no NaN/inf, times as ISO 8601, nested values walked."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return json_safe(float(value))
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


class _Abandoned(Exception):
    """Whoever asked for this ingestion stopped waiting for it."""


def _unless(stop: threading.Event) -> None:
    if stop.is_set():
        raise _Abandoned


def _transcode(source: Path, target: Path, encoding: str) -> None:
    """The file as UTF-8, without a UTF-8 byte-order mark it may start with (see `sniffing`)."""
    with source.open("rb") as raw:
        bom = raw.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    with (
        source.open(encoding=encoding, errors="replace", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        if bom:
            src.read(len(codecs.BOM_UTF8.decode(encoding, errors="replace")))
        while chunk := src.read(TRANSCODE_CHARS):
            dst.write(chunk)


def _names(original: list[str]) -> tuple[list[str], list[Issue]]:
    """Column names the database can store (PostgreSQL holds no NUL character), unique, each change noted."""
    cleaned = [name.replace("\x00", "") for name in original]
    names, warnings = unique_names(cleaned)
    for before, name in zip(original, names, strict=True):
        if "\x00" in before:
            message = f"column `{name}`: NUL characters were removed from its name"
            warnings.append(Issue("nul_character", message, column=name))
    return names, warnings


def _without_nul(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Text values without NUL characters, which no database column of text can hold."""
    return lf.with_columns(cs.string().str.replace_all("\x00", "", literal=True))


def _refuse_nested(schema: pl.Schema) -> None:
    """A column of lists or records has no type a model learns from: the table must be flat."""
    for name, dtype in schema.items():
        if dtype.is_nested() or dtype == pl.Object:
            shown = name.replace("\x00", "")
            message = f"column `{shown}` holds lists or records ({dtype.base_type()}); flatten it first"
            raise InvalidInput(message, [Issue("nested_column", message, column=shown)])


class PolarsTableReader:
    def __init__(self, *, histogram_bins: int = 20, top_values: int = 10, max_columns: int = MAX_COLUMNS) -> None:
        """`max_columns`: profiling costs grow with the columns (1,000 took ~9 s on a loaded 2-core
        machine, 10,000 about 4 min), so a wider table is refused before any work."""
        self.histogram_bins = histogram_bins
        self.top_values = top_values
        self.max_columns = max_columns

    async def ingest(
        self, path: Path, filename: str, workdir: Path, options: ReadOptions = ReadOptions()
    ) -> IngestedTable:
        """Cancelled (say, the client went away), the reading thread stops at its next stage and is
        waited for, so its scratch files are gone before the caller removes `workdir`."""
        stop = threading.Event()
        work = asyncio.ensure_future(asyncio.to_thread(self._ingest, path, filename, workdir, options, stop))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            stop.set()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await work
            raise

    async def preview(self, parquet: Path, limit: int, offset: int) -> Preview:
        return await asyncio.to_thread(self._preview, parquet, limit, offset)

    def _ingest(
        self, path: Path, filename: str, workdir: Path, options: ReadOptions, stop: threading.Event
    ) -> IngestedTable:
        upload = sniff(path, filename, options)
        _unless(stop)
        workdir.mkdir(parents=True, exist_ok=True)
        stem = workdir / uuid.uuid4().hex
        target = stem.with_suffix(".parquet")
        scratch = [stem.with_suffix(".partial"), stem.with_suffix(".utf8")]
        try:
            warnings = self._write(upload, path, target, *scratch)
            _unless(stop)
            return self._describe(upload, target, warnings, stop)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        finally:
            for leftover in scratch:
                leftover.unlink(missing_ok=True)

    def _write(self, upload: Upload, path: Path, target: Path, partial: Path, utf8: Path) -> list[Issue]:
        if upload.encoding != "utf-8":
            _transcode(path, utf8, upload.encoding)
            path = utf8
        try:
            if upload.format in ("csv", "tsv"):
                warnings = self._sink_csv(upload, path, partial)
            else:
                lf = (
                    pl.scan_parquet(path)
                    if upload.format == "parquet"
                    else pl.scan_ndjson(path, infer_schema_length=INFER_ROWS)
                )
                schema = lf.collect_schema()
                self._check_width(len(schema))
                _refuse_nested(schema)
                original = schema.names()
                names, warnings = _names(original)
                _without_nul(lf.rename(dict(zip(original, names, strict=True)))).sink_parquet(partial)
        except pl.exceptions.PolarsError as e:
            raise invalid("unreadable", f"Could not read the file: {str(e).splitlines()[0]}") from e
        os.replace(partial, target)
        return warnings

    def _check_width(self, columns: int) -> None:
        if columns > self.max_columns:
            message = (
                f"the table has {columns:,} columns; at most {self.max_columns:,} are profiled (AUTOML_MAX_COLUMNS)"
            )
            raise InvalidInput(message, [Issue("too_many_columns", message, field="file")])

    def _sink_csv(self, upload: Upload, path: Path, partial: Path) -> list[Issue]:
        """Infer types from the first rows, then stream; a later value that doesn't fit its column's
        type (polars names it) widens that column (integer → float → string) and the sink reruns.
        Inferring from more rows instead is costly: date detection slows down sharply past ~1,000."""
        self._check_width(len(upload.header))
        names, warnings = _names(upload.header)
        options: dict[str, Any] = {"separator": upload.delimiter, "null_values": NULL_VALUES}
        # Lines, not records, are skipped: a quoted header name may hold line breaks of its own.
        header_lines = 1 + sum(name.count("\n") for name in upload.header) if upload.header_row else 0
        skip = upload.skip_rows + header_lines
        inferred = pl.scan_csv(
            path,
            new_columns=names,
            has_header=upload.header_row,
            skip_lines=upload.skip_rows,
            try_parse_dates=True,
            infer_schema_length=INFER_ROWS,
            **options,
        ).collect_schema()
        schema = dict(inferred)
        for _ in range(2 * len(names) + 1):
            try:
                scan = pl.scan_csv(path, schema=schema, has_header=False, skip_lines=skip, **options)
                _without_nul(scan).sink_parquet(partial)
                return warnings
            except pl.exceptions.ComputeError as e:
                if unparsed := UNPARSED.search(str(e)):
                    name = names[int(unparsed[1]) - 1]
                    schema[name] = pl.Float64() if schema[name].is_integer() else pl.String()
                elif "more fields" in str(e):
                    with path.open(encoding="utf-8-sig", newline="") as lines:
                        body = islice(lines, upload.skip_rows, None)
                        issues = ragged_lines(body, upload.delimiter, len(names), upload.skip_rows + 1)
                        raise ragged_error(issues) from e
                else:
                    raise
        raise AssertionError("every column is a string by now, which always parses")

    def _describe(self, upload: Upload, parquet: Path, warnings: list[Issue], stop: threading.Event) -> IngestedTable:
        lf = pl.scan_parquet(parquet)
        schema = lf.collect_schema()
        if len(schema) < 2:
            raise invalid("single_column", "The table has a single column; it needs at least a feature and a target")
        kinds = {name: logical_dtype(dtype) for name, dtype in schema.items()}
        row = (
            lf.select(pl.len().alias("rows"), *self._statistics(schema, kinds))
            .collect(engine="streaming")
            .row(0, named=True)
        )
        row.update(self._exact_counts(lf, schema, kinds, row, stop))
        if row["rows"] == 0:
            if upload.format in ("csv", "tsv"):
                raise invalid("header_only", "The file has a header but no data rows")
            raise invalid("no_rows", "The table has no rows")
        profile = [self._profile(i, name, kinds[name], row) for i, name in enumerate(schema)]
        return IngestedTable(
            parquet_path=str(parquet),
            format=upload.format,
            row_count=row["rows"],
            content_hash=upload.content_hash,
            columns=[Column(p.name, p.dtype, p.missing, p.unique) for p in profile],
            profile=profile,
            warnings=warnings,
        )

    def _statistics(self, schema: pl.Schema, kinds: dict[str, DType]) -> list[pl.Expr]:
        """Every column's statistics as expressions of one `select`, aliased `<position>.<stat>`."""
        exprs = []
        for i, (name, dtype) in enumerate(schema.items()):
            column = pl.nth(i)  # not pl.col: a name like "*" or "^a.*$" would select many
            exprs += [
                column.null_count().alias(f"{i}.missing"),
                column.drop_nulls().approx_n_unique().alias(f"{i}.unique"),
            ]
            kind = kinds[name]
            if kind in NUMERIC:
                values = column.filter(column.is_finite()) if dtype.is_float() else column
                exprs += [
                    values.min().cast(pl.Float64).alias(f"{i}.min"),
                    values.max().cast(pl.Float64).alias(f"{i}.max"),
                    values.mean().cast(pl.Float64).alias(f"{i}.mean"),
                    values.std().cast(pl.Float64).alias(f"{i}.std"),
                ]
            elif kind == "datetime":
                exprs += [column.min().alias(f"{i}.min"), column.max().alias(f"{i}.max")]
        return exprs

    def _exact_counts(
        self,
        lf: pl.LazyFrame,
        schema: pl.Schema,
        kinds: dict[str, DType],
        approx: dict[str, Any],
        stop: threading.Event,
    ) -> dict[str, Any]:
        """Histograms, exact distinct counts (they decide the task: 2 values is binary, 20 multiclass) and
        top values, each as a streaming group-by over one column so memory stays bounded by the number of
        groups, not rows. A column estimated past EXACT_UNIQUE_LIMIT keeps its estimate and gets no top
        values: counting it exactly would hold every value in memory."""
        found: dict[str, Any] = {}
        for i, (name, dtype) in enumerate(schema.items()):
            _unless(stop)
            column = pl.nth(i)
            if kinds[name] in NUMERIC:
                found[f"{i}.histogram"] = self._histogram(lf, column, dtype, approx[f"{i}.min"], approx[f"{i}.max"])
            if approx[f"{i}.unique"] > EXACT_UNIQUE_LIMIT:
                found[f"{i}.top_values"] = None
                continue
            counts = (
                lf.select(column.alias("value"))
                .drop_nulls()
                .group_by("value")
                .len(name="count")
                .collect(engine="streaming")
            )
            found[f"{i}.unique"] = counts.height
            if kinds[name] in ("string", "boolean"):
                top = counts.sort(["count", "value"], descending=[True, False]).head(self.top_values)
                found[f"{i}.top_values"] = top.to_dicts()
        return found

    def _histogram(
        self, lf: pl.LazyFrame, column: pl.Expr, dtype: pl.DataType, low: Any, high: Any
    ) -> list[dict[str, Any]]:
        """Equal-width bins over [min, max], as `{"breakpoint": upper edge, "count"}` per bin."""
        if low is None or high is None:
            return []
        bins = self.histogram_bins
        width = (high - low) / bins or 1.0
        values = (column.filter(column.is_finite()) if dtype.is_float() else column).cast(pl.Float64)
        index = ((values - low) / width).floor().clip(0, bins - 1).cast(pl.Int64).alias("bin")
        counts = dict(
            lf.select(index).drop_nulls().group_by("bin").len(name="count").collect(engine="streaming").iter_rows()
        )
        return [{"breakpoint": low + width * (k + 1), "count": counts.get(k, 0)} for k in range(bins)]

    @staticmethod
    def _profile(i: int, name: str, kind: DType, row: dict[str, Any]) -> ColumnProfile:
        missing, unique = row[f"{i}.missing"], row[f"{i}.unique"]
        extra: dict[str, Any] = {}
        if kind in NUMERIC:
            extra = {k: json_safe(row[f"{i}.{k}"]) for k in ("min", "max", "mean", "std")}
            bins = row[f"{i}.histogram"]
            if extra["min"] is not None and bins:
                edges = [b["breakpoint"] for b in bins]
                first = edges[0] - (edges[1] - edges[0]) if len(edges) > 1 else extra["min"]
                starts = [first, *edges[:-1]]
                extra["histogram"] = [
                    HistogramBin(start, b["breakpoint"], b["count"]) for start, b in zip(starts, bins, strict=True)
                ]
        elif kind == "datetime":
            extra = {k: json_safe(row[f"{i}.{k}"]) for k in ("min", "max")}
        elif kind in ("string", "boolean") and row[f"{i}.top_values"] is not None:
            extra["top_values"] = [TopValue(json_safe(v["value"]), v["count"]) for v in row[f"{i}.top_values"]]
        return ColumnProfile(name=name, dtype=kind, missing=missing, unique=unique, **extra)

    @staticmethod
    def _preview(parquet: Path, limit: int, offset: int) -> Preview:
        lf = pl.scan_parquet(parquet)
        total = lf.select(pl.len()).collect().item()
        frame = lf.slice(offset, limit).collect()
        return Preview(
            columns=frame.columns,
            rows=[[json_safe(v) for v in row] for row in frame.iter_rows()],
            total_rows=total,
        )
