"""Column checks: physical types, normalisation to the canonical types, values, the key.

Every check is a vectorised pyarrow compute over a whole column; the first offending row is
located only when a check fails, for the message.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .common import Ctx, first_true, fmt
from .contract import Column, FileSpec


STRING_TYPES = ("month", "id", "code")


def is_stringlike(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return is_stringlike(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def type_ok(col: Column, t: pa.DataType) -> bool:
    if pa.types.is_null(t):
        return col.nullable
    if col.type in STRING_TYPES:
        return is_stringlike(t)
    if col.type == "date":
        return (
            pa.types.is_date(t)
            or (pa.types.is_timestamp(t) and t.tz is None)
            or is_stringlike(t)
        )
    if col.type == "money":
        return pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t)
    if col.type in ("count", "integer"):
        return pa.types.is_integer(t)
    raise AssertionError(col.type)  # pragma: no cover


EXPECTED_WORDS = {
    "month": "text YYYY-MM",
    "id": "text",
    "code": "text",
    "date": "date",
    "money": "number",
    "count": "whole number",
    "integer": "whole number",
}


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


def _check_utf8(arr: pa.ChunkedArray, col: Column, ctx: Ctx) -> None:
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


def arrow_type(col: Column) -> pa.DataType:
    """The canonical arrow type of a contract column (string, date32, float64, int64)."""
    target = {"date": pa.date32(), "money": pa.float64(), "count": pa.int64(), "integer": pa.int64()}
    return target.get(col.type, pa.string())


def normalise(arr: pa.ChunkedArray, col: Column, ctx: Ctx, check: bool = True) -> pa.ChunkedArray:
    """Cast a column to its canonical type (string, date32, float64, int64).

    ``check=False``: the column already passed (:mod:`~cms_stats.extracts.checked`): text is
    not validated as UTF-8 again.
    """
    t = arr.type
    if pa.types.is_null(t):
        return pc.cast(arr, arrow_type(col))
    if col.type in STRING_TYPES:
        if check:
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
            i = first_true(pc.not_equal(back, arr))
            if i is not None:
                raise ctx.error(
                    f"date has a time of day ({arr[i].as_py().isoformat()})", col.name, i
                )
            return as_date
        # ISO text dates
        if check:
            _check_utf8(arr, col, ctx)
        text = _to_string(arr)
        parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls impossible days over (2014-02-30 -> 2014-03-02): round-trip to be strict
        again = pc.strftime(parsed, format="%Y-%m-%d")
        i = first_true(pc.and_(pc.is_valid(text), pc.fill_null(pc.not_equal(again, text), True)))
        if i is not None:
            raise ctx.error(
                f"unparseable date {fmt(text[i].as_py())} (expected YYYY-MM-DD)", col.name, i
            )
        return pc.cast(parsed, pa.date32())
    if col.type == "money":
        return arr if t == pa.float64() else pc.cast(arr, pa.float64())
    if col.type in ("count", "integer"):
        return arr if t == pa.int64() else pc.cast(arr, pa.int64())
    raise AssertionError(col.type)  # pragma: no cover


def _check_column(arr: pa.ChunkedArray, col: Column, ctx: Ctx) -> None:
    """Value checks of one (normalised) column: nulls, patterns, codes, ranges."""
    if arr.null_count and not col.nullable:
        raise ctx.error("missing value", col.name, first_true(pc.is_null(arr)))
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
        i = first_true(pc.invert(ok))
        if i is not None:
            what = "identifier does not match" if col.type == "id" else "not a month"
            expected = col.pattern if col.type == "id" else "YYYY-MM"
            raise ctx.error(f"{what} {expected} ({fmt(arr[i].as_py())})", col.name, i)
    elif col.type == "code":
        found = pc.unique(arr.drop_null()).to_pylist()
        allowed = frozenset(col.codes)
        if any(v not in allowed for v in found):
            arr = _to_string(arr)
            ok = pc.is_in(arr, value_set=pa.array(col.codes, pa.string()))
            i = first_true(pc.and_(pc.is_valid(arr), pc.invert(ok)))
            raise ctx.error(
                f"unknown code {fmt(arr[i].as_py())} (allowed: {col.codes_named or ', '.join(col.codes)})",
                col.name, i)
    elif col.type == "money":
        i = first_true(pc.is_nan(arr))
        if i is not None:
            raise ctx.error("missing value (NaN)", col.name, i)
        i = first_true(pc.invert(pc.is_finite(arr)))
        if i is not None:
            raise ctx.error(f"not a finite amount ({arr[i].as_py()})", col.name, i)
        i = _first_not_pence(arr)
        if i is not None:
            raise ctx.error(f"more than 2 decimal places ({arr[i].as_py()!r})", col.name, i)
    if col.type in ("money", "count", "integer"):
        if col.min is not None and col.below_min == "error":
            below = pc.less(arr, col.min) if col.min_inclusive else pc.less_equal(arr, col.min)
            i = first_true(below)
            if i is not None:
                v = arr[i].as_py()
                if col.type == "money":
                    msg = f"negative money ({fmt(v)})" if v < 0 else f"must be > {col.min:g} ({fmt(v)})"
                elif col.type == "count":
                    msg = f"negative count ({v})"
                else:
                    msg = f"out of range {col.min:g}..{col.max:g} ({v})"
                raise ctx.error(msg, col.name, i)
        if col.max is not None:
            i = first_true(pc.greater(arr, col.max))
            if i is not None:
                raise ctx.error(
                    f"out of range {col.min:g}..{col.max:g} ({arr[i].as_py()})", col.name, i
                )


#: A fixed-width identifier pattern (``C[0-9]{8}``): a capital letter, then so many digits.
FIXED_ID = re.compile(r"([A-Z])\[0-9\]\{(\d+)\}\Z")


def _fixed_width_ok(arr: pa.ChunkedArray, pattern: str) -> bool:
    """Fast path for identifiers like ``C[0-9]{8}``: check the raw bytes with numpy.

    True when every value matches; False means "not sure" (the regex then finds the row).
    """
    m = FIXED_ID.match(pattern)
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


def _check_key(table: pa.Table, spec: FileSpec, ctx: Ctx) -> None:
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
        f"duplicate key {fmt(values.iloc[i])} (first at row {first + ctx.row_base})", name, i
    )


def check_column(arr: pa.ChunkedArray, col: Column, ctx: Ctx, check: bool = True) -> pa.ChunkedArray:
    """One column normalised to its canonical type and (``check``) its values checked; the
    first fault raises (one line naming file, column and row)."""
    arr = normalise(arr, col, ctx, check)
    if check:
        _check_column(arr, col, ctx)
    return arr


def key_checked(spec: FileSpec, ctx: Ctx) -> bool:
    """Whether the file's key must be unique (not for an MI feed with its delivery dates: one
    row per delivery, see :func:`~cms_stats.extracts.vintage.check_vintage_rules`)."""
    return spec.delivery_column is None or spec.delivery_column in ctx.absent


def check_table(table: pa.Table, spec: FileSpec, ctx: Ctx, check: bool = True,
                key: bool = True) -> pa.Table:
    """Normalise and check every column, then the key; returns the normalised table.

    An optional column absent from the table is added all-null, of its canonical type, and
    recorded in ``ctx.absent``; it is not checked (absence is allowed, with its documented
    meaning). ``check=False`` only normalises: for a file that already passed
    (:mod:`~cms_stats.extracts.checked`). ``key=False`` leaves the key to the caller (a file
    checked in batches: :mod:`~cms_stats.extracts.keys`).
    """
    arrays = {}
    for col in spec.columns:
        if col.optional and col.name not in table.column_names:
            if col.name not in ctx.absent:
                ctx.absent.append(col.name)
            arrays[col.name] = pa.chunked_array([pa.nulls(table.num_rows, arrow_type(col))])
            continue
        arrays[col.name] = check_column(table.column(col.name), col, ctx, check)
    out = pa.table(arrays)
    if check and key and key_checked(spec, ctx):
        _check_key(out, spec, ctx)  # else one row per delivery: see vintage.check_vintage_rules
    return out
