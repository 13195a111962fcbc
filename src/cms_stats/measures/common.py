"""Shared helpers for the measures: dates to months, the as-at rule, the tidy shape.

Every measure function returns the one tidy shape ``table, period, measure, breakdown, value,
unit`` (see :data:`COLUMNS`): ``period`` is a ``"YYYY-MM"`` string, ``value`` is an unrounded
``float64`` and rows are sorted by table (publication order), period, measure and breakdown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cms_stats.months import month_index
from cms_stats.registry import UNITS, load_registry

COLUMNS = ["table", "period", "measure", "breakdown", "value", "unit"]
#: The largest and second largest contribution (case group) to a money figure, reported by the
#: measures that compute money by breakdown for the dominance rule (cms_stats.publish.protection);
#: kept in the unrounded working frame only, never published. NaN where not reported.
CONTRIBUTOR_COLUMNS = ["top1", "top2"]
#: Tables in publication order, as declared in the registry (resources/tables.yaml).
TABLE_ORDER = load_registry().table_order
ALL = "all"


# --- months (the arithmetic itself is cms_stats.months) ------------------------------------
def date_month_index(dates: pd.Series) -> np.ndarray:
    """Month number (see :func:`month_index`) of each date; ``-1`` for a missing date."""
    valid = dates.notna().to_numpy()
    out = np.full(len(dates), -1, dtype=np.int64)
    if valid.any():
        d = dates[valid]
        out[valid] = d.dt.year.to_numpy(dtype=np.int64) * 12 + d.dt.month.to_numpy(dtype=np.int64) - 1
    return out


def counts_by_month(month_idx: np.ndarray, months: Sequence[str], weights=None) -> np.ndarray:
    """Count (or sum ``weights``) of events per month in ``months`` (zeros where none)."""
    wanted = np.array([month_index(m) for m in months], dtype=np.int64)
    if len(wanted) == 0:
        return np.zeros(0)
    lo = wanted.min()
    size = wanted.max() - lo + 1
    idx = np.asarray(month_idx, dtype=np.int64) - lo
    keep = (idx >= 0) & (idx < size)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    binned = np.bincount(idx[keep], weights=w, minlength=size).astype(np.float64)
    return binned[wanted - lo]


def flag(series: pd.Series, code: str) -> np.ndarray:
    """Boolean array: ``series == code`` (missing values are False), without object arrays."""
    return series.eq(code).fillna(False).to_numpy(dtype=bool)


def as_at(frame: pd.DataFrame, date_column: str, as_at_date,
          cleared_columns: Iterable[str] = (), cleared_dependent: Iterable[str] = ()) -> pd.DataFrame:
    """What was known at ``as_at_date``.

    Drops events whose ``date_column`` is after the as-at date; a date in ``cleared_columns``
    after it becomes missing (not yet cleared) and so do the ``cleared_dependent`` columns of
    those rows (e.g. the outcome of a reconsideration not yet cleared).
    """
    as_at_date = pd.Timestamp(as_at_date)
    out = frame.loc[frame[date_column] <= as_at_date]
    cleared_columns = list(cleared_columns)
    if cleared_columns:
        out = out.copy()
        for col in cleared_columns:
            late = (out[col] > as_at_date).to_numpy()
            if late.any():
                out.loc[late, col] = pd.NaT
                for dep in cleared_dependent:
                    out.loc[late, dep] = None
    return out


# --- the tidy shape ---------------------------------------------------------------------------
def share(numerator, denominator) -> float:
    """``numerator / denominator`` as a float; NaN when the denominator is 0 (not applicable)."""
    numerator = float(numerator)
    denominator = float(denominator)
    return numerator / denominator if denominator != 0 else float("nan")


class Rows:
    """Collects tidy records ``(table, period, measure, breakdown, value, unit)``."""

    def __init__(self) -> None:
        self.records: list[tuple] = []

    def add(self, table: str, period: str, measure: str, breakdown: str, value, unit: str,
            top: tuple[float, float] | None = None) -> None:
        """Add one figure; ``top``: its two largest contributions (money, for dominance)."""
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}")
        record = (table, period, measure, breakdown, float(value), unit)
        if top is not None:
            record += (float(top[0]), float(top[1]))
        self.records.append(record)

    def frame(self) -> pd.DataFrame:
        return tidy(self.records)


def monthly_rows(wide: pd.DataFrame, table: str,
                 figures: Iterable[tuple[str, str, str, str]]) -> pd.DataFrame:
    """The tidy rows of a wide frame of one row a month (what an engine family returns).

    Parameters
    ----------
    wide : DataFrame
        ``month`` (``YYYY-MM``) and a column for each figure.
    table : str
        The table the figures belong to.
    figures : iterable of (measure, breakdown, column, unit[, (top1, top2)])
        Each figure and the column of ``wide`` that holds it; for a money figure reported for
        the dominance rule, the columns of its two largest contributions too.
    """
    figures = list(figures)
    rows = Rows()
    for record in wide.to_dict("records"):
        for measure, breakdown, column, unit, *top in figures:
            rows.add(table, record["month"], measure, breakdown, record[column], unit,
                     top=tuple(record[c] for c in top[0]) if top else None)
    return rows.frame()


def tidy(records) -> pd.DataFrame:
    """Records or frames -> the tidy shape, typed and sorted deterministically.

    Sorted by table (the registry's publication order: T1, T2, ..., DQ), then period, measure and breakdown.
    """
    rank = {t: i for i, t in enumerate(TABLE_ORDER)}
    if isinstance(records, pd.DataFrame) or (
            isinstance(records, list) and records and isinstance(records[0], pd.DataFrame)):
        frames = [records] if isinstance(records, pd.DataFrame) else records
        columns = COLUMNS + ([c for c in CONTRIBUTOR_COLUMNS if any(c in f.columns for f in frames)])
        frame = pd.concat([f[[c for c in columns if c in f.columns]] for f in frames], ignore_index=True)
        frame = frame.astype({c: "str" for c in COLUMNS if c != "value"}
                             | {c: "float64" for c in columns if c not in COLUMNS or c == "value"})
        order = frame["table"].map(rank).fillna(len(TABLE_ORDER)).astype("int64")
        return (frame.assign(_rank=order)
                .sort_values(["_rank", "table", "period", "measure", "breakdown"], kind="stable")
                .drop(columns="_rank")
                .reset_index(drop=True))
    # small lists of records (one table, one month): sorted in Python, built once
    records = sorted(records, key=lambda r: (rank.get(r[0], len(TABLE_ORDER)), r[0], r[1], r[2], r[3]))
    if not records:
        return pd.DataFrame({c: pd.array([], dtype="float64" if c == "value" else "str")
                             for c in COLUMNS})
    if any(len(r) > len(COLUMNS) for r in records):  # contributions reported for some figures
        nan = (float("nan"),) * len(CONTRIBUTOR_COLUMNS)
        records = [r if len(r) > len(COLUMNS) else r + nan for r in records]
        return pd.DataFrame.from_records(records, columns=COLUMNS + CONTRIBUTOR_COLUMNS)
    return pd.DataFrame.from_records(records, columns=COLUMNS)
