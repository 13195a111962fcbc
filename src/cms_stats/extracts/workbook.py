"""Reading an MI workbook: the sheet, the header at A1, blank rows and the Total row.

The cells are read by :mod:`cms_stats.extracts.xlsx`; the data rows are then checked like any
other table (:func:`~cms_stats.extracts.columns.check_table`). The Total row is kept aside and
checked against the rows (:func:`check_total`) after the file rules.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .columns import EXPECTED_WORDS, STRING_TYPES, check_table
from .common import Ctx, check_readable, first_line, fmt
from .contract import Column, FileSpec
from .errors import ExtractError
from .xlsx import SheetNotFound, WorkbookError, read_sheet


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cell_kind(value) -> str:
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, (dt.datetime, dt.date)):
        return f"a date ({value.isoformat()})"
    if isinstance(value, (int, float)):
        return f"number {value:g}"
    return f"text {fmt(value)}"


def _convert_cell(value, col: Column, ctx: Ctx, index: int):
    """An Excel cell as the column's Python type; wrong types are fatal."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    if col.type in STRING_TYPES:
        if isinstance(value, str):
            return value
    elif col.type == "date":  # as ISO text: the column checks parse it strictly
        if isinstance(value, str):
            return value
        if isinstance(value, dt.datetime):
            if value.time() != dt.time(0):
                raise ctx.error(f"date has a time of day ({value.isoformat()})", col.name, index)
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
    elif col.type == "money":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif col.type in ("count", "integer"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    raise ctx.error(
        f"wrong type: expected {EXPECTED_WORDS[col.type]}, found {_cell_kind(value)}", col.name, index
    )


def read_xlsx(path: Path, spec: FileSpec, ctx: Ctx) -> pa.Table:
    """Read an MI workbook: the checked data rows (the Total row checked and removed)."""
    check_readable(path, ctx.rel)
    try:
        rows = read_sheet(path, spec.sheet)
    except SheetNotFound as exc:
        found = ", ".join(f"'{s}'" for s in exc.sheets)
        raise ExtractError(ctx.rel, f"sheet '{spec.sheet}' not found (the workbook has {found})") from None
    except PermissionError:
        raise ExtractError(ctx.rel, "unreadable file (permission denied)") from None
    except WorkbookError as exc:
        raise ExtractError(
            ctx.rel, f"not a readable Excel workbook (empty, truncated or not .xlsx: {first_line(exc)})"
        ) from None

    header = {v.strip() if isinstance(v, str) else v for v in rows[0]} if rows else set()
    ctx.absent.extend(c.name for c in spec.columns if c.optional and c.name not in header)
    present = [c for c in spec.columns if c.name not in ctx.absent]
    names = [c.name for c in present]
    _check_header(rows, names, ctx)
    data = list(rows[1:])
    while data and all(v is None or (isinstance(v, str) and not v.strip()) for v in data[-1]):
        data.pop()
    for i, r in enumerate(data):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in r[: len(names)]):
            raise ctx.error("blank row inside the data", None, i)
    total_index = None
    first = names[0]
    for i, r in enumerate(data):
        if r and isinstance(r[0], str) and r[0].strip().lower() == "total":
            if not spec.total_row:
                raise ctx.error("unexpected Total row (this feed has none)", first, i)
            if i != len(data) - 1:
                raise ctx.error("Total row is not the last row", first, i)
            total_index = i
    if spec.total_row:
        if total_index is None:
            if not data:
                raise ctx.error("no data rows and no Total row")
            raise ctx.error(
                f"missing Total row (the last row's {first} is {fmt(data[-1][0] if data[-1] else None)})", first, len(data) - 1
            )
        total = data.pop()
    if not data:
        raise ctx.error("no data rows (at least one is required)")
    columns = {}
    for j, col in enumerate(present):
        values = [_convert_cell(r[j] if j < len(r) else None, col, ctx, i) for i, r in enumerate(data)]
        ptype = {"money": pa.float64(), "count": pa.int64(), "integer": pa.int64()}.get(col.type, pa.string())
        columns[col.name] = pa.chunked_array([pa.array(values, ptype)])
    table = pa.table(columns)
    table = check_table(table, spec, ctx)
    if spec.total_row:
        ctx.total = (total, total_index)  # checked by the caller after the row rules
    return table


def _check_header(rows: list[tuple], names: list[str], ctx: Ctx) -> None:
    if not rows:
        raise ctx.error("empty sheet (no header row)")
    header = [v.strip() if isinstance(v, str) else v for v in rows[0]]
    if header[: len(names)] == names:
        return
    # Where is the header? Look for the first column's name near the top left.
    for r, row in enumerate(rows[:30]):
        for c, v in enumerate(row[:30]):
            if isinstance(v, str) and v.strip() == names[0] and (r, c) != (0, 0):
                raise ExtractError(
                    ctx.rel,
                    f"header moved: expected it in row 1 starting at A1, found '{names[0]}' at "
                    f"{_column_letter(c)}{r + 1}",
                    row=r + 1,
                    sheet=ctx.sheet,
                )
    for j, name in enumerate(names):
        if j >= len(header) or header[j] != name:
            found = header[j] if j < len(header) else None
            if name in header:
                msg = (
                    f"header moved: expected in column {_column_letter(j)}, found in column "
                    f"{_column_letter(header.index(name))}"
                )
            else:
                msg = f"missing column (header cell {_column_letter(j)}1 is {fmt(found)})"
            raise ExtractError(ctx.rel, msg, column=name, row=1, sheet=ctx.sheet)


def check_total(table: pa.Table, total: tuple, spec: FileSpec, ctx: Ctx, index: int) -> None:
    """Check the Total row: each count column equals the sum of the rows above it."""
    present = [c for c in spec.columns if c.name not in ctx.absent]
    for j, col in enumerate(present):
        if j == 0 or col.type not in ("count", "money"):
            continue
        value = _convert_cell(total[j] if j < len(total) else None, col, ctx, index)
        if value is None:
            raise ctx.error("missing value in the Total row", col.name, index)
        expected = pc.sum(table.column(col.name)).as_py()
        if value != expected:
            raise ctx.error(
                f"Total row contradicts the rows above it (Total {value}, sum of rows {expected})",
                col.name,
                index,
            )
