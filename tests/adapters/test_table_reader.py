"""PolarsTableReader: every shared dataset, each kind of bad file, previews."""

import csv
import math
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from adapters.tabular import PolarsTableReader
from automl_core.errors import InvalidInput, UnsupportedFormat
from automl_core.ports import IngestedTable, TableReader

DATASETS = Path("/work/shared/datasets")
SHARED = sorted(DATASETS.glob("*.csv"))


@pytest.fixture
def reader() -> TableReader:
    return PolarsTableReader()


async def ingest(reader: TableReader, tmp_path: Path, name: str, content: bytes) -> IngestedTable:
    source = tmp_path / name
    source.write_bytes(content)
    return await reader.ingest(source, name, tmp_path / "work")


def leftovers(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "work").glob("*")) if (tmp_path / "work").exists() else []


def test_shared_datasets_are_present() -> None:
    assert len(SHARED) >= 13


@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.name)
async def test_shared_dataset(reader: TableReader, tmp_path: Path, path: Path) -> None:
    with path.open(newline="") as f:
        header, *rows = list(csv.reader(f))
    table = await reader.ingest(path, path.name, tmp_path)
    assert (table.format, table.row_count) == ("csv", len(rows))
    assert [c.name for c in table.columns] == header
    assert table.warnings == []
    stored = pl.read_parquet(table.parquet_path)
    assert stored.shape == (len(rows), len(header))
    for column, profile in zip(table.columns, table.profile, strict=True):
        assert column.dtype in {"integer", "float", "boolean", "string", "datetime"}
        assert (column.missing, column.unique) == (profile.missing, profile.unique)
        assert column.missing == stored[column.name].null_count()
        if column.dtype in ("integer", "float") and column.missing < len(rows):
            assert profile.histogram and sum(b.count for b in profile.histogram) == len(rows) - column.missing
            assert profile.min is not None and profile.max is not None and profile.min <= profile.mean <= profile.max
        if column.dtype == "string":
            assert profile.top_values and profile.top_values[0].count >= profile.top_values[-1].count


async def test_shared_dataset_details(reader: TableReader, tmp_path: Path) -> None:
    adult = await reader.ingest(DATASETS / "adult.csv", "adult.csv", tmp_path)
    assert sum(c.missing for c in adult.columns) > 3000  # "?" is missing
    titanic = await reader.ingest(DATASETS / "titanic.csv", "titanic.csv", tmp_path)
    dtypes = {c.name: c.dtype for c in titanic.columns}
    assert (dtypes["adult_male"], dtypes["age"], dtypes["survived"], dtypes["deck"]) == (
        "boolean",
        "float",
        "integer",
        "string",
    )
    assert titanic.content_hash == __import__("hashlib").sha256((DATASETS / "titanic.csv").read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "code", "line"),
    [
        ("empty.csv", b"", "empty", None),
        ("blank.csv", b" \r\n\n", "empty", None),
        ("header.csv", b"a,b,c\r\n", "header_only", None),
        ("long-row.csv", b"a,b\n1,2\n3,4,5\n", "ragged_row", 3),
        ("short-row.csv", b'a,b,c\n1,2,3\n"multi\nline",5,6\n7,8\n', "ragged_row", 5),
        ("single.csv", b"value\n1\n2\n", "single_column", 1),
        ("garbage.csv", bytes(range(256)) * 64, "binary", None),
        ("fake.parquet", b"a,b\n1,2\n", "corrupt_parquet", None),
        ("single.jsonl", b'{"a": 1}\n{"a": 2}\n', "single_column", None),
        ("broken.jsonl", b'{"a": 1, "b": 2}\n{"a": \n', "unreadable", None),
    ],
)
async def test_bad_files_say_what_and_where(
    reader: TableReader, tmp_path: Path, name: str, content: bytes, code: str, line: int | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await ingest(reader, tmp_path, name, content)
    assert caught.value.issues[0].code == code
    assert caught.value.issues[0].row == line
    assert leftovers(tmp_path) == []


async def test_a_ragged_row_past_the_sample_is_found(reader: TableReader, tmp_path: Path) -> None:
    rows = b"1,abc\n" * 250_000
    with pytest.raises(InvalidInput) as caught:
        await ingest(reader, tmp_path, "late.csv", b"a,b\n" + rows + b"1,2,3\n" + rows)
    assert [i.row for i in caught.value.issues] == [250_002]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("book.xlsx", b"PK\x03\x04" + bytes(100)),
        ("scan.pdf", b"%PDF-1.7 ..."),
        ("notes.docx", b"a,b\n1,2\n"),
        ("rows.json", b'[{"a": 1, "b": 2}]'),
    ],
)
async def test_unsupported_types(reader: TableReader, tmp_path: Path, name: str, content: bytes) -> None:
    with pytest.raises(UnsupportedFormat):
        await ingest(reader, tmp_path, name, content)


async def test_duplicate_and_empty_names_are_made_unique_and_reported(reader: TableReader, tmp_path: Path) -> None:
    table = await ingest(reader, tmp_path, "names.csv", b"a,a,,b,a\n1,2,3,4,5\n")
    assert [c.name for c in table.columns] == ["a", "a_2", "column_3", "b", "a_3"]
    assert [(w.code, w.column) for w in table.warnings] == [
        ("duplicate_column_name", "a_2"),
        ("empty_column_name", "column_3"),
        ("duplicate_column_name", "a_3"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("semicolon.csv", "x;y\n1;héllo\n2;wörld\n".encode(), "csv"),
        ("bom.csv", "\ufeffx,y\n1,héllo\n2,wörld\n".encode(), "csv"),
        ("latin1.csv", "x,y\n1,héllo\n2,wörld\n".encode("latin-1"), "csv"),
        ("bom_then_latin1.csv", b"\xef\xbb\xbf" + "x,y\n1,héllo\n2,wörld\n".encode("latin-1"), "csv"),
        ("tabs.tsv", "x\ty\n1\théllo\n2\twörld\n".encode(), "tsv"),
        ("pipes.txt", "x|y\n1|héllo\n2|wörld\n".encode(), "csv"),
        ("rows.jsonl", '{"x": 1, "y": "héllo"}\n{"x": 2, "y": "wörld"}\n'.encode(), "jsonl"),
    ],
)
async def test_formats_encodings_and_delimiters(
    reader: TableReader, tmp_path: Path, name: str, content: bytes, fmt: str
) -> None:
    table = await ingest(reader, tmp_path, name, content)
    assert table.format == fmt
    assert [c.name for c in table.columns] == ["x", "y"]
    assert pl.read_parquet(table.parquet_path).rows() == [(1, "héllo"), (2, "wörld")]


async def test_quotes_and_missing_markers(reader: TableReader, tmp_path: Path) -> None:
    content = b'text,n,when\n"a, ""quoted""\nline",1,2024-01-02\nNA,?,\n,3,2024-03-04\n'
    table = await ingest(reader, tmp_path, "q.csv", content)
    assert [(c.name, c.dtype, c.missing) for c in table.columns] == [
        ("text", "string", 2),
        ("n", "integer", 1),
        ("when", "datetime", 1),
    ]
    assert pl.read_parquet(table.parquet_path)["text"][0] == 'a, "quoted"\nline'


async def test_parquet_upload_is_rewritten_and_profiled(reader: TableReader, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pl.DataFrame({"x": [1.5, None, math.nan, 3.0], "flag": [True, False, True, None]}).write_parquet(source)
    table = await reader.ingest(source, "upload.bin", tmp_path / "work")
    x, flag = table.profile
    assert (table.format, x.dtype, x.missing, x.min, x.max) == ("parquet", "float", 1, 1.5, 3.0)
    assert (flag.dtype, [(t.value, t.count) for t in flag.top_values or []]) == ("boolean", [(True, 2), (False, 1)])


async def test_a_value_past_the_inference_window_widens_the_type(reader: TableReader, tmp_path: Path) -> None:
    table = await ingest(reader, tmp_path, "late.csv", b"a,b\n" + b"1,x\n" * 20_000 + b"1.5,y\n")
    assert table.columns[0].dtype == "float"


async def test_preview_pages_json_safe_rows(reader: TableReader, tmp_path: Path) -> None:
    parquet = tmp_path / "t.parquet"
    pl.DataFrame(
        {"i": [1, 2, 3], "f": [0.5, math.nan, math.inf], "t": [datetime(2024, 1, 2, 3, 4, 5)] * 3}
    ).write_parquet(parquet)
    preview = await reader.preview(parquet, limit=2, offset=1)
    assert preview.columns == ["i", "f", "t"]
    assert preview.rows == [[2, None, "2024-01-02T03:04:05"], [3, None, "2024-01-02T03:04:05"]]
    assert preview.total_rows == 3


async def test_names_that_look_like_patterns_are_plain_names(reader: TableReader, tmp_path: Path) -> None:
    table = await ingest(reader, tmp_path, "p.csv", b"*,^a.*$,a1\n1,2,3\n")
    assert [(p.name, p.min) for p in table.profile] == [("*", 1.0), ("^a.*$", 2.0), ("a1", 3.0)]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
async def test_a_table_wider_than_the_limit_is_refused_before_profiling(tmp_path: Path, suffix: str) -> None:
    frame = pl.DataFrame({f"c{i}": [1, 2] for i in range(12)})
    path = tmp_path / f"wide.{suffix}"
    frame.write_csv(path) if suffix == "csv" else frame.write_parquet(path)
    with pytest.raises(InvalidInput) as refused:
        await PolarsTableReader(max_columns=10).ingest(path, path.name, tmp_path / "work")
    assert refused.value.issues[0].code == "too_many_columns" and "12 columns" in refused.value.message
    assert (await PolarsTableReader(max_columns=12).ingest(path, path.name, tmp_path / "work")).row_count == 2


async def test_a_header_name_with_a_line_break_is_one_header(reader: TableReader, tmp_path: Path) -> None:
    """Found by the round-trip property: the data starts after the header's lines, not after one line."""
    table = await ingest(reader, tmp_path, "broken_header.csv", b'a,"b\nc"\n1,2\n3,4\n')
    assert [c.name for c in table.columns] == ["a", "b\nc"]
    assert pl.read_parquet(table.parquet_path).rows() == [(1, 2), (3, 4)]
