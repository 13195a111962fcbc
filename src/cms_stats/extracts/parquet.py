"""Reading a parquet file of the contract: the schema is checked from the file metadata first."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .columns import EXPECTED_WORDS, arrow_type, is_stringlike, normalise, type_ok
from .common import Ctx, check_readable, first_line
from .contract import Column, FileSpec


def open_parquet(path: Path, spec: FileSpec, ctx: Ctx) -> tuple[pq.ParquetFile, list[str]]:
    """A parquet file of the contract opened, its schema checked from the file metadata.

    Returns the file (codes and months to be read as dictionaries) and the contract's columns
    it holds, in the contract's order. Optional columns absent from the file are listed in
    ``ctx.absent``.

    Raises :class:`ExtractError` for an unreadable or damaged file, a missing, repeated or
    wrongly typed column, or no rows (from the footer's row count).
    """
    check_readable(path, ctx.rel)
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ctx.error(f"not a readable parquet file (truncated or corrupt: {first_line(exc)})") from None
    for col in spec.columns:
        idx = schema.get_field_index(col.name)
        if idx < 0:
            if col.name in schema.names:
                raise ctx.error("column appears more than once", col.name)
            if col.optional:
                ctx.absent.append(col.name)
                continue
            raise ctx.error("missing column", col.name)
        t = schema.field(idx).type
        if not type_ok(col, t):
            raise ctx.error(f"wrong type: expected {EXPECTED_WORDS[col.type]}, found {t}", col.name)
    present = [c for c in spec.columns if c.name not in ctx.absent]
    dictionary = [c.name for c in present if c.type in ("code", "month") and is_stringlike(schema.field(c.name).type)]
    if dictionary:
        try:
            pf = pq.ParquetFile(path, read_dictionary=dictionary)
        except Exception as exc:
            raise ctx.error(f"not a readable parquet file (truncated or corrupt: {first_line(exc)})") from None
    if pf.metadata.num_rows == 0 and not spec.may_be_empty:
        raise ctx.error("no rows (at least one data row is required)")
    return pf, [c.name for c in present]


def read_parquet(path: Path, spec: FileSpec, ctx: Ctx) -> pa.Table:
    """The contract's columns of a parquet file, schema checked; codes and months as dictionaries.

    Optional columns absent from the file are listed in ``ctx.absent`` and left out (the
    column checks add them as all-null).

    Raises :class:`ExtractError` for an unreadable or damaged file, a missing, repeated or
    wrongly typed column, or no rows. Values are checked later (:func:`~cms_stats.extracts.columns.check_table`).
    """
    pf, names = open_parquet(path, spec, ctx)
    try:
        table = pf.read(columns=names)
    except Exception as exc:
        raise ctx.error(f"not a readable parquet file (truncated or corrupt: {first_line(exc)})") from None
    return table


def read_column(path: Path, col: Column, ctx: Ctx) -> pa.ChunkedArray:
    """One column of a parquet file, type checked and normalised (values not checked).

    An optional column absent from the file is returned all-null.
    """
    check_readable(path, ctx.rel)
    if col.optional and col.name not in pq.read_schema(path).names:
        rows = pq.ParquetFile(path).metadata.num_rows
        return pa.chunked_array([pa.nulls(rows, arrow_type(col))])
    try:
        arr = pq.read_table(path, columns=[col.name]).column(col.name)
    except Exception as exc:
        raise ctx.error(f"not a readable parquet file ({first_line(exc)})", col.name) from None
    if not type_ok(col, arr.type):
        raise ctx.error(f"wrong type: expected {EXPECTED_WORDS[col.type]}, found {arr.type}", col.name)
    return normalise(arr, col, ctx)
