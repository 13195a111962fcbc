"""The validating loader: every file is checked against :data:`CONTRACT` before use.

Files are read with pyarrow, the schema is checked from the file metadata first, then every rule
is a vectorised pyarrow compute over whole columns; the first offending row is located only
when a rule fails, for the message. Fatal faults raise :class:`ExtractError` (one line naming
file, column, row); row-level faults that the methodology excludes are quarantined.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .contract import (
    CONTRACT,
    EVENT_FILES,
    GENERATOR_FIELDS,
    MI_FEEDS,
    MONTH_PATTERN,
    SAMPLE_CALENDAR_MONTHS,
    SCHEME_START,
    SCHEME_START_MONTH,
    SOURCES,
    Column,
    FileSpec,
)
from .errors import ExtractError, PeriodError
from .xlsx import SheetNotFound, WorkbookError, read_sheet

QUARANTINE_COLUMNS = ["file", "row", "column", "reason"]
_MONTH_RE = re.compile(MONTH_PATTERN + r"\Z")


# --------------------------------------------------------------------------- small helpers
def month_end(month: str) -> dt.date:
    """Last day of a ``YYYY-MM`` month."""
    y, m = int(month[:4]), int(month[5:7])
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, as ``YYYY-MM``."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _is_month(value) -> bool:
    return isinstance(value, str) and _MONTH_RE.match(value) is not None


def _fmt(value) -> str:
    """A value as it should appear in a one-line message."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "...'"


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": pd.Series([], dtype="str"),
            "row": pd.Series([], dtype="int64"),
            "column": pd.Series([], dtype="str"),
            "reason": pd.Series([], dtype="str"),
        }
    )


def _first_true(mask: pa.ChunkedArray | pa.Array) -> int | None:
    """Index of the first True of a boolean array (nulls count as False), or None."""
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return None
    return pc.index(mask, True).as_py()


def _read_bytes(path: Path, rel: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ExtractError(rel, "missing file") from None
    except PermissionError:
        raise ExtractError(rel, "unreadable file (permission denied)") from None
    except IsADirectoryError:
        raise ExtractError(rel, "is a folder, expected a file") from None
    except OSError as exc:
        raise ExtractError(rel, f"unreadable file ({exc.strerror or exc})") from None


def _check_readable(path: Path, rel: str) -> None:
    """Fail early, with the file's name, if the file is missing, a folder or unreadable."""
    if not path.exists():
        raise ExtractError(rel, "missing file")
    if path.is_dir():
        raise ExtractError(rel, "is a folder, expected a file")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except PermissionError:
        raise ExtractError(rel, "unreadable file (permission denied)") from None
    except OSError as exc:
        raise ExtractError(rel, f"unreadable file ({exc.strerror or exc})") from None
    if path.stat().st_size == 0:
        raise ExtractError(rel, "empty file (0 bytes)")


# --------------------------------------------------------------------------- extract.json
def read_metadata(data_dir: Path) -> dict:
    """Read and check ``extract.json`` of an extract folder.

    Raises
    ------
    ExtractError
        The folder or file is missing, unreadable, not UTF-8, not JSON, or a field is wrong.
    """
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise ExtractError(str(data_dir), "extract folder not found")
    if not data_dir.is_dir():
        raise ExtractError(str(data_dir), "not a folder (expected an extract folder)")
    rel = "extract.json"
    raw = _read_bytes(data_dir / rel, rel)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractError(
            rel, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise ExtractError(rel, "empty file")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractError(
            rel, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(meta, dict):
        raise ExtractError(rel, "expected a JSON object")
    for name in ("source", "first_month", "last_month"):
        if name not in meta:
            raise ExtractError(rel, f"missing field '{name}'")
    if meta["source"] not in SOURCES:
        raise ExtractError(
            rel, f"field 'source': unknown code {_fmt(meta['source'])} (allowed: {', '.join(SOURCES)})"
        )
    for name in ("first_month", "last_month"):
        if not _is_month(meta[name]):
            raise ExtractError(rel, f"field '{name}': not a month YYYY-MM ({_fmt(meta[name])})")
    if meta["first_month"] < SCHEME_START_MONTH:
        raise ExtractError(
            rel, f"field 'first_month': {meta['first_month']} is before the scheme start ({SCHEME_START_MONTH})"
        )
    if meta["last_month"] < meta["first_month"]:
        raise ExtractError(
            rel, f"field 'last_month': {meta['last_month']} is before first_month {meta['first_month']}"
        )
    if meta["source"] == "synthetic":
        gen = meta.get("generator")
        if not isinstance(gen, dict):
            raise ExtractError(rel, "field 'generator': required for synthetic data (an object)")
        for name in GENERATOR_FIELDS:
            if name not in gen:
                raise ExtractError(rel, f"field 'generator': missing '{name}'")
    return meta


# --------------------------------------------------------------------------- column checks
_STRING_TYPES = ("month", "id", "code")


def _is_stringlike(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_stringlike(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _type_ok(col: Column, t: pa.DataType) -> bool:
    if pa.types.is_null(t):
        return col.nullable
    if col.type in _STRING_TYPES:
        return _is_stringlike(t)
    if col.type == "date":
        return (
            pa.types.is_date(t)
            or (pa.types.is_timestamp(t) and t.tz is None)
            or _is_stringlike(t)
        )
    if col.type == "money":
        return pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t)
    if col.type in ("count", "integer"):
        return pa.types.is_integer(t)
    raise AssertionError(col.type)  # pragma: no cover


_EXPECTED_WORDS = {
    "month": "text YYYY-MM",
    "id": "text",
    "code": "text",
    "date": "date",
    "money": "number",
    "count": "whole number",
    "integer": "whole number",
}


class _Ctx:
    """Where a table came from: for messages and row numbers."""

    def __init__(self, rel: str, row_base: int = 1, sheet: str | None = None, month: str | None = None):
        self.rel = rel
        self.row_base = row_base  # row number of data index 0 (parquet: 1; Excel: 2)
        self.sheet = sheet
        self.month = month
        self.total: tuple | None = None  # Excel: (Total row values, its data index)

    def error(self, message: str, column: str | None = None, index: int | None = None) -> ExtractError:
        row = None if index is None else index + self.row_base
        return ExtractError(self.rel, message, column=column, row=row, sheet=self.sheet)


def _find_bad_utf8(arr: pa.ChunkedArray) -> int:
    """Index of the first string that is not valid UTF-8 (only on the failure path)."""
    offset = 0
    for chunk in arr.chunks:
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary.take(chunk.indices)
        try:
            chunk.validate(full=True)
        except pa.ArrowInvalid:
            as_binary = pa.large_binary() if pa.types.is_large_string(chunk.type) else pa.binary()
            for i, value in enumerate(chunk.view(as_binary).to_pylist()):
                if value is not None:
                    try:
                        value.decode("utf-8")
                    except UnicodeDecodeError:
                        return offset + i
        offset += len(chunk)
    return 0  # pragma: no cover - validate() disagreed with Python's decoder


def _check_utf8(arr: pa.ChunkedArray, col: Column, ctx: _Ctx) -> None:
    try:
        for chunk in arr.chunks:
            if pa.types.is_dictionary(chunk.type):
                chunk.dictionary.validate(full=True)
            else:
                chunk.validate(full=True)
    except pa.ArrowInvalid:
        i = _find_bad_utf8(arr)
        raise ctx.error("text is not valid UTF-8", col.name, i) from None


def _to_string(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    if arr.type == pa.string():
        return arr
    return pc.cast(arr, pa.string())


def _normalise(arr: pa.ChunkedArray, col: Column, ctx: _Ctx) -> pa.ChunkedArray:
    """Cast a column to its canonical type (string, date32, float64, int64)."""
    t = arr.type
    if pa.types.is_null(t):
        target = {"date": pa.date32(), "money": pa.float64(), "count": pa.int64(), "integer": pa.int64()}
        return pc.cast(arr, target.get(col.type, pa.string()))
    if col.type in _STRING_TYPES:
        _check_utf8(arr, col, ctx)
        if col.type != "id" and pa.types.is_dictionary(t) and pa.types.is_string(t.value_type):
            return arr  # codes and months: compute kernels work on the dictionary directly
        return _to_string(arr)
    if col.type == "date":
        if pa.types.is_date32(t):
            return arr
        if pa.types.is_date64(t):
            return pc.cast(arr, pa.date32())
        if pa.types.is_timestamp(t):
            as_date = pc.cast(arr, pa.date32(), safe=False)
            back = pc.cast(as_date, t)
            i = _first_true(pc.not_equal(back, arr))
            if i is not None:
                raise ctx.error(
                    f"date has a time of day ({arr[i].as_py().isoformat()})", col.name, i
                )
            return as_date
        # ISO text dates
        _check_utf8(arr, col, ctx)
        text = _to_string(arr)
        parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls impossible days over (2014-02-30 -> 2014-03-02): round-trip to be strict
        again = pc.strftime(parsed, format="%Y-%m-%d")
        i = _first_true(pc.and_(pc.is_valid(text), pc.fill_null(pc.not_equal(again, text), True)))
        if i is not None:
            raise ctx.error(
                f"unparseable date {_fmt(text[i].as_py())} (expected YYYY-MM-DD)", col.name, i
            )
        return pc.cast(parsed, pa.date32())
    if col.type == "money":
        return arr if t == pa.float64() else pc.cast(arr, pa.float64())
    if col.type in ("count", "integer"):
        return arr if t == pa.int64() else pc.cast(arr, pa.int64())
    raise AssertionError(col.type)  # pragma: no cover


def _check_column(arr: pa.ChunkedArray, col: Column, ctx: _Ctx) -> None:
    """Value checks of one (normalised) column: nulls, patterns, codes, ranges."""
    if arr.null_count and not col.nullable:
        raise ctx.error("missing value", col.name, _first_true(pc.is_null(arr)))
    if col.type == "id" and _fixed_width_ok(arr, col.pattern):
        pass
    elif col.type in ("id", "month"):
        regex = "^(?:" + col.pattern + ")$"
        if pa.types.is_dictionary(arr.type):
            values = pa.chunked_array([c.dictionary for c in arr.chunks], pa.string())
            if pc.all(pc.match_substring_regex(values, regex)).as_py() is not False:
                return
            arr = _to_string(arr)  # a bad value somewhere: decode to locate it
        ok = pc.match_substring_regex(arr, regex)
        i = _first_true(pc.invert(ok))
        if i is not None:
            what = "identifier does not match" if col.type == "id" else "not a month"
            expected = col.pattern if col.type == "id" else "YYYY-MM"
            raise ctx.error(f"{what} {expected} ({_fmt(arr[i].as_py())})", col.name, i)
    elif col.type == "code":
        found = pc.unique(arr.drop_null()).to_pylist()
        if any(v not in col.codes for v in found):
            arr = _to_string(arr)
            ok = pc.is_in(arr, value_set=pa.array(col.codes, pa.string()))
            i = _first_true(pc.and_(pc.is_valid(arr), pc.invert(ok)))
            raise ctx.error(
                f"unknown code {_fmt(arr[i].as_py())} (allowed: {', '.join(col.codes)})", col.name, i
            )
    elif col.type == "money":
        i = _first_true(pc.is_nan(arr))
        if i is not None:
            raise ctx.error("missing value (NaN)", col.name, i)
        i = _first_true(pc.invert(pc.is_finite(arr)))
        if i is not None:
            raise ctx.error(f"not a finite amount ({arr[i].as_py()})", col.name, i)
        i = _first_not_pence(arr)
        if i is not None:
            raise ctx.error(f"more than 2 decimal places ({arr[i].as_py()!r})", col.name, i)
    if col.type in ("money", "count", "integer"):
        if col.min is not None and col.below_min == "error":
            below = pc.less(arr, col.min) if col.min_inclusive else pc.less_equal(arr, col.min)
            i = _first_true(below)
            if i is not None:
                v = arr[i].as_py()
                if col.type == "money":
                    msg = f"negative money ({_fmt(v)})" if v < 0 else f"must be > {col.min:g} ({_fmt(v)})"
                elif col.type == "count":
                    msg = f"negative count ({v})"
                else:
                    msg = f"out of range {col.min:g}..{col.max:g} ({v})"
                raise ctx.error(msg, col.name, i)
        if col.max is not None:
            i = _first_true(pc.greater(arr, col.max))
            if i is not None:
                raise ctx.error(
                    f"out of range {col.min:g}..{col.max:g} ({arr[i].as_py()})", col.name, i
                )


_FIXED_ID = re.compile(r"([A-Z])\[0-9\]\{(\d+)\}\Z")


def _fixed_width_ok(arr: pa.ChunkedArray, pattern: str) -> bool:
    """Fast path for identifiers like ``C[0-9]{8}``: check the raw bytes with numpy.

    True when every value matches; False means "not sure" (the regex then finds the row).
    """
    m = _FIXED_ID.match(pattern)
    if m is None or arr.null_count:
        return False
    prefix, width = ord(m.group(1)), 1 + int(m.group(2))
    for chunk in arr.chunks:
        if chunk.type != pa.string() or len(chunk) == 0:
            return len(chunk) == 0
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        if not np.all(np.diff(offsets) == width):
            return False
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, width)
        if not (np.all(data[:, 0] == prefix) and np.all((data[:, 1:] >= 48) & (data[:, 1:] <= 57))):
            return False
    return True


def _first_not_pence(arr: pa.ChunkedArray) -> int | None:
    """Index of the first amount that is not a whole number of pence (money is GBP, 2 dp)."""
    offset = 0
    for chunk in arr.chunks:
        pence = chunk.to_numpy(zero_copy_only=False) * 100.0
        off = np.abs(pence - np.round(pence)) > 1e-6 + 1e-12 * np.abs(pence)
        if off.any():
            return offset + int(np.flatnonzero(off)[0])
        offset += len(chunk)
    return None


def _check_key(table: pa.Table, spec: FileSpec, ctx: _Ctx) -> None:
    (name,) = spec.primary_key
    arr = table.column(name)
    if table.num_rows < 2:
        return
    flat = arr.combine_chunks() if arr.num_chunks > 1 else arr.chunk(0)
    if pc.all(pc.greater(flat[1:], flat[:-1])).as_py():
        return  # strictly increasing: unique without hashing
    if len(pc.unique(flat)) == table.num_rows:
        return
    values = pd.Series(arr.to_numpy(zero_copy_only=False))
    dup = values.duplicated(keep="first").to_numpy()
    i = int(np.flatnonzero(dup)[0])
    first = int(np.flatnonzero((values == values.iloc[i]).to_numpy())[0])
    raise ctx.error(
        f"duplicate key {_fmt(values.iloc[i])} (first at row {first + ctx.row_base})", name, i
    )


def _check_table(table: pa.Table, spec: FileSpec, ctx: _Ctx) -> pa.Table:
    """Normalise and check every column, then the key; returns the normalised table."""
    arrays = {}
    for col in spec.columns:
        arr = _normalise(table.column(col.name), col, ctx)
        _check_column(arr, col, ctx)
        arrays[col.name] = arr
    out = pa.table(arrays)
    _check_key(out, spec, ctx)
    return out


# --------------------------------------------------------------------------- file rules (fatal)
def _rule_month_matches(table: pa.Table, ctx: _Ctx, column: str) -> None:
    i = _first_true(pc.not_equal(table.column(column), ctx.month))
    if i is not None:
        raise ctx.error(
            f"{_fmt(table.column(column)[i].as_py())} does not match the month in the file name ({ctx.month})",
            column,
            i,
        )


def _rules_snapshot(table: pa.Table, ctx: _Ctx, folder: "ExtractFolder") -> None:
    _rule_month_matches(table, ctx, "snapshot_month")
    end = month_end(ctx.month)
    opened = table.column("opened_date")
    i = _first_true(pc.greater(opened, pa.scalar(end, pa.date32())))
    if i is not None:
        raise ctx.error(
            f"opened_date {opened[i].as_py()} is after the month end ({end})", "opened_date", i
        )
    bad = pc.and_(
        pc.equal(table.column("service_type"), "no_liability"),
        pc.not_equal(table.column("weekly_liability"), 0.0),
    )
    i = _first_true(bad)
    if i is not None:
        raise ctx.error(
            f"must be 0 when service_type is no_liability ({_fmt(table.column('weekly_liability')[i].as_py())})",
            "weekly_liability",
            i,
        )


def _rules_reconsiderations(table: pa.Table, ctx: _Ctx, folder: "ExtractFolder") -> None:
    cleared_null = pc.is_null(table.column("cleared_date"))
    outcome_null = pc.is_null(table.column("outcome"))
    i = _first_true(pc.not_equal(cleared_null, outcome_null))
    if i is not None:
        state = "null" if outcome_null[i].as_py() else _fmt(table.column("outcome")[i].as_py())
        cleared = "null" if cleared_null[i].as_py() else str(table.column("cleared_date")[i].as_py())
        raise ctx.error(
            f"outcome must be given exactly when cleared_date is (outcome {state}, cleared_date {cleared})",
            "outcome",
            i,
        )


def _rules_children(table: pa.Table, ctx: _Ctx, folder: "ExtractFolder") -> None:
    _rule_month_matches(table, ctx, "sample_month")
    population = folder._population(ctx.month)
    snap = CONTRACT["snapshot"].path.format(month=ctx.month)
    if table.num_rows > len(population):
        raise ctx.error(
            f"sample of {table.num_rows} cases is larger than its population of {len(population)} "
            f"(cases with weekly_liability > 0 in {snap})"
        )
    ids = table.column("case_id")
    i = _first_true(pc.invert(pc.is_in(ids, value_set=population)))
    if i is not None:
        raise ctx.error(
            f"case {_fmt(ids[i].as_py())} is not in the population (weekly_liability > 0 in {snap})",
            "case_id",
            i,
        )


def _rule_not_greater(table: pa.Table, ctx: _Ctx, small: str, large: str) -> None:
    i = _first_true(pc.greater(table.column(small), table.column(large)))
    if i is not None:
        raise ctx.error(
            f"{small} ({table.column(small)[i].as_py()}) exceeds {large} ({table.column(large)[i].as_py()})",
            small,
            i,
        )


def _rule_sum(table: pa.Table, ctx: _Ctx, total: str, parts: tuple[str, str]) -> None:
    expected = pc.add(table.column(parts[0]), table.column(parts[1]))
    i = _first_true(pc.not_equal(table.column(total), expected))
    if i is not None:
        raise ctx.error(
            f"{table.column(total)[i].as_py()} is not {parts[0]} + {parts[1]} ({expected[i].as_py()})",
            total,
            i,
        )


def _rules_telephony(table, ctx, folder):
    _rule_not_greater(table, ctx, "calls_answered", "calls_received")
    _rule_not_greater(table, ctx, "calls_answered_within_30_seconds", "calls_answered")


def _rules_complaints(table, ctx, folder):
    _rule_sum(table, ctx, "complaints_total", ("complaints_resolution", "complaints_review"))


def _rules_appeals(table, ctx, folder):
    _rule_sum(
        table, ctx, "appeals_cleared", ("appeals_cleared_tribunal_outcome", "appeals_cleared_cms_outcome")
    )


_FILE_RULES = {
    "snapshot": _rules_snapshot,
    "reconsiderations": _rules_reconsiderations,
    "children_sample": _rules_children,
    "telephony": _rules_telephony,
    "complaints": _rules_complaints,
    "appeals": _rules_appeals,
}


# --------------------------------------------------------------------------- quarantine rules
def _quarantine_masks(table: pa.Table, spec: FileSpec, ctx: _Ctx, folder: "ExtractFolder"):
    """Yield (mask, column, reason) for the row-level faults of a file, in priority order."""
    last = folder.months[-1]
    if spec.window_column:
        arr = table.column(spec.window_column)
        if pa.types.is_date32(arr.type):
            start, end = pa.scalar(SCHEME_START, pa.date32()), pa.scalar(month_end(last), pa.date32())
        else:  # MI month columns: text YYYY-MM compares in calendar order
            start, end = SCHEME_START_MONTH, last
        yield pc.less(arr, start), spec.window_column, "dated before scheme start"
        yield pc.greater(arr, end), spec.window_column, "dated after last month"
    if "cleared_date" in spec.column_names:
        yield (
            pc.less(table.column("cleared_date"), table.column("received_date")),
            "cleared_date",
            "cleared before received",
        )
    if spec.key == "payments":
        ids = table.column("case_id")
        known = pc.is_in(ids, value_set=folder._snapshot_case_ids(pc.unique(ids)))
        yield pc.invert(known), "case_id", "case never in a snapshot"
    for col in spec.columns:
        if col.below_min == "quarantine":
            arr = table.column(col.name)
            below = pc.less(arr, col.min) if col.min_inclusive else pc.less_equal(arr, col.min)
            yield below, col.name, "non-positive correct amount"


def _apply_quarantine(table: pa.Table, spec: FileSpec, ctx: _Ctx, folder: "ExtractFolder"):
    n = table.num_rows
    taken = np.zeros(n, dtype=bool)
    pieces = []
    for mask, column, reason in _quarantine_masks(table, spec, ctx, folder):
        mask = pc.fill_null(mask, False)
        if not pc.any(mask).as_py():
            continue
        m = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool) & ~taken
        idx = np.flatnonzero(m)
        if idx.size:
            taken |= m
            pieces.append(
                pd.DataFrame(
                    {
                        "file": pd.Series([ctx.rel] * idx.size, dtype="str"),
                        "row": pd.Series(idx + ctx.row_base, dtype="int64"),
                        "column": pd.Series([column] * idx.size, dtype="str"),
                        "reason": pd.Series([reason] * idx.size, dtype="str"),
                    }
                )
            )
    if not pieces:
        return table, _empty_quarantine()
    quarantine = pd.concat(pieces, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)
    return table.filter(pa.array(~taken)), quarantine


# --------------------------------------------------------------------------- readers
def _read_parquet(path: Path, spec: FileSpec, ctx: _Ctx) -> pa.Table:
    _check_readable(path, ctx.rel)
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ctx.error(f"not a readable parquet file (truncated or corrupt: {_first_line(exc)})") from None
    for col in spec.columns:
        idx = schema.get_field_index(col.name)
        if idx < 0:
            if col.name in schema.names:
                raise ctx.error("column appears more than once", col.name)
            raise ctx.error("missing column", col.name)
        t = schema.field(idx).type
        if not _type_ok(col, t):
            raise ctx.error(f"wrong type: expected {_EXPECTED_WORDS[col.type]}, found {t}", col.name)
    dictionary = [c.name for c in spec.columns if c.type in ("code", "month") and _is_stringlike(schema.field(c.name).type)]
    try:
        if dictionary:
            pf = pq.ParquetFile(path, read_dictionary=dictionary)
        table = pf.read(columns=spec.column_names)
    except Exception as exc:
        raise ctx.error(f"not a readable parquet file (truncated or corrupt: {_first_line(exc)})") from None
    if table.num_rows == 0:
        raise ctx.error("no rows (at least one data row is required)")
    return table


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


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
    return f"text {_fmt(value)}"


def _convert_cell(value, col: Column, ctx: _Ctx, index: int):
    """An Excel cell as the column's Python type; wrong types are fatal."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    if col.type in _STRING_TYPES:
        if isinstance(value, str):
            return value
    elif col.type == "money":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif col.type in ("count", "integer"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    raise ctx.error(
        f"wrong type: expected {_EXPECTED_WORDS[col.type]}, found {_cell_kind(value)}", col.name, index
    )


def _read_xlsx(path: Path, spec: FileSpec, ctx: _Ctx) -> pa.Table:
    """Read an MI workbook: the checked data rows (the Total row checked and removed)."""
    _check_readable(path, ctx.rel)
    try:
        rows = read_sheet(path, spec.sheet)
    except SheetNotFound as exc:
        found = ", ".join(f"'{s}'" for s in exc.sheets)
        raise ExtractError(ctx.rel, f"sheet '{spec.sheet}' not found (the workbook has {found})") from None
    except PermissionError:
        raise ExtractError(ctx.rel, "unreadable file (permission denied)") from None
    except WorkbookError as exc:
        raise ExtractError(
            ctx.rel, f"not a readable Excel workbook (empty, truncated or not .xlsx: {_first_line(exc)})"
        ) from None

    names = spec.column_names
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
                f"missing Total row (the last row's {first} is {_fmt(data[-1][0] if data[-1] else None)})", first, len(data) - 1
            )
        total = data.pop()
    if not data:
        raise ctx.error("no data rows (at least one is required)")
    columns = {}
    for j, col in enumerate(spec.columns):
        values = [_convert_cell(r[j] if j < len(r) else None, col, ctx, i) for i, r in enumerate(data)]
        ptype = {"money": pa.float64(), "count": pa.int64(), "integer": pa.int64()}.get(col.type, pa.string())
        columns[col.name] = pa.chunked_array([pa.array(values, ptype)])
    table = pa.table(columns)
    table = _check_table(table, spec, ctx)
    if spec.total_row:
        ctx.total = (total, total_index)  # checked by the caller after the row rules
    return table


def _check_header(rows: list[tuple], names: list[str], ctx: _Ctx) -> None:
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
                msg = f"missing column (header cell {_column_letter(j)}1 is {_fmt(found)})"
            raise ExtractError(ctx.rel, msg, column=name, row=1, sheet=ctx.sheet)


def _check_total(table: pa.Table, total: tuple, spec: FileSpec, ctx: _Ctx, index: int) -> None:
    for j, col in enumerate(spec.columns[1:], start=1):
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


# --------------------------------------------------------------------------- folder
class ExtractFolder:
    """An extract folder whose files are validated against the contract when read.

    Create with :func:`open_extracts`. Accessors return validated pandas DataFrames (dates
    as ``datetime64``, codes and identifiers as ``str``, quarantined rows removed); the rows
    removed so far are in :attr:`quarantine`.
    """

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir)
        self.metadata: dict = read_metadata(self.path)
        self.months: list[str] = months_between(self.metadata["first_month"], self.metadata["last_month"])
        self.sample_months: list[str] = [m for m in self.months if int(m[5:7]) in SAMPLE_CALENDAR_MONTHS]
        self._check_layout()
        self._frames: dict[str, pd.DataFrame] = {}
        self._quarantine: dict[str, pd.DataFrame] = {}
        self._rows_in: dict[str, int] = {}
        self._case_ids: pa.Array | None = None
        self._populations: dict[str, pa.Array] = {}

    # ----- layout
    @property
    def is_synthetic(self) -> bool:
        return self.metadata["source"] == "synthetic"

    def __repr__(self) -> str:
        return f"ExtractFolder({str(self.path)!r}, {self.metadata['source']}, {self.months[0]}..{self.months[-1]})"

    def files(self) -> list[str]:
        """Every file of the folder the contract expects, as paths relative to it."""
        out = [CONTRACT["snapshot"].path.format(month=m) for m in self.months]
        out += [CONTRACT[k].path for k in EVENT_FILES]
        out += [CONTRACT["children_sample"].path.format(month=m) for m in self.sample_months]
        out += [CONTRACT[k].path for k in MI_FEEDS]
        return out

    def _check_layout(self) -> None:
        span = f"extract.json covers {self.months[0]} to {self.months[-1]}"
        for key, months in (("snapshot", self.months), ("children_sample", self.sample_months)):
            spec = CONTRACT[key]
            folder, pattern = spec.path.split("/")
            prefix, suffix = pattern.split("{month}")
            present = {}
            directory = self.path / folder
            if directory.is_dir():
                for p in sorted(directory.iterdir()):
                    if not p.name.endswith(".parquet"):
                        continue
                    month = p.name[len(prefix) : -len(suffix)] if p.name.startswith(prefix) else ""
                    if not _is_month(month) or p.name != prefix + month + suffix:
                        raise ExtractError(
                            f"{folder}/{p.name}", f"unexpected file name (expected {pattern.replace('{month}', 'YYYY-MM')})"
                        )
                    present[month] = p
            for month in sorted(present):
                if month not in months:
                    why = "not a March or September" if key == "children_sample" and month in self.months else span
                    raise ExtractError(
                        spec.path.format(month=month), f"month {month} is outside the contract ({why})"
                    )
            missing = [m for m in months if m not in present]
            if missing:
                m = missing[0]
                rel = spec.path.format(month=m)
                if key == "snapshot":
                    earlier = [x for x in present if x < m]
                    later = [x for x in present if x > m]
                    if earlier and later:
                        raise ExtractError(
                            rel, f"missing file: a gap in the monthly snapshots between {max(earlier)} and {min(later)}"
                        )
                    raise ExtractError(rel, f"missing file: no monthly snapshot for {m} ({span})")
                raise ExtractError(rel, f"missing file: no children sample for {m} ({span})")
        for key in (*EVENT_FILES, *MI_FEEDS):
            rel = CONTRACT[key].path
            if not (self.path / rel).exists():
                raise ExtractError(rel, "missing file")

    # ----- loading (arrow level)
    def _load(self, key: str, month: str | None = None) -> pa.Table:
        spec = CONTRACT[key]
        rel = spec.path.format(month=month) if month else spec.path
        path = self.path / rel
        if spec.kind == "parquet":
            ctx = _Ctx(rel, row_base=1, month=month)
            table = _check_table(_read_parquet(path, spec, ctx), spec, ctx)
        else:
            ctx = _Ctx(rel, row_base=2, sheet=spec.sheet, month=month)
            table = _read_xlsx(path, spec, ctx)
        rule = _FILE_RULES.get(key)
        if rule is not None:
            rule(table, ctx, self)
        if ctx.total is not None:
            total_values, total_index = ctx.total
            _check_total(table, total_values, spec, ctx, total_index)
        used, quarantine = _apply_quarantine(table, spec, ctx, self)
        self._rows_in[rel] = table.num_rows
        self._quarantine[rel] = quarantine
        return used

    def _snapshot_case_ids(self, wanted: pa.Array) -> pa.Array:
        """The case_ids among ``wanted`` that are in some monthly snapshot (payments rule)."""
        if self._case_ids is None:
            parts = []
            for m in self.months:
                rel = CONTRACT["snapshot"].path.format(month=m)
                ctx = _Ctx(rel, month=m)
                col = CONTRACT["snapshot"].column("case_id")
                _check_readable(self.path / rel, rel)
                try:
                    arr = pq.read_table(self.path / rel, columns=["case_id"]).column("case_id")
                except Exception as exc:
                    raise ctx.error(f"not a readable parquet file ({_first_line(exc)})", "case_id") from None
                if not _type_ok(col, arr.type):
                    raise ctx.error(f"wrong type: expected text, found {arr.type}", "case_id")
                arr = _normalise(arr, col, ctx)
                parts.extend(arr.filter(pc.is_in(arr, value_set=wanted)).chunks)
            self._case_ids = _unique(parts)
        return self._case_ids

    def _population(self, month: str) -> pa.Array:
        """case_ids with weekly_liability > 0 in the month's snapshot (the sample population)."""
        if month not in self._populations:
            self._set_population(month, self._load("snapshot", month))
        return self._populations[month]

    def _set_population(self, month: str, snapshot: pa.Table) -> None:
        mask = pc.greater(snapshot.column("weekly_liability"), 0.0)
        self._populations[month] = pc.unique(snapshot.column("case_id").filter(mask))

    # ----- public accessors
    def snapshot(self, month: str) -> pd.DataFrame:
        """The validated monthly case snapshot for ``month`` (``YYYY-MM``)."""
        if month not in self.months:
            raise PeriodError(
                "extract.json",
                f"no snapshot for {_fmt(month)}: the extract covers {self.months[0]} to {self.months[-1]}",
            )
        table = self._load("snapshot", month)
        if month in self.sample_months:  # the children sample's population, for free
            self._set_population(month, table)
        return _to_pandas(table)

    def _event(self, key: str) -> pd.DataFrame:
        if key not in self._frames:
            self._frames[key] = _to_pandas(self._load(key))
        return self._frames[key]

    def applications(self) -> pd.DataFrame:
        """Validated applications (duplicates kept: the intake measures remove and count them)."""
        return self._event("applications")

    def payments(self) -> pd.DataFrame:
        """Validated Collect and Pay payments."""
        return self._event("payments")

    def liabilities(self) -> pd.DataFrame:
        """Validated maintenance calculations."""
        return self._event("liabilities")

    def service_requests(self) -> pd.DataFrame:
        """Validated service requests (changes of circumstances)."""
        return self._event("service_requests")

    def reconsiderations(self) -> pd.DataFrame:
        """Validated mandatory reconsiderations."""
        return self._event("reconsiderations")

    def children_sample(self, month: str) -> pd.DataFrame:
        """The validated children sample drawn in ``month`` (a March or September)."""
        if month not in self.sample_months:
            raise PeriodError(
                "extract.json",
                f"no children sample for {_fmt(month)}: samples are {', '.join(self.sample_months) or 'none'}",
            )
        key = f"children_sample:{month}"
        if key not in self._frames:
            self._frames[key] = _to_pandas(self._load("children_sample", month))
        return self._frames[key]

    def mi(self, name: str) -> pd.DataFrame:
        """A validated MI feed (``telephony``, ``complaints``, ``appeals``, ``accuracy_checks``).

        The Total row is checked against the rows and removed.
        """
        if name not in MI_FEEDS:
            raise ValueError(f"unknown MI feed {name!r}: expected one of {', '.join(MI_FEEDS)}")
        return self._event(name)

    def check_period(self, period: str) -> str:
        """See :func:`check_period`."""
        return check_period(self, period)

    @property
    def quarantine(self) -> pd.DataFrame:
        """Rows quarantined so far: ``file, row, column, reason``."""
        frames = [q for q in self._quarantine.values() if len(q)]
        if not frames:
            return _empty_quarantine()
        return pd.concat(frames, ignore_index=True)

    @property
    def rows_in(self) -> dict[str, int]:
        """Data rows read, by file (Excel: excluding header and Total row)."""
        return dict(self._rows_in)

    @property
    def rows_quarantined(self) -> dict[str, int]:
        return {rel: len(self._quarantine[rel]) for rel in self._rows_in}

    @property
    def rows_used(self) -> dict[str, int]:
        return {rel: n - len(self._quarantine[rel]) for rel, n in self._rows_in.items()}


def _payment_case_ids(folder: ExtractFolder) -> pa.Array | None:
    """The distinct case_ids of the payments file, or None if it cannot be read as expected."""
    try:
        arr = pq.read_table(folder.path / CONTRACT["payments"].path, columns=["case_id"]).column("case_id")
        if not pa.types.is_string(arr.type):
            return None
        return pc.unique(arr)
    except Exception:
        return None


def _unique(parts: list) -> pa.Array:
    if not parts:
        return pa.array([], pa.string())
    return pc.unique(pa.chunked_array(parts, pa.string()))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    cols = {}
    for name in table.column_names:
        arr = table.column(name)
        if pa.types.is_date32(arr.type):
            arr = pc.cast(arr, pa.timestamp("us"))
        elif pa.types.is_dictionary(arr.type):
            arr = pc.cast(arr, pa.string())
        cols[name] = arr
    return pa.table(cols).to_pandas()


def open_extracts(data_dir: str | Path) -> ExtractFolder:
    """Open an extract folder: checks ``extract.json`` and that every file is present.

    Parameters
    ----------
    data_dir : the extract folder (synthetic or real).

    Returns
    -------
    ExtractFolder
        Its accessors validate each file when first read.

    Raises
    ------
    ExtractError
        Missing folder, file or month; gap in the snapshots; bad ``extract.json``.
    """
    return ExtractFolder(data_dir)


def check_period(folder: ExtractFolder, period: str) -> str:
    """Check that a release period is a month the extract folder covers.

    Returns the period; raises :class:`PeriodError` (an :class:`ExtractError`) otherwise.
    """
    if not _is_month(period):
        raise PeriodError("extract.json", f"release period {_fmt(period)} is not a month YYYY-MM")
    if period not in folder.months:
        raise PeriodError(
            "extract.json",
            f"release period {period} is outside the data: the extract covers "
            f"{folder.months[0]} to {folder.months[-1]}",
        )
    return period


# --------------------------------------------------------------------------- validate
@dataclass
class ValidationReport:
    """What :func:`validate` read and found. Every fatal fault raises instead."""

    data_dir: Path
    metadata: dict
    files: list[str]
    rows_in: dict[str, int]
    rows_used: dict[str, int]
    rows_quarantined: dict[str, int]
    quarantine: pd.DataFrame
    seconds: float = 0.0
    months: list[str] = field(default_factory=list)
    sample_months: list[str] = field(default_factory=list)

    def quarantine_counts(self) -> pd.DataFrame:
        """Quarantined rows counted by file and reason: ``file, reason, rows``."""
        if not len(self.quarantine):
            return pd.DataFrame({"file": pd.Series([], dtype="str"), "reason": pd.Series([], dtype="str"),
                                 "rows": pd.Series([], dtype="int64")})
        return (
            self.quarantine.groupby(["file", "reason"], sort=False)
            .size()
            .rename("rows")
            .reset_index()
        )

    def format(self) -> str:
        """A short human summary: files, rows in / used / quarantined, quarantine by reason."""
        meta = self.metadata
        source = meta["source"]
        if source == "synthetic":
            g = meta["generator"]
            source += f" (generator {g['name']} {g['version']}, seed {g['seed']}, scale {g['scale']})"
        total_in, total_q = sum(self.rows_in.values()), sum(self.rows_quarantined.values())
        width = max(len(f) for f in self.files)
        lines = [
            f"Extract folder {self.data_dir}",
            f"  source: {source}",
            f"  months: {self.months[0]} to {self.months[-1]} ({len(self.months)} snapshots); "
            f"children samples: {', '.join(self.sample_months) or 'none'}",
            f"  {len(self.files)} files, {total_in:,} rows in, {total_in - total_q:,} used, "
            f"{total_q:,} quarantined",
            "",
            f"  {'file':<{width}}  {'rows in':>10}  {'used':>10}  {'quarantined':>11}",
        ]
        for f in self.files:
            lines.append(
                f"  {f:<{width}}  {self.rows_in[f]:>10,}  {self.rows_used[f]:>10,}  {self.rows_quarantined[f]:>11,}"
            )
        lines.append("")
        counts = self.quarantine_counts()
        if len(counts):
            lines.append("  quarantined rows by reason:")
            for r in counts.itertuples(index=False):
                lines.append(f"    {r.file}: {r.reason}: {r.rows:,}")
        else:
            lines.append("  no rows quarantined")
        lines.append(f"All files meet the contract (read and checked in {self.seconds:.1f} s).")
        return "\n".join(lines)


def validate(data_dir: str | Path) -> ValidationReport:
    """Read and check every file of an extract folder once.

    Parameters
    ----------
    data_dir : the extract folder.

    Returns
    -------
    ValidationReport
        Rows in / used / quarantined by file and the quarantine table.

    Raises
    ------
    ExtractError
        The first fatal fault found (one line: file, column, row).
    """
    started = time.perf_counter()
    folder = ExtractFolder(data_dir)
    wanted = _payment_case_ids(folder)  # None if unreadable: the payments check will say why
    ids = []
    for m in folder.months:
        table = folder._load("snapshot", m)
        case_ids = table.column("case_id")
        if wanted is not None:  # keep only what the payments rule needs: small
            case_ids = case_ids.filter(pc.is_in(case_ids, value_set=wanted))
        ids.append(case_ids)
        if m in folder.sample_months:
            folder._set_population(m, table)
        del table
    if wanted is not None:
        folder._case_ids = _unique([c for part in ids for c in part.chunks])
    del ids
    for key in EVENT_FILES:
        folder._load(key)
    for m in folder.sample_months:
        folder._load("children_sample", m)
    for key in MI_FEEDS:
        folder._load(key)
    files = folder.files()
    return ValidationReport(
        data_dir=folder.path,
        metadata=folder.metadata,
        files=files,
        rows_in={f: folder._rows_in[f] for f in files},
        rows_used={f: folder.rows_used[f] for f in files},
        rows_quarantined={f: folder.rows_quarantined[f] for f in files},
        quarantine=folder.quarantine,
        seconds=time.perf_counter() - started,
        months=folder.months,
        sample_months=folder.sample_months,
    )
