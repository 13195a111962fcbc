"""T16: new applications cleared, uncleared at month end and the time to clear them, monthly.

An application is one new application of Table 1 (received, duplicates removed by the intake
rule, :func:`cms_stats.measures.intake.deduplicate_new_applications`); arrears-only applications
are not cleared in this sense. It is *cleared* on its ``cleared_date``: its case's initial
maintenance calculation made (``clearance_type`` ``calculation_made``) or the application closed
without one (``closed_without_calculation``). A clearance after the as-at date (the period's
last day) is not yet made.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cms_stats.months import month_end

from .common import ALL, Rows, counts_by_month, date_month_index, flag, share

TABLE = "T16"
CLEARANCE_TYPES = ("calculation_made", "closed_without_calculation")
#: "Cleared within N weeks": at most 7 N days from the received date to the cleared date.
WITHIN_WEEKS = (6, 12, 26)
#: Age bands of the applications uncleared at month end: age = days from the received date to
#: the month's last day; a band holds ages from its lower bound up to (not including) the next.
AGE_BANDS = (("under_6_weeks", 0), ("6_to_12_weeks", 42), ("12_to_26_weeks", 84),
             ("26_weeks_or_more", 182))


def _days(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 (int64); -1 where missing."""
    out = np.full(len(dates), -1, dtype=np.int64)
    valid = dates.notna().to_numpy()
    if valid.any():
        out[valid] = dates[valid].to_numpy(dtype="datetime64[D]").astype(np.int64)
    return out


def clearances_table(applications: pd.DataFrame, months: Sequence[str], as_at_date) -> pd.DataFrame:
    """T16 for each of ``months``.

    Parameters
    ----------
    applications : DataFrame
        Applications after the duplicate rule (``ctx.kept``): ``received_date``,
        ``application_type`` and, from the contract's optional columns, ``cleared_date`` and
        ``clearance_type`` (absent: nothing is cleared; the registry's ``needs`` then withholds
        the table).
    months : sequence of str
        The months to compute.
    as_at_date : date-like
        A clearance after this day is not yet made (the application counts as uncleared).

    Returns
    -------
    DataFrame
        Tidy rows: ``applications_cleared`` (by clearance type and ``all``),
        ``applications_uncleared`` at month end (by age band and ``all``),
        ``applications_cleared_within_{6,12,26}_weeks`` and their shares of those cleared, and
        ``median_days_to_clear`` (NaN in a month with none cleared).
    """
    new = applications.loc[flag(applications["application_type"], "new_application")]
    received = _days(new["received_date"])
    if "cleared_date" in new.columns:
        cleared = _days(new["cleared_date"])
        kind = new["clearance_type"]
    else:
        cleared = np.full(len(new), -1, dtype=np.int64)
        kind = pd.Series([None] * len(new), dtype="object")
    limit = int(np.datetime64(pd.Timestamp(as_at_date).date(), "D").astype(np.int64))
    cleared = np.where(cleared > limit, -1, cleared)  # not yet cleared at the as-at date
    is_cleared = cleared >= 0
    cleared_m = np.where(is_cleared, date_month_index(new["cleared_date"]) if "cleared_date" in new.columns
                         else -1, -1)
    days = np.where(is_cleared, cleared - received, -1)
    rows = Rows()
    totals = counts_by_month(cleared_m, months)
    by_type = {t: counts_by_month(cleared_m[flag(kind, t) & is_cleared], months) for t in CLEARANCE_TYPES}
    within = {w: counts_by_month(cleared_m[is_cleared & (days <= 7 * w)], months) for w in WITHIN_WEEKS}
    for i, m in enumerate(months):
        rows.add(TABLE, m, "applications_cleared", ALL, totals[i], "count")
        for t in CLEARANCE_TYPES:
            rows.add(TABLE, m, "applications_cleared", t, by_type[t][i], "count")
        for w in WITHIN_WEEKS:
            rows.add(TABLE, m, f"applications_cleared_within_{w}_weeks", ALL, within[w][i], "count")
            rows.add(TABLE, m, f"cleared_within_{w}_weeks_share", ALL, share(within[w][i], totals[i]),
                     "share")
        here = days[cleared_m == _month_number(m)]
        rows.add(TABLE, m, "median_days_to_clear", ALL,
                 float(np.median(here)) if here.size else float("nan"), "mean")
        end = int(np.datetime64(month_end(m), "D").astype(np.int64))
        waiting = (received <= end) & ~(is_cleared & (cleared <= end))
        age = end - received[waiting]
        bounds = [b for _, b in AGE_BANDS] + [np.iinfo(np.int64).max]
        for (name, lo), hi in zip(AGE_BANDS, bounds[1:]):
            rows.add(TABLE, m, "applications_uncleared", name, int(((age >= lo) & (age < hi)).sum()),
                     "count")
        rows.add(TABLE, m, "applications_uncleared", ALL, int(waiting.sum()), "count")
    return rows.frame()


def _month_number(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t16(ctx) -> pd.DataFrame:
    """T16 for every month to the period (``clearances.t16 per period``)."""
    return clearances_table(ctx.kept, ctx.months, ctx.as_at_date)
