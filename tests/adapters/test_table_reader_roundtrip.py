"""Property: any CSV a spreadsheet could write reads back, through the stored Parquet, as written."""

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.tabular import PolarsTableReader

DELIMITERS = [",", ";", "\t", "|"]
NEEDS_QUOTES = re.compile(r'[,;\t|"\n]|^\s|\s$')
# \r inside a field and a leading BOM are left out: a bare CR is a line break to both readers, and
# a BOM at the very start is an encoding mark, not data.
characters = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufeff", include_characters="\t\n")


def plain_text(s: str) -> bool:
    """Text no reader would take for a number, boolean, date or missing value."""
    try:
        float(s)
    except ValueError:
        pass
    else:
        return False
    lowered = s.strip().lower()
    return lowered not in {"na", "?", "", "true", "false", "null"} and not re.fullmatch(r"[\d\s:./tz+\-]*", lowered)


cells = {
    "integer": st.integers(-(2**62), 2**62),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "string": st.text(characters, min_size=1, max_size=10).filter(plain_text),
}


def render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, float) else str(value)
    return '"' + text.replace('"', '""') + '"' if NEEDS_QUOTES.search(text) else text


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    kinds = draw(st.lists(st.sampled_from(sorted(cells)), min_size=2, max_size=4))
    names = draw(
        st.lists(
            st.text(characters, min_size=1, max_size=8).filter(str.strip),
            min_size=len(kinds),
            max_size=len(kinds),
            unique=True,
        )
    )
    n_rows = draw(st.integers(1, 8))
    columns = [draw(st.lists(st.none() | cells[k], min_size=n_rows, max_size=n_rows)) for k in kinds]
    return names, columns


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(table=tables(), delimiter=st.sampled_from(DELIMITERS), newline=st.sampled_from(["\n", "\r\n"]))
def test_csv_round_trips_through_parquet(
    table: tuple[list[str], list[list[Any]]], delimiter: str, newline: str
) -> None:
    names, columns = table
    lines = [delimiter.join(render(n) for n in names)]
    lines += [delimiter.join(render(c[i]) for c in columns) for i in range(len(columns[0]))]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "generated.csv"
        source.write_bytes((newline.join(lines) + newline).encode())
        ingested = asyncio.run(PolarsTableReader().ingest(source, source.name, Path(tmp) / "work"))
        stored = pl.read_parquet(ingested.parquet_path)
    assert stored.columns == names
    assert [stored[name].to_list() for name in names] == columns
    assert ingested.row_count == len(columns[0])
