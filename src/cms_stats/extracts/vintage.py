"""Vintages: when each fact became known, and the folder as known at a cut-off.

The definition is stated once, in :data:`~cms_stats.extracts.contract.KNOWN_AT_DEFINITION`;
this module implements it for one file at a time:

* event files may carry ``recorded_date`` (the day a row was recorded; on or after its event
  date): as known at ``known_at`` a row counts only if it was recorded on or before that day;
* MI feeds may carry ``delivered_date`` (one row per delivery of a month, in delivery order):
  as known at ``known_at`` each month is its latest delivery on or before that day, and a
  month not yet delivered is absent. Without ``known_at`` each month is its latest delivery.

A file without these columns is the same at every cut-off.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from cms_stats.months import month_end

from .common import Ctx, first_true
from .contract import SCHEME_START, SCHEME_START_MONTH
from .spec import FileSpec

RECORDED = "recorded_date"
#: Dates within a row that say when a fact became known (the fact and what depends on it): as
#: known at ``known_at`` a date after it is not yet known, so the row reads as not yet cleared.
CLEARED = {"applications": ("cleared_date", ("clearance_type",))}


def recorded_present(spec: FileSpec, ctx: Ctx) -> bool:
    """Whether the file carries ``recorded_date`` (an event file that records it)."""
    return RECORDED in spec.column_names and RECORDED not in ctx.absent


def delivered_present(spec: FileSpec, ctx: Ctx) -> bool:
    """Whether the file carries its delivery dates (an MI feed re-delivered by month)."""
    return spec.delivery_column is not None and spec.delivery_column not in ctx.absent


def check_vintage_rules(table: pa.Table, spec: FileSpec, ctx: Ctx, last_month: str) -> None:
    """The fatal rules of the recording dates (one line naming file, column and row).

    ``recorded_date`` before the event date; ``delivered_date`` before the last day of its
    month; a month re-delivered with a date before its first delivery; a repeated delivery
    (``month``, ``delivered_date``). A row dated outside the scheme window (before the scheme
    start or after ``last_month``) is quarantined for its date instead: its recording date is
    not checked against a date already known to be wrong.
    """
    if recorded_present(spec, ctx) and spec.window_column:
        event, recorded = table.column(spec.window_column), table.column(RECORDED)
        inside = pc.and_(pc.greater_equal(event, pa.scalar(SCHEME_START, pa.date32())),
                         pc.less_equal(event, pa.scalar(month_end(last_month), pa.date32())))
        i = first_true(pc.and_(inside, pc.less(recorded, event)))
        if i is not None:
            raise ctx.error(
                f"recorded {recorded[i].as_py()}, before its {spec.window_column} "
                f"{event[i].as_py()}", RECORDED, i)
    if delivered_present(spec, ctx):
        _check_deliveries(table, spec, ctx, last_month)


def _check_deliveries(table: pa.Table, spec: FileSpec, ctx: Ctx, last_month: str) -> None:
    col = spec.delivery_column
    (key,) = spec.primary_key
    months = table.column(key).to_pylist()
    delivered = table.column(col).to_pylist()
    first: dict[str, tuple[dt.date, int]] = {}
    seen: dict[tuple[str, dt.date], int] = {}
    for i, (month, day) in enumerate(zip(months, delivered)):
        if not SCHEME_START_MONTH <= month <= last_month:
            continue  # quarantined for its month
        if day < month_end(month):
            raise ctx.error(f"delivered {day}, before the end of its month {month}", col, i)
        if (month, day) in seen:
            raise ctx.error(
                f"duplicate delivery: {month} delivered {day} twice (first at row "
                f"{seen[month, day] + ctx.row_base})", col, i)
        if month in first and day < first[month][0]:
            when, row = first[month]
            raise ctx.error(
                f"{month} re-delivered with a date ({day}) before its first delivery ({when}, "
                f"row {row + ctx.row_base})", col, i)
        first.setdefault(month, (day, i))
        seen[month, day] = i


def latest_deliveries(table: pa.Table, spec: FileSpec) -> pa.Table:
    """One row per month: its latest delivery (rows in first-delivery order of the months)."""
    (key,) = spec.primary_key
    months = table.column(key).to_pylist()
    days = pc.cast(table.column(spec.delivery_column), pa.int32()).to_numpy(zero_copy_only=False)
    keep: dict[str, int] = {}
    for i, (m, d) in enumerate(zip(months, days)):
        if m not in keep or d > days[keep[m]]:
            keep[m] = i
    return table.take(pa.array(list(keep.values()), pa.int64()))  # first-delivery order


def as_known_at(table: pa.Table, spec: FileSpec, ctx: Ctx, known_at: dt.date | None,
                count_only: bool = False) -> tuple[pa.Table, int, int]:
    """The checked, quarantined rows of a file as known at the end of ``known_at``.

    Returns
    -------
    (table, not_yet_known, superseded)
        The rows that count; the rows left out because they were recorded (delivered) after
        ``known_at``; for an MI feed, the earlier deliveries replaced by a later one. With
        ``count_only`` an event file's rows are counted, not selected (no copy is made).
    """
    not_yet_known = 0
    if known_at is not None and (recorded_present(spec, ctx) or delivered_present(spec, ctx)):
        column = RECORDED if recorded_present(spec, ctx) else spec.delivery_column
        known = pc.less_equal(table.column(column), pa.scalar(known_at, pa.date32()))
        not_yet_known = table.num_rows - pc.sum(known).as_py() if table.num_rows else 0
        if not_yet_known and not (count_only and not delivered_present(spec, ctx)):
            table = table.filter(known)
    if known_at is not None and spec.key in CLEARED:
        table = not_yet_cleared(table, *CLEARED[spec.key], known_at)
    if not delivered_present(spec, ctx):
        return table, not_yet_known, 0
    latest = latest_deliveries(table, spec)
    return latest, not_yet_known, table.num_rows - latest.num_rows


def not_yet_cleared(table: pa.Table, column: str, dependent: tuple[str, ...],
                    known_at: dt.date) -> pa.Table:
    """``table`` with ``column`` (a clearance date) after ``known_at`` made null, and the
    ``dependent`` columns of those rows too: a clearance made after the cut-off was not known
    at it, so the row reads as not yet cleared."""
    late = pc.fill_null(pc.greater(table.column(column), pa.scalar(known_at, pa.date32())), False)
    if not pc.any(late).as_py():
        return table
    for name in (column, *dependent):
        i = table.column_names.index(name)
        arr = table.column(name)
        table = table.set_column(i, name, pc.if_else(late, pa.scalar(None, arr.type), arr))
    return table
