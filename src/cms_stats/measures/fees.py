"""T3: application fee exemptions, monthly from July 2014 (fees from 30 June 2014).

An Ibis expression run by the measures engine (:func:`fees_by_month`) over T1's new
applications (duplicates removed, :func:`~cms_stats.measures.intake.mark_duplicates`).
"""

from __future__ import annotations

import ibis
import pandas as pd

from .common import ALL, monthly_rows
from .engine import count_where, left_join, month_integer, ratio
from .intake import new_applications_kept

TABLE = "T3"
FIRST_MONTH = "2014-07"
EXEMPTIONS = {"exempt_domestic_violence": "domestic_violence", "exempt_under_19": "under_19"}


def fees_by_month(new: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T3 every month from July 2014: de-duplicated new applications of the month by
    ``fee_status``.

    Parameters
    ----------
    new : ibis.Table
        The new applications kept by the duplicate rule (``month``, ``fee_status``).
    months : ibis.Table
        The months reported (``month``); those before :data:`FIRST_MONTH` are left out.

    Returns
    -------
    ibis.Table
        One row per month: ``fee_paying`` (``fee_paid``), ``exempt_<reason>`` for each reason
        of :data:`EXEMPTIONS`, ``exempt_all`` and ``exempt_share`` = exemptions / new
        applications of the month (null when there were none).
    """
    counts = new.group_by("month").aggregate(
        new_applications=new.count(),
        fee_paying=count_where(new.fee_status == "fee_paid"),
        **{f"exempt_{name}": count_where(new.fee_status == code) for code, name in EXEMPTIONS.items()})
    published = months.filter(months.month >= month_integer(FIRST_MONTH))
    out = left_join(published, counts, ["month"]).fill_null(0)
    out = out.mutate(exempt_all=sum(out[f"exempt_{name}"] for name in EXEMPTIONS.values()))
    return out.mutate(exempt_share=ratio(out.exempt_all, out.new_applications))


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t3(ctx) -> pd.DataFrame:
    """T3 for every month to the period (``fees.t3 per period``); see :func:`fees_by_month`."""
    wide = ctx.engine.execute(fees_by_month(new_applications_kept(ctx.engine_applications),
                                            ctx.engine_months), ctx.months)
    return monthly_rows(wide, TABLE, [
        ("fee_paying_applications", ALL, "fee_paying", "count"),
        *(("fee_exemptions", name, f"exempt_{name}", "count") for name in EXEMPTIONS.values()),
        ("fee_exemptions", ALL, "exempt_all", "count"),
        ("fee_exemption_share", ALL, "exempt_share", "share")])
