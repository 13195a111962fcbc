"""T1: intake (new applications, arrears-only applications, total intake), monthly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .common import ALL, Rows, counts_by_month, date_month_index, flag, id_codes

TABLE = "T1"
DUPLICATE_KEY = ["paying_parent_id", "receiving_parent_id", "received_date"]


def deduplicate_new_applications(applications: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove the duplicated new applications created by the system fault.

    **Duplicate rule.** New applications (``application_type == "new_application"``) with the
    same ``paying_parent_id``, ``receiving_parent_id`` and ``received_date`` are one
    application: the one with the lowest ``application_id`` is kept and the others are counted
    as duplicates removed. Arrears-only applications are never de-duplicated. A client who
    closed a case and applied again on a later date is a new application and is kept (as in the
    edition: "New Application Intake figures include some cases where the client has closed an
    existing application and decided to come back").

    Parameters
    ----------
    applications : DataFrame
        The applications extract (``application_id``, ``received_date``, ``application_type``,
        ``paying_parent_id``, ``receiving_parent_id``, ...).

    Returns
    -------
    (kept, removed) : tuple of DataFrame
        ``kept`` is the applications extract without the duplicates (all arrears-only
        applications included); ``removed`` the duplicate rows taken out.
    """
    is_new = np.flatnonzero(flag(applications["application_type"], "new_application"))
    new = applications.iloc[is_new]
    app = id_codes(new["application_id"])
    paying = id_codes(new["paying_parent_id"])
    receiving = id_codes(new["receiving_parent_id"])
    day = new["received_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    # sort by the duplicate key, lowest application_id first within it
    order = np.lexsort((app, day, receiving, paying))
    same = np.zeros(order.size, dtype=bool)
    if order.size > 1:
        p, r, d = paying[order], receiving[order], day[order]
        same[1:] = (p[1:] == p[:-1]) & (r[1:] == r[:-1]) & (d[1:] == d[:-1])
    dup_rows = np.zeros(len(applications), dtype=bool)
    dup_rows[is_new[order[same]]] = True
    return applications.loc[~dup_rows], applications.loc[dup_rows]


def intake_table(applications: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """T1 for each month in ``months``: applications by ``received_date`` month.

    Measures (all breakdown ``all``, unit ``count``): ``new_applications`` (after removing
    duplicates, see :func:`deduplicate_new_applications`), ``arrears_only_applications``,
    ``total_intake`` (= new + arrears-only) and ``duplicate_new_applications_removed``.
    ``applications`` must already be restricted to what was known at the as-at date.
    """
    return intake_counts(*deduplicate_new_applications(applications), months)


def intake_counts(kept: pd.DataFrame, removed: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """T1 from the output of :func:`deduplicate_new_applications` (see :func:`intake_table`)."""
    month_of = date_month_index(kept["received_date"])
    is_new = flag(kept["application_type"], "new_application")
    is_arrears = flag(kept["application_type"], "arrears_only")
    new = counts_by_month(month_of[is_new], months)
    arrears = counts_by_month(month_of[is_arrears], months)
    dups = counts_by_month(date_month_index(removed["received_date"]), months)
    rows = Rows()
    for i, m in enumerate(months):
        rows.add(TABLE, m, "new_applications", ALL, new[i], "count")
        rows.add(TABLE, m, "arrears_only_applications", ALL, arrears[i], "count")
        rows.add(TABLE, m, "total_intake", ALL, new[i] + arrears[i], "count")
        rows.add(TABLE, m, "duplicate_new_applications_removed", ALL, dups[i], "count")
    return rows.frame()


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t1(ctx) -> pd.DataFrame:
    """T1 for every month to the period (``intake.t1 per period``)."""
    return intake_counts(ctx.kept, ctx.removed, ctx.months)
