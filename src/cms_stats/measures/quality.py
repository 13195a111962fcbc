"""DQ: the data-quality measures (reported, not hidden).

- ``duplicate_new_applications_removed`` by month (the T1 rule);
- ``quarantined_rows`` by ``"file: reason"`` (and ``all``), from the loader's quarantine table,
  for the release period;
- ``fee_status_recorded_in_error`` by month and reason (the contract's ``fee_status`` rule):
  ``no_fee_after_fees_began`` (a new application received on or after 30 June 2014 recorded
  ``no_fee``: kept in T1, in neither fee-paying nor exempt in T3), ``fee_before_fees_began``
  (a status other than ``no_fee`` before 30 June 2014), ``fee_on_arrears_only`` (an arrears-only
  application on or after it with a status other than ``no_fee``), and ``all``;
- ``arrears_roll_forward_failures`` (case groups) and ``arrears_roll_forward_money_at_stake``
  (GBP) by month, breakdowns ``within_month``, ``across_months`` and ``all``.
"""

from __future__ import annotations

import ibis
import pandas as pd

from .arrears import largest_two_by_month
from .common import ALL, Rows, monthly_rows, tidy
from .engine import count_where, left_join, month_integer, pence
from .intake import NEW, intake_rows, kept_applications

TABLE = "DQ"
TOLERANCE_PENCE = 1
#: The roll-forward check's parts and the failing amount each sums (pence); ``all`` is either.
ROLL_FORWARD_PARTS = {"within_month": "within", "across_months": "across", ALL: None}
#: Application fees began on this day (it belongs to June 2014): the contract's fee_status rule.
FEES_BEGAN = pd.Timestamp("2014-06-30")
#: The reasons a fee status is recorded in error (see the module docstring).
FEE_STATUS_REASONS = ("no_fee_after_fees_began", "fee_before_fees_began", "fee_on_arrears_only")


def fee_status_errors_by_month(kept: ibis.Table, months: ibis.Table) -> ibis.Table:
    """``fee_status_recorded_in_error`` every month, by reason (see the module docstring).

    Parameters
    ----------
    kept : ibis.Table
        The applications after the duplicate rule (T1's,
        :func:`~cms_stats.measures.intake.kept_applications`: ``month`` received,
        ``received_date``, ``application_type``, ``fee_status``); each row breaking the rule is
        counted once, in the month it was received.
    months : ibis.Table
        The months reported (``month``).

    Returns
    -------
    ibis.Table
        One row per month: a count for each reason of :data:`FEE_STATUS_REASONS` and ``all``.
    """
    new = kept.application_type == NEW
    no_fee = (kept.fee_status == "no_fee").fill_null(False)
    after = kept.received_date >= ibis.date(FEES_BEGAN.year, FEES_BEGAN.month, FEES_BEGAN.day)
    reasons = {"no_fee_after_fees_began": new & after & no_fee,
               "fee_before_fees_began": ~after & ~no_fee,
               "fee_on_arrears_only": ~new & after & ~no_fee}
    counts = kept.group_by("month").aggregate(
        **{name: count_where(rule) for name, rule in reasons.items()})
    out = left_join(months, counts, ["month"]).fill_null(0)
    return out.mutate(**{ALL: sum(out[name] for name in FEE_STATUS_REASONS)})


def quarantine_table(quarantine: pd.DataFrame, period: str) -> pd.DataFrame:
    """``quarantined_rows`` for the release ``period``: one row per ``"file: reason"`` and ``all``."""
    rows = Rows()
    if len(quarantine):
        key = quarantine["file"].astype("str") + ": " + quarantine["reason"].astype("str")
        for name, count in key.value_counts(sort=False).sort_index().items():
            rows.add(TABLE, period, "quarantined_rows", name, count, "count")
    rows.add(TABLE, period, "quarantined_rows", ALL, len(quarantine), "count")
    return rows.frame()


def roll_forward_by_month(snapshots: ibis.Table, months: ibis.Table,
                          first_month: int, last_month: int) -> ibis.Table:
    """Arrears roll-forward failures each month, and the arrears leaving with closed cases.

    Checked per case, in whole pence (:func:`~.engine.pence`), with a tolerance of 1p
    (:data:`TOLERANCE_PENCE`):

    - *within the month*: ``arrears_opening + arrears_accrued - arrears_paid +
      arrears_adjustment`` must equal ``arrears_closing``;
    - *across months*: ``arrears_opening`` must equal the case's ``arrears_closing`` at the end
      of the month before (0 for a case not in that snapshot; not checked in ``first_month``,
      which has no month before).

    A case group fails when any of its cases fails; the money at stake is the sum of the
    absolute differences of the failing checks (GBP).

    Arrears leave the 2012 scheme's books with their case: the cases with ``arrears_closing >
    0`` at the end of the month before that are not in the month's snapshot (every month after
    ``first_month``). Outstanding arrears (T8) no longer count them; reported so the reader
    sees what left, not hidden in a falling total.

    The month before is one full outer join of the snapshots with themselves on ``case_id``
    and ``month - 1``: its rows with a case this month are checked, those without one are the
    cases that left. Its "before" side holds only the months ``first_month`` to ``last_month -
    1``, shifted to the months after ``first_month`` to ``last_month``: the months reported
    that have a month before.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_id``, ``case_group_id``, ``arrears_opening``,
        ``arrears_accrued``, ``arrears_paid``, ``arrears_adjustment``, ``arrears_closing``).
    months : ibis.Table
        The months reported (``month``), so that a month without rows has zeros.
    first_month : int
        The folder's first month (:func:`~.engine.month_number`).
    last_month : int
        The last month reported, the period (:func:`~.engine.month_number`).

    Returns
    -------
    ibis.Table
        One row per month: for each part (``within_month``, ``across_months`` and ``all``,
        either check) ``failures_<part>`` (case groups failing), ``money_<part>`` (GBP) and its
        two largest case groups' contributions ``top1_<part>`` and ``top2_<part>`` for the
        dominance rule; ``closed_cases`` and ``closed_arrears`` (GBP) with its two largest
        cases ``top1_closed`` and ``top2_closed`` (null in ``first_month``).
    """
    opening = pence(snapshots.arrears_opening)
    now = snapshots.select(
        "case_id", "case_group_id", "month", opening=opening,
        within=(opening + pence(snapshots.arrears_accrued) - pence(snapshots.arrears_paid)
                + pence(snapshots.arrears_adjustment) - pence(snapshots.arrears_closing)).abs())
    # a month's closing is only ever compared with the next month's opening: the last month's
    # rows shifted beyond the period (or a month before the first onto it, which is not
    # checked across) would be joined for no figure
    shifted = snapshots.filter((snapshots.month >= first_month) & (snapshots.month < last_month))
    before = shifted.select(case_id_before="case_id", month_before=shifted.month + 1,
                            closing_before=pence(shifted.arrears_closing))
    rolled = now.outer_join(before, [now.case_id == before.case_id_before,
                                     now.month == before.month_before])
    checked = rolled.filter(rolled.case_id.notnull())
    across = ibis.ifelse(checked.month > first_month,
                         (checked.opening - checked.closing_before.fill_null(0)).abs(), 0)
    checked = checked.mutate(within=ibis.ifelse(checked.within > TOLERANCE_PENCE, checked.within, 0),
                             across=ibis.ifelse(across > TOLERANCE_PENCE, across, 0))
    failing = checked.filter((checked.within > 0) | (checked.across > 0))
    by_group = failing.group_by(["month", "case_group_id"]).aggregate(
        **{part: failing[column].sum() for part, column in ROLL_FORWARD_PARTS.items() if column})
    by_group = by_group.mutate(**{ALL: by_group.within_month + by_group.across_months})
    sums = by_group.group_by("month").aggregate(**{
        column: figure for part in ROLL_FORWARD_PARTS for column, figure in (
            (f"failures_{part}", by_group.count(where=by_group[part] > 0)),
            (f"money_{part}", by_group[part].sum()))})
    top = largest_two_by_month(by_group, {part: part for part in ROLL_FORWARD_PARTS})
    gone = rolled.filter(rolled.case_id.isnull() & (rolled.closing_before > 0)).select(
        case_id="case_id_before", month="month_before", closing="closing_before")
    closed = left_join(
        gone.group_by("month").aggregate(closed_cases=gone.count(), closed_arrears=gone.closing.sum()),
        largest_two_by_month(gone, {"closed": "closing"}, key="case_id"), ["month"])
    out = left_join(left_join(months, sums, ["month"]), top, ["month"]).fill_null(0)
    after_first = months.filter(months.month > first_month)
    out = left_join(out, left_join(after_first, closed, ["month"]).fill_null(0), ["month"])
    return out.mutate(**{column: out[column] / 100.0 for column in (
        "closed_arrears", "top1_closed", "top2_closed", *(
            f"{figure}_{part}" for part in ROLL_FORWARD_PARTS for figure in ("money", "top1", "top2")))})


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def duplicates(ctx) -> pd.DataFrame:
    """Duplicated new applications removed, by month (``quality.duplicates per period``): T1's
    count (:func:`~cms_stats.measures.intake.intake_by_month`)."""
    return intake_rows(ctx, TABLE, ["duplicate_new_applications_removed"])


def fee_status(ctx) -> pd.DataFrame:
    """Fee statuses recorded in error, by month and reason (``quality.fee_status per period``);
    see :func:`fee_status_errors_by_month`."""
    wide = ctx.engine.execute(fee_status_errors_by_month(kept_applications(ctx.engine_applications),
                                                         ctx.engine_months), ctx.months)
    return monthly_rows(wide, TABLE, [("fee_status_recorded_in_error", name, name, "count")
                                      for name in (*FEE_STATUS_REASONS, ALL)])


def roll_forward(ctx) -> pd.DataFrame:
    """Arrears roll-forward failures every month, and the arrears leaving with closed cases
    every month after the folder's first (``quality.roll_forward per period``); see
    :func:`roll_forward_by_month`."""
    wide = ctx.engine.execute(roll_forward_by_month(
        ctx.engine_snapshots, ctx.engine_months, month_integer(ctx.folder.months[0]),
        month_integer(ctx.period)), ctx.months)
    return tidy([
        monthly_rows(wide, TABLE, [figure for part in ROLL_FORWARD_PARTS for figure in (
            ("arrears_roll_forward_failures", part, f"failures_{part}", "count"),
            ("arrears_roll_forward_money_at_stake", part, f"money_{part}", "gbp",
             (f"top1_{part}", f"top2_{part}")))]),
        monthly_rows(wide[wide["month"] > ctx.folder.months[0]], TABLE, [  # none in the first
            ("cases_closed_with_arrears", ALL, "closed_cases", "count"),
            ("arrears_on_closed_cases", ALL, "closed_arrears", "gbp", ("top1_closed", "top2_closed"))])])


def quarantined(ctx) -> pd.DataFrame:
    """Quarantined rows of the whole folder, by file and reason (``quality.quarantined per period``)."""
    return quarantine_table(ctx.quarantine, ctx.period)
