"""Reading uploaded tables with polars: detection, typed Parquet, schema and profile, previews."""

from adapters.tabular.reader import PolarsTableReader

__all__ = ["PolarsTableReader"]
