"""Quarantine: row-level faults that the methodology excludes, and the table that lists them.

Each quarantined row is recorded once (``file, row, column, reason``), for the first rule it
breaks, and removed before any measure is computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cms_stats.months import month_end

from .common import Ctx
from .contract import SCHEME_START, SCHEME_START_MONTH, FileSpec

if TYPE_CHECKING:
    from .folder import ExtractFolder

QUARANTINE_COLUMNS = ["file", "row", "column", "reason"]


def empty_quarantine() -> pd.DataFrame:
    """A quarantine table with no rows (its columns typed as when it has rows)."""
    return pd.DataFrame(
        {
            "file": pd.Series([], dtype="str"),
            "row": pd.Series([], dtype="int64"),
            "column": pd.Series([], dtype="str"),
            "reason": pd.Series([], dtype="str"),
        }
    )


def _quarantine_masks(table: pa.Table, spec: FileSpec, ctx: Ctx, folder: ExtractFolder):
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
            yield below, col.name, col.below_min_reason


def apply_quarantine(table: pa.Table, spec: FileSpec, ctx: Ctx, folder: ExtractFolder):
    """``(rows used, quarantine table)``: each faulty row removed once, for its first reason."""
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
        return table, empty_quarantine()
    quarantine = pd.concat(pieces, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)
    return table.filter(pa.array(~taken)), quarantine
