"""T16: new applications cleared, uncleared at month end and the time to clear them, monthly.

An application is one new application of Table 1 (received, duplicates removed by the intake
rule, :func:`cms_stats.measures.intake.mark_duplicates`); arrears-only applications are not
cleared in this sense. It is *cleared* on its ``cleared_date``: its case's initial maintenance
calculation made (``clearance_type`` ``calculation_made``) or the application closed without
one (``closed_without_calculation``). A clearance after the as-at date (the period's last day)
is not yet made.

The definition is an Ibis expression run by the measures engine (:func:`clearances_by_month`).
"""

from __future__ import annotations

import ibis
import pandas as pd

from cms_stats.months import month_end

from .common import ALL, monthly_rows
from .engine import count_where, left_join, month_integer, month_number, ratio
from .intake import new_applications_kept

TABLE = "T16"
CLEARANCE_TYPES = ("calculation_made", "closed_without_calculation")
#: "Cleared within N weeks": at most 7 N days from the received date to the cleared date.
WITHIN_WEEKS = (6, 12, 26)
#: Age bands of the applications uncleared at month end: age = days from the received date to
#: the month's last day; a band holds ages from its lower bound up to (not including) the next.
AGE_BANDS = (("under_6_weeks", 0), ("6_to_12_weeks", 42), ("12_to_26_weeks", 84),
             ("26_weeks_or_more", 182))
#: The month "cleared in" of an application not cleared at the as-at date: after every month.
_NEVER = 2**40


def clearances_by_month(new: ibis.Table, month_ends: ibis.Table, as_at_date) -> ibis.Table:
    """T16 every month.

    - cleared in m: ``cleared_date`` in m (at most the as-at date), by ``clearance_type``;
      days to clear d = ``cleared_date - received_date`` (calendar days), cleared within N
      weeks = d <= 7 N, and the median of d (exact: the mean of the two middle values for an
      even count, as every engine's exact percentile at 0.5 interpolates; null in a month
      with none cleared);
    - uncleared at the end of m (E): received in m or before and not cleared in m or before,
      by age E - ``received_date``. One join of the applications with the few month ends on
      ``received month <= m < cleared month``: an application is paired only with the months
      it waited at the end of.

    Parameters
    ----------
    new : ibis.Table
        The new applications kept by the duplicate rule (``month`` received,
        ``received_date``, ``cleared_date``, ``clearance_type``).
    month_ends : ibis.Table
        The months reported (``month``) and their last days (``month_end``, a date).
    as_at_date : date-like
        A clearance after this day is not yet made.

    Returns
    -------
    ibis.Table
        One row per month: ``cleared``, ``cleared_<type>``, ``within_<N>`` and
        ``within_<N>_share`` (of ``cleared``; null when none), ``median_days`` and
        ``uncleared`` with ``uncleared_<band>`` for each band of :data:`AGE_BANDS`.
    """
    day = pd.Timestamp(as_at_date)
    known = (new.cleared_date <= ibis.date(day.year, day.month, day.day)).fill_null(False)
    apps = new.select(
        "received_date", received="month",
        cleared_date=ibis.ifelse(known, new.cleared_date, ibis.null("date")),
        clearance_type="clearance_type")
    done = apps.filter(apps.cleared_date.notnull())  # (its clearance_type is known with it)
    done = done.mutate(month=month_number(done.cleared_date),
                       days=done.cleared_date.delta(done.received_date, unit="day"))
    cleared = done.group_by("month").aggregate(
        cleared=done.count(),
        **{f"cleared_{kind}": count_where(done.clearance_type == kind) for kind in CLEARANCE_TYPES},
        **{f"within_{weeks}": count_where(done.days <= 7 * weeks) for weeks in WITHIN_WEEKS},
        median_days=done.days.median())
    waiting = apps.mutate(until=month_number(apps.cleared_date).fill_null(_NEVER))
    waiting = waiting.join(month_ends, [month_ends.month >= waiting.received,
                                        month_ends.month < waiting.until])
    age = waiting.month_end.delta(waiting.received_date, unit="day")
    bounds = [lo for _, lo in AGE_BANDS[1:]] + [None]
    uncleared = waiting.group_by("month").aggregate(
        uncleared=waiting.count(),
        **{f"uncleared_{name}": count_where(age >= lo if hi is None else (age >= lo) & (age < hi))
           for (name, lo), hi in zip(AGE_BANDS, bounds)})
    counts = [c for c in (*cleared.columns, *uncleared.columns) if c not in ("month", "median_days")]
    out = left_join(left_join(month_ends.select("month"), cleared, ["month"]), uncleared, ["month"])
    out = out.fill_null({c: 0 for c in counts})
    return out.mutate(**{f"within_{weeks}_share": ratio(out[f"within_{weeks}"], out.cleared)
                         for weeks in WITHIN_WEEKS})


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t16(ctx) -> pd.DataFrame:
    """T16 for every month to the period (``clearances.t16 per period``); see
    :func:`clearances_by_month`."""
    ends = ctx.engine.frame(pd.DataFrame({
        "month": [month_integer(m) for m in ctx.months],
        "month_end": pd.to_datetime([month_end(m) for m in ctx.months])}))
    new = new_applications_kept(ctx.engine_applications)
    if "cleared_date" not in new.columns:  # a hand-made folder without the optional columns
        new = new.mutate(cleared_date=ibis.null("date"), clearance_type=ibis.null("string"))
    wide = ctx.engine.execute(clearances_by_month(new, ends, ctx.as_at_date), ctx.months)
    return monthly_rows(wide, TABLE, [
        ("applications_cleared", ALL, "cleared", "count"),
        *(("applications_cleared", kind, f"cleared_{kind}", "count") for kind in CLEARANCE_TYPES),
        *(figure for weeks in WITHIN_WEEKS for figure in (
            (f"applications_cleared_within_{weeks}_weeks", ALL, f"within_{weeks}", "count"),
            (f"cleared_within_{weeks}_weeks_share", ALL, f"within_{weeks}_share", "share"))),
        ("median_days_to_clear", ALL, "median_days", "mean"),
        *(("applications_uncleared", name, f"uncleared_{name}", "count") for name, _ in AGE_BANDS),
        ("applications_uncleared", ALL, "uncleared", "count")])
