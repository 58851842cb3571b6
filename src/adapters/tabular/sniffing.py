"""What an upload is, from its bytes: format, encoding, delimiter and header, before polars reads it.

Line numbers in issues count physical lines of the file from 1 (with no preamble, the header is
line 1). `ReadOptions` override what sniffing would guess.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from automl_core.errors import InvalidInput, UnsupportedFormat
from automl_core.issues import Issue
from automl_core.ports import ReadOptions

SAMPLE_BYTES = 1 << 20
READ_BYTES = 1 << 22
DELIMITERS = (",", "\t", ";", "|")
MAX_ISSUES = 10
MAX_PREAMBLE = 20
"""How many leading lines a suggestion of `skip_rows` considers."""
TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".dat", ""}
JSON_LINES_SUFFIXES = {".jsonl", ".ndjson", ".json"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
FORMATS = "CSV, TSV, Parquet or JSON lines"
BINARY_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (Excel .xlsx?)",
    b"\xd0\xcf\x11\xe0": "an old Office document (Excel .xls?)",
    b"\x1f\x8b": "a gzip archive",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"SQLite format 3": "an SQLite database",
    b"ARROW1": "an Arrow IPC file",
}


def invalid(code: str, message: str, line: int | None = None) -> InvalidInput:
    return InvalidInput(message, [Issue(code=code, message=message, row=line)])


@dataclass
class Upload:
    """What sniffing learned. `content_hash` is the SHA-256 of the file as uploaded."""

    format: str
    content_hash: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header: list[str] = field(default_factory=list)
    skip_rows: int = 0
    header_row: bool = True


def _digest(path: Path, text: bool) -> tuple[str, str]:
    """One pass over the file: its SHA-256 and, for text, its encoding (UTF-8 unless some byte
    sequence is not, then Latin-1, which decodes anything)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if text else None
    utf8 = True
    with path.open("rb") as f:
        while chunk := f.read(READ_BYTES):
            digest.update(chunk)
            if decoder is not None and utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if decoder is not None and utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), "utf-8" if utf8 else "latin-1"


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) // 100


def _complete_lines(head: bytes, encoding: str, whole: bool) -> str:
    """The sample's whole lines. A UTF-8 byte-order mark goes whatever the encoding: a UTF-8 file that
    later gained Latin-1 bytes reads as Latin-1, and its first column must not be named "ï»¿a"."""
    text = head.removeprefix(codecs.BOM_UTF8).decode(encoding, errors="replace")
    return text if whole else text[: text.rfind("\n") + 1]


def _records(lines: Iterable[str], delimiter: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on."""
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    start = first_line
    for record in reader:
        yield start, record
        start = first_line + reader.line_num


def _delimiter(text: str, preferred: str) -> str:
    """The candidate under which most records have the header's width (at least two fields).

    Counting records, not a ratio, matters: a wrong candidate can pair stray quotes across lines
    and swallow the sample into one "consistent" record."""
    best: tuple[int, int, bool] | None = None
    choice = ""
    for candidate in DELIMITERS:
        widths = [len(r) for _, r in islice(_records(io.StringIO(text, newline=""), candidate), 200) if r]
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths), widths[0], candidate == preferred)
        if best is None or score > best:
            best, choice = score, candidate
    if not choice:
        raise invalid(
            "single_column",
            "Found a single column (no comma, tab, semicolon or | between fields); a table needs at "
            "least a feature and a target",
            1,
        )
    return choice


def ragged_lines(lines: Iterable[str], delimiter: str, width: int, first_line: int = 1) -> list[Issue]:
    issues: list[Issue] = []
    for line, record in _records(lines, delimiter, first_line):
        if record and len(record) != width:
            issues.append(
                Issue(
                    code="ragged_row",
                    message=f"Line {line} has {len(record)} fields; the header has {width}",
                    row=line,
                )
            )
            if len(issues) == MAX_ISSUES:
                break
    return issues


def ragged_error(issues: list[Issue], suggestion: str = "") -> InvalidInput:
    first = issues[0].message
    return InvalidInput(f"Rows don't fit the header: {first[0].lower()}{first[1:]}{suggestion}", issues)


def _fits(text: str, delimiter: str) -> bool:
    """Whether every sampled record has the first record's width (at least two fields)."""
    widths = [len(r) for _, r in islice(_records(io.StringIO(text, newline=""), delimiter), 200) if r]
    return bool(widths) and widths[0] >= 2 and all(w == widths[0] for w in widths)


def suggest(text: str, delimiter: str, skip_rows: int) -> str:
    """The option that would read a table whose rows don't fit its header, as a sentence to append."""
    lines = text.splitlines(keepends=True)
    for extra in range(1, MAX_PREAMBLE + 1):
        if _fits("".join(lines[skip_rows + extra :]), delimiter):
            n = skip_rows + extra
            return f". The first {n} line{'s look' if n > 1 else ' looks'} like a preamble: try skip_rows={n}"
    for candidate in DELIMITERS:
        if candidate != delimiter and _fits("".join(lines[skip_rows:]), candidate):
            return f". The fields look separated by {candidate!r}: try delimiter={candidate!r}"
    return ""


def _encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise invalid("unknown_encoding", f"Unknown encoding {name!r}: try utf-8, latin-1 or cp1252") from None


def _option_delimiter(value: str) -> str:
    value = {"tab": "\t", "\\t": "\t"}.get(value, value)
    if len(value) != 1 or value in "\r\n\"":
        raise invalid("invalid_delimiter", "The delimiter must be one character, such as , ; | or tab")
    return value


def sniff(path: Path, filename: str, options: ReadOptions = ReadOptions()) -> Upload:
    suffix = Path(filename).suffix.lower()
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
        whole = not f.read(1)
    if not head.strip():
        raise invalid("empty", "The file is empty")
    if head.startswith(b"PAR1"):
        return Upload("parquet", _digest(path, text=False)[0])
    if suffix in PARQUET_SUFFIXES:
        raise invalid("corrupt_parquet", "The file is named .parquet but is not a Parquet file")
    for signature, what in BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise UnsupportedFormat(f"This is {what}; upload {FORMATS}")
    if suffix not in TEXT_SUFFIXES | JSON_LINES_SUFFIXES:
        raise UnsupportedFormat(f"Files ending in {suffix} aren't supported; upload {FORMATS}")
    if _looks_binary(head):
        raise invalid("binary", "The file holds binary data, not text; upload " + FORMATS)
    content_hash, encoding = _digest(path, text=True)
    if options.encoding:
        encoding = _encoding(options.encoding)
    whole_text = _complete_lines(head, encoding, whole)
    skip = options.skip_rows
    text = "".join(whole_text.splitlines(keepends=True)[skip:])
    first = text.lstrip()[:1]
    if first == "[" and suffix in JSON_LINES_SUFFIXES:
        raise UnsupportedFormat("JSON arrays aren't supported; upload JSON lines (one object per line)")
    if first == "{" and suffix not in (".csv", ".tsv"):
        return Upload("jsonl", content_hash, encoding)
    if options.delimiter:
        delimiter = _option_delimiter(options.delimiter)
    else:
        try:
            delimiter = _delimiter(text, "\t" if suffix in (".tsv", ".tab") else ",")
        except InvalidInput as exc:
            hint = suggest(whole_text, ",", skip)
            if hint:
                raise InvalidInput(f"{exc.message}{hint}", exc.issues) from None
            raise
    records = (r for r in _records(io.StringIO(text, newline=""), delimiter, skip + 1) if r[1])
    first_record = next(records, None)
    if first_record is None:
        raise invalid("empty", f"Nothing is left after skipping {skip} lines")
    header = first_record[1] if options.header_row else [f"column_{i + 1}" for i in range(len(first_record[1]))]
    if issues := ragged_lines(io.StringIO(text, newline=""), delimiter, len(header), skip + 1):
        raise ragged_error(issues, suggest(whole_text, delimiter, skip))
    kind = "tsv" if delimiter == "\t" else "csv"
    return Upload(kind, content_hash, encoding, delimiter, header, skip, options.header_row)


def unique_names(names: list[str]) -> tuple[list[str], list[Issue]]:
    """Empty names become `column_<n>`, repeats get `_2`, `_3`…; each change is reported."""
    taken: set[str] = set()
    result: list[str] = []
    warnings: list[Issue] = []
    for position, raw in enumerate(names, start=1):
        name = raw if raw.strip() else f"column_{position}"
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        if not raw.strip():
            warnings.append(
                Issue("empty_column_name", f"Column {position} had no name; called it {name!r}", column=name)
            )
        elif name != raw:
            warnings.append(
                Issue("duplicate_column_name", f"Column {position} repeats {raw!r}; renamed {name!r}", column=name)
            )
        taken.add(name)
        result.append(name)
    return result, warnings
