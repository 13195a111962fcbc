"""T3: application fee exemptions, monthly from July 2014 (fees from 30 June 2014)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .common import ALL, Rows, counts_by_month, date_month_index, flag, share
from .intake import deduplicate_new_applications

TABLE = "T3"
FIRST_MONTH = "2014-07"
EXEMPTIONS = {"exempt_domestic_violence": "domestic_violence", "exempt_under_19": "under_19"}


def fees_table(applications: pd.DataFrame, months: Sequence[str],
               deduplicated: bool = False) -> pd.DataFrame:
    """T3 for each month of ``months`` from July 2014.

    De-duplicated new applications of the month by ``fee_status``:
    ``fee_paying_applications`` (``fee_paid``), ``fee_exemptions`` by reason
    (``domestic_violence``, ``under_19``, ``all``) and ``fee_exemption_share`` = exemptions /
    new applications of the month (NaN when there were none). Pass ``deduplicated=True`` when
    ``applications`` is already the ``kept`` output of
    :func:`~cms_stats.measures.intake.deduplicate_new_applications`.
    """
    months = [m for m in months if m >= FIRST_MONTH]
    kept = applications if deduplicated else deduplicate_new_applications(applications)[0]
    new = kept.loc[flag(kept["application_type"], "new_application")]
    month_of = date_month_index(new["received_date"])
    total = counts_by_month(month_of, months)
    paying = counts_by_month(month_of[flag(new["fee_status"], "fee_paid")], months)
    by_reason = {name: counts_by_month(month_of[flag(new["fee_status"], code)], months)
                 for code, name in EXEMPTIONS.items()}
    rows = Rows()
    for i, m in enumerate(months):
        exempt_all = sum(v[i] for v in by_reason.values())
        rows.add(TABLE, m, "fee_paying_applications", ALL, paying[i], "count")
        for name, values in by_reason.items():
            rows.add(TABLE, m, "fee_exemptions", name, values[i], "count")
        rows.add(TABLE, m, "fee_exemptions", ALL, exempt_all, "count")
        rows.add(TABLE, m, "fee_exemption_share", ALL, share(exempt_all, total[i]), "share")
    return rows.frame()


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t3(ctx) -> pd.DataFrame:
    """T3 for every month to the period (``fees.t3 per period``)."""
    return fees_table(ctx.kept, ctx.months, deduplicated=True)
