"""An event file for an engine: the loader's rows as Arrow, or how to scan the file itself.

The measures engine reads the event files the loader has checked. It may take the loader's
validated Arrow table (:func:`event_table`: in memory, whatever the file's physical types), or,
when the file has passed its checks in this process and already stores every column in the
type the loader gives it, scan the file itself (:func:`event_scan`): the same rows (the
quarantined positions left out, rows recorded after ``known_at`` left out, a clearance made
after it read as not yet made) with the same values, streamed from disk rather than held:
the service requests of ten years are 45M rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import checked, streamed
from .columns import STRING_TYPES, arrow_type
from .contract import CONTRACT, EVENT_FILES, OPTIONAL_FILES
from .vintage import CLEARED, RECORDED

if TYPE_CHECKING:
    from .folder import ExtractFolder

__all__ = ["EventScan", "event_table", "event_scan", "event_column", "no_rows"]


@dataclass(frozen=True)
class EventScan:
    """An event file an engine may scan itself: the rows and values the loader gives are the
    file's rows less ``taken``, less those recorded after ``recorded_by``, with ``cleared``
    applied; every column is stored in its canonical type.

    Attributes
    ----------
    path : Path
        The Parquet file.
    columns : dict of str to pyarrow.DataType
        The contract's columns, in order, with the type the loader gives them (``absent``
        ones are null in every row).
    absent : tuple of str
        Optional columns the file leaves out.
    taken : ndarray of int64
        Positions (0-based, in the file) of the quarantined rows.
    recorded_by : datetime.date or None
        Only rows with ``recorded_date`` on or before it (None: every row).
    cleared : tuple or None
        ``(column, dependents, known_at)``: a ``column`` date after ``known_at`` is null, and
        so are the ``dependents`` of that row (a clearance not yet made at the cut-off).
    identity : tuple
        The file's identity when it was checked (:func:`.checked.file_identity`): an engine
        reads the file when its queries run, so a reader compares it again afterwards.
    """

    path: Path
    columns: dict[str, pa.DataType]
    absent: tuple[str, ...]
    taken: np.ndarray
    recorded_by: dt.date | None
    cleared: tuple[str, tuple[str, ...], dt.date] | None
    identity: tuple


def _event_key(key: str) -> None:
    if key not in (*EVENT_FILES, *OPTIONAL_FILES):
        raise ValueError(f"not an event file: {key!r}")


def event_table(folder: ExtractFolder, key: str) -> pa.Table:
    """A validated event file (``EVENT_FILES``, ``OPTIONAL_FILES``) as Arrow, for a reader that
    hands it to an engine without making a pandas frame of it.

    The rows the pandas accessor gives (quarantined rows removed, rows recorded after
    ``known_at`` left out); dates as ``date32``, codes dictionary-encoded as read. Not kept:
    each call reads the file (the checks it passed in this process are not repeated,
    :mod:`.checked`). An optional file the folder leaves out gives no rows, with the
    contract's columns.

    Raises
    ------
    ExtractError
        The file fails a check (one line naming file, column and row).
    """
    _event_key(key)
    spec = CONTRACT[key]
    if key in OPTIONAL_FILES and spec.path in folder.absent_files:
        return no_rows(key)
    if key in folder._frames:  # already a frame: the same rows, not read again
        return pa.Table.from_pandas(folder._frames[key], preserve_index=False)
    return folder._load(key)


def no_rows(key: str) -> pa.Table:
    """An event file with no rows: the contract's columns in the loader's types (an optional
    file a folder leaves out)."""
    return pa.table({c.name: pa.array([], arrow_type(c)) for c in CONTRACT[key].columns
                     if c.name != RECORDED})


def _canonical(col, stored: pa.DataType) -> bool:
    """Whether a column stored as ``stored`` reads as the loader gives it, with no conversion
    but string encodings (dictionary or plain: the same text)."""
    if col.type in STRING_TYPES:
        if pa.types.is_dictionary(stored):
            stored = stored.value_type
        return pa.types.is_string(stored) or pa.types.is_large_string(stored)
    return stored == arrow_type(col)


def event_scan(folder: ExtractFolder, key: str) -> EventScan | None:
    """How an engine may scan an event file itself, or None when it must take
    :func:`event_table` instead.

    The file is checked first if this process has not checked it (one line naming file,
    column and row on a fault). None when the file cannot be remembered as checked (written in
    the last seconds, :data:`.checked.SETTLED_NS`), when a column is stored in a type the loader
    converts (a date as text or a timestamp, a count as int32, ...), or for an optional file
    the folder leaves out. The folder's bookkeeping (rows in, quarantined, not yet known) is
    what reading the file would give.

    Raises
    ------
    ExtractError
        The file fails a check.
    """
    _event_key(key)
    spec = CONTRACT[key]
    if key in OPTIONAL_FILES and spec.path in folder.absent_files:
        return None
    streamed.check_event(folder, key)  # once in this process; the bookkeeping a read gives
    remembered = checked.recall(folder._signature, spec.path, spec)
    if remembered is None:  # written in the last seconds: not remembered as checked
        return None
    path = folder.path / spec.path
    stored = pq.read_schema(path)
    absent = tuple(remembered.absent)
    if any(not _canonical(c, stored.field(c.name).type) for c in spec.columns if c.name not in absent):
        return None
    # an engine's reader renames a column whose name differs from another's only in case
    # (``AMOUNT`` beside ``amount``) and adds ``file_row_number``: take the loader's table
    names = [n.lower() for n in stored.names] + ["file_row_number"]
    if len(set(names)) < len(names):
        return None
    recorded = RECORDED in spec.column_names and RECORDED not in absent
    recorded_by = folder.known_at if recorded else None
    cleared = None
    if folder.known_at is not None and key in CLEARED:
        cleared = (*CLEARED[key], folder.known_at)
    return EventScan(path=path, columns={c.name: arrow_type(c) for c in spec.columns},
                     absent=absent, taken=remembered.taken, recorded_by=recorded_by,
                     cleared=cleared, identity=remembered.identity)


def event_column(folder: ExtractFolder, key: str, column: str) -> pa.ChunkedArray:
    """One column of a validated event file, the rows :func:`event_table` gives, reading only
    that column (and ``recorded_date``) when the file can be scanned (:func:`event_scan`):
    the earliest date of 45M service requests without a table of them in memory.

    Raises
    ------
    ExtractError
        The file fails a check.
    """
    scan = event_scan(folder, key)
    if scan is None or (scan.cleared is not None and column in (scan.cleared[0], *scan.cleared[1])):
        return event_table(folder, key).column(column)
    if column not in scan.columns:
        raise KeyError(f"{CONTRACT[key].path} has no column {column!r}")
    rows = pq.ParquetFile(scan.path).metadata.num_rows
    keep = np.ones(rows, dtype=bool)
    keep[scan.taken] = False
    mask = pa.array(keep)
    if scan.recorded_by is not None:
        days = pq.read_table(scan.path, columns=[RECORDED]).column(RECORDED)
        known = pc.less_equal(days, pa.scalar(scan.recorded_by, pa.date32()))
        mask = pc.and_(mask, pc.fill_null(known, False))
    if column in scan.absent:  # null in every row the loader gives
        return pa.chunked_array([pa.nulls(pc.sum(mask).as_py() or 0, scan.columns[column])])
    values = pq.read_table(scan.path, columns=[column]).column(column)
    return values.filter(mask).cast(scan.columns[column])
