"""What every part of the loader shares: values in messages, the first failing row, failing
early on an unreadable file, and :class:`Ctx` (where a table came from)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ExtractError


def fmt(value) -> str:
    """A value as it should appear in a one-line message."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "...'"


def first_true(mask: pa.ChunkedArray | pa.Array) -> int | None:
    """Index of the first True of a boolean array (nulls count as False), or None."""
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return None
    return pc.index(mask, True).as_py()


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, short enough for a one-line error."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


def read_bytes(path: Path, rel: str) -> bytes:
    """The bytes of a file; a missing or unreadable file is an :class:`ExtractError`."""
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


def check_readable(path: Path, rel: str) -> None:
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


class Ctx:
    """Where a table came from: for messages and row numbers."""

    def __init__(self, rel: str, row_base: int = 1, sheet: str | None = None, month: str | None = None):
        self.rel = rel
        self.row_base = row_base  # row number of data index 0 (parquet: 1; Excel: 2)
        self.sheet = sheet
        self.month = month
        self.total: tuple | None = None  # Excel: (Total row values, its data index)
        self.absent: list[str] = []  # optional columns absent from the file

    def error(self, message: str, column: str | None = None, index: int | None = None) -> ExtractError:
        row = None if index is None else index + self.row_base
        return ExtractError(self.rel, message, column=column, row=row, sheet=self.sheet)


def unique_strings(parts: list) -> pa.Array:
    """The distinct strings of a list of string arrays (an empty string array for none)."""
    if not parts:
        return pa.array([], pa.string())
    return pc.unique(pa.chunked_array(parts, pa.string()))


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A checked table as pandas: dates as ``datetime64[us]``, codes and months as ``str``."""
    cols = {}
    for name in table.column_names:
        arr = table.column(name)
        if pa.types.is_date32(arr.type):
            arr = pc.cast(arr, pa.timestamp("us"))
        elif pa.types.is_dictionary(arr.type):
            arr = pc.cast(arr, pa.string())
        cols[name] = arr
    return pa.table(cols).to_pandas()
