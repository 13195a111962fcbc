"""T2: caseload (cases managed on the 2012 scheme) at month end, by origin; T17: cases closed
each month, by reason, and closures as a share of the caseload.

The family's one definition is a set of Ibis expressions (:func:`caseload_by_month`,
:func:`closures_by_month`) run by the measures engine (:mod:`.engine`: DuckDB by default, or
Spark) over the snapshots scanned from the extract and the validated closures.
"""

from __future__ import annotations

import ibis
import pandas as pd

from .common import ALL, Rows, monthly_rows
from .engine import count_where, left_join, month_integer, month_number, ratio

TABLE = "T2"
ORIGINS = ("new_application", "arrears_only")
T17 = "T17"
CLOSURE_REASONS = ("family_based_arrangement", "child_leaves_qualifying_age",
                   "applicant_withdraws", "no_further_liability", "other")


def caseload_by_month(snapshots: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T2: the rows of each month-end snapshot, by ``origin`` and in all.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``origin``; one row per case and month).
    months : ibis.Table
        The months reported (``month``), so that a month without rows has zeros.

    Returns
    -------
    ibis.Table
        ``month``, ``caseload`` (all) and ``caseload_<origin>`` for each origin.
    """
    counts = snapshots.group_by("month").aggregate(
        caseload=snapshots.count(),
        **{f"caseload_{o}": count_where(snapshots.origin == o) for o in ORIGINS})
    return left_join(months, counts, ["month"]).fill_null(0)


def closures_by_month(closures: ibis.Table, snapshots: ibis.Table, months: ibis.Table,
                      first_month: int) -> ibis.Table:
    """T17 and its data-quality check, every month.

    Parameters
    ----------
    closures : ibis.Table
        Closures known at the as-at date (``case_id``, ``closed_date``, ``closure_reason``,
        null when the folder gives no reasons: the registry's ``needs`` then withholds them).
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_id``, ``origin``).
    months : ibis.Table
        The months reported (``month``).
    first_month : int
        The folder's first month (:func:`~.engine.month_number`): it has no month before.

    Returns
    -------
    ibis.Table
        One row per month: ``cases_closed`` (closures with ``closed_date`` in the month),
        ``closed_<reason>`` for each reason, ``closures_share`` (closures / the caseload at the
        end of the month before; null for the first month or a caseload of none), and the DQ
        check ``in_month_end_snapshot`` (closures of the month whose case is in the month's
        snapshot), ``not_in_previous_snapshot`` (from the second month: whose case is not in
        the month before's) and ``disagreeing`` (either; each closure once).
    """
    closed = closures.mutate(month=month_number(closures.closed_date))
    # the snapshot rows of closed cases only (a small table to join; every engine builds the
    # semi-join on the closures, not on the snapshots)
    keys = snapshots.select("case_id", "month").semi_join(closed.select("case_id"), "case_id")
    closed = left_join(closed, keys.mutate(in_month_end_snapshot=ibis.literal(True)),
                       ["case_id", "month"])
    closed = left_join(closed, keys.select("case_id", month=keys.month + 1,
                                           in_previous_snapshot=ibis.literal(True)),
                       ["case_id", "month"])
    now = closed.in_month_end_snapshot.fill_null(False)
    not_before = ~closed.in_previous_snapshot.fill_null(False) & (closed.month > first_month)
    by_month = closed.group_by("month").aggregate(
        cases_closed=closed.count(),
        **{f"closed_{r}": count_where(closed.closure_reason == r) for r in CLOSURE_REASONS},
        in_month_end_snapshot=count_where(now),
        not_in_previous_snapshot=count_where(not_before),
        disagreeing=count_where(now | not_before))
    before = caseload_by_month(snapshots, months)
    before = before.select(month=before.month + 1, caseload_before=before.caseload)
    out = left_join(left_join(months, by_month, ["month"]).fill_null(0), before, ["month"])
    return out.mutate(closures_share=ibis.ifelse(out.month > first_month,
                                                 ratio(out.cases_closed, out.caseload_before),
                                                 ibis.null("float64")))


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t2(ctx) -> pd.DataFrame:
    """T2 every month (``caseload.t2 per period``): measure ``caseload``, breakdowns
    ``new_application``, ``arrears_only``, ``all`` (count)."""
    wide = ctx.engine.execute(caseload_by_month(ctx.engine_snapshots, ctx.engine_months),
                              ctx.months)
    return monthly_rows(wide, TABLE, [*(("caseload", o, f"caseload_{o}", "count") for o in ORIGINS),
                                      ("caseload", ALL, "caseload", "count")])


def closures(ctx) -> pd.DataFrame:
    """T17 every month (``caseload.closures per period``), with its DQ check
    ``closures_disagreeing_with_snapshots``; see :func:`closures_by_month`."""
    closed = ctx.engine_events("closures")
    if "closure_reason" not in closed.columns:  # the optional column left out: no reasons
        closed = closed.mutate(closure_reason=ibis.null("string"))
    closed = closed.select("case_id", "closed_date", "closure_reason")
    first = month_integer(ctx.folder.months[0])
    wide = ctx.engine.execute(
        closures_by_month(closed, ctx.engine_snapshots,
                          ctx.engine_months, first), ctx.months)
    rows = Rows()
    for r in wide.itertuples(index=False):
        first_month = r.month == ctx.folder.months[0]
        rows.add(T17, r.month, "cases_closed", ALL, r.cases_closed, "count")
        for name in CLOSURE_REASONS:
            rows.add(T17, r.month, "cases_closed_by_reason", name, getattr(r, f"closed_{name}"),
                     "count")
        if not first_month:
            rows.add(T17, r.month, "closures_share", ALL, r.closures_share, "share")
        check = "closures_disagreeing_with_snapshots"
        rows.add("DQ", r.month, check, "in_month_end_snapshot", r.in_month_end_snapshot, "count")
        if not first_month:
            rows.add("DQ", r.month, check, "not_in_previous_snapshot",
                     r.not_in_previous_snapshot, "count")
        rows.add("DQ", r.month, check, ALL, r.disagreeing, "count")
    return rows.frame()
