"""T2: caseload (cases managed on the 2012 scheme) at month end, by origin; T17: cases closed
each month, by reason, and closures as a share of the caseload."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cms_stats.months import month_index

from .common import ALL, Rows, date_month_index, flag, id_codes, share

TABLE = "T2"
ORIGINS = ("new_application", "arrears_only")


def caseload_month(snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T2 for one month: rows of the month-end snapshot, by ``origin`` and ``all``.

    Measure ``caseload``, breakdowns ``new_application``, ``arrears_only``, ``all`` (count).
    """
    rows = Rows()
    for name in ORIGINS:
        rows.add(TABLE, month, "caseload", name, flag(snapshot["origin"], name).sum(), "count")
    rows.add(TABLE, month, "caseload", ALL, len(snapshot), "count")
    return rows.frame()


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t2(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T2 for one month (``caseload.t2 per month``)."""
    return caseload_month(snapshot, month)


# --- T17 closures ----------------------------------------------------------------------------
T17 = "T17"
CLOSURE_REASONS = ("family_based_arrangement", "child_leaves_qualifying_age",
                   "applicant_withdraws", "no_further_liability", "other")


def closures_month(closures: pd.DataFrame, snapshot: pd.DataFrame, month: str,
                   previous: pd.Series | None) -> pd.DataFrame:
    """T17 and its data-quality check for one month.

    Parameters
    ----------
    closures : DataFrame
        Closures known at the as-at date (``case_id``, ``closed_date``, ``closure_reason``;
        ``closure_reason`` may be absent or null: the registry's ``needs`` then withholds the
        reasons).
    snapshot : DataFrame
        The month-end snapshot of ``month`` (``case_id`` as :func:`~.common.id_codes`).
    month : str
        The month.
    previous : Series or None
        The case ids (codes) of the snapshot of the month before; None for the first month.

    Returns
    -------
    DataFrame
        T17 ``cases_closed`` (closures dated in the month), ``cases_closed_by_reason`` (by
        reason), ``closures_share`` (closures / caseload at the end of the month before; no
        figure for the first month), and DQ ``closures_disagreeing_with_snapshots``: closures
        of the month whose case is in the month's snapshot (``in_month_end_snapshot``) or, from
        the second month, not in the month before's (``not_in_previous_snapshot``); ``all``
        counts each closure once.
    """
    closed = closures.loc[date_month_index(closures["closed_date"]) == month_index(month)]
    ids = id_codes(closed["case_id"]) if "case_id" in closed.columns else np.empty(0, np.int64)
    rows = Rows()
    rows.add(T17, month, "cases_closed", ALL, len(closed), "count")
    reason = closed["closure_reason"] if "closure_reason" in closed.columns else None
    for name in CLOSURE_REASONS:
        rows.add(T17, month, "cases_closed_by_reason", name,
                 0 if reason is None else flag(reason, name).sum(), "count")
    still_open = np.isin(ids, snapshot["case_id"].to_numpy())
    if previous is None:
        not_before = np.zeros(len(ids), dtype=bool)
    else:
        not_before = ~np.isin(ids, previous.to_numpy())
        rows.add(T17, month, "closures_share", ALL, share(len(closed), len(previous)), "share")
    rows.add("DQ", month, "closures_disagreeing_with_snapshots", "in_month_end_snapshot",
             still_open.sum(), "count")
    if previous is not None:
        rows.add("DQ", month, "closures_disagreeing_with_snapshots", "not_in_previous_snapshot",
                 not_before.sum(), "count")
    rows.add("DQ", month, "closures_disagreeing_with_snapshots", ALL, (still_open | not_before).sum(),
             "count")
    return rows.frame()


def closures(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T17 for one month (``caseload.closures per month``), with its DQ check."""
    previous = ctx.carry.get("closures.case_ids")
    ctx.carry["closures.case_ids"] = pd.Series(snapshot["case_id"].to_numpy())
    return closures_month(ctx.closures, snapshot, month, previous)
