"""T1: intake (new applications, arrears-only applications, total intake), monthly; and the
duplicate rule every family reading applications shares (T1, T3, T16, T21 and DQ).

The definitions are Ibis expressions run by the measures engine (:mod:`.engine`):
:func:`mark_duplicates` (one window over the applications) and :func:`intake_by_month`.
"""

from __future__ import annotations

import ibis
import pandas as pd

from .common import ALL, monthly_rows
from .engine import count_where, left_join, month_number

TABLE = "T1"
#: The parents' identifiers: read by the duplicate rule alone.
PARENTS = ("paying_parent_id", "receiving_parent_id")
DUPLICATE_KEY = [*PARENTS, "received_date"]
NEW, ARREARS_ONLY = "new_application", "arrears_only"
#: T1's figures: the measure and the column of :func:`intake_by_month` that holds it.
T1_FIGURES = {"new_applications": "new_applications",
              "arrears_only_applications": "arrears_only_applications",
              "total_intake": "total_intake",
              "duplicate_new_applications_removed": "duplicates"}


def mark_duplicates(applications: ibis.Table) -> ibis.Table:
    """The applications with the duplicate rule applied: ``duplicate`` marks the duplicated new
    applications created by the system fault, ``month`` is the received month
    (:func:`~.engine.month_number`).

    **Duplicate rule.** New applications (``application_type == "new_application"``) with the
    same ``paying_parent_id``, ``receiving_parent_id`` and ``received_date`` are one
    application: the one with the lowest ``application_id`` is kept and the others are counted
    as duplicates removed. Arrears-only applications are never de-duplicated. A client who
    closed a case and applied again on a later date is a new application and is kept (as in the
    edition: "New Application Intake figures include some cases where the client has closed an
    existing application and decided to come back").

    One window over the applications, partitioned by the type and the key and ordered by
    ``application_id`` (a string whose order is its digits': the contract fixes eight): the
    first row of each partition is kept. No join of the table with itself.

    Parameters
    ----------
    applications : ibis.Table
        The applications as known at the as-at date (``application_id``, ``received_date``,
        ``application_type``, ``paying_parent_id``, ``receiving_parent_id``, ...).

    Returns
    -------
    ibis.Table
        Every row of ``applications`` with ``month`` and ``duplicate`` (boolean).
    """
    rank = ibis.row_number().over(
        group_by=[applications.application_type, *(applications[c] for c in DUPLICATE_KEY)],
        order_by=applications.application_id)
    return applications.mutate(month=month_number(applications.received_date),
                               duplicate=(applications.application_type == NEW) & (rank > 0))


def kept_applications(marked: ibis.Table) -> ibis.Table:
    """The applications after the duplicate rule (:func:`mark_duplicates`): every arrears-only
    application and the new applications kept."""
    return marked.filter(~marked.duplicate)


def new_applications_kept(marked: ibis.Table) -> ibis.Table:
    """The new applications after the duplicate rule (what T1 counts as new applications)."""
    return marked.filter((marked.application_type == NEW) & ~marked.duplicate)


def intake_by_month(marked: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T1 every month: applications by received month.

    Parameters
    ----------
    marked : ibis.Table
        :func:`mark_duplicates` of the applications known at the as-at date.
    months : ibis.Table
        The months reported (``month``): a month without applications has zeros.

    Returns
    -------
    ibis.Table
        One row per month: ``new_applications`` (duplicates removed),
        ``arrears_only_applications``, ``total_intake`` (= new + arrears-only) and
        ``duplicates`` (the duplicated new applications removed).
    """
    counts = marked.group_by("month").aggregate(
        new_applications=count_where((marked.application_type == NEW) & ~marked.duplicate),
        arrears_only_applications=count_where(marked.application_type == ARREARS_ONLY),
        duplicates=count_where(marked.duplicate))
    out = left_join(months, counts, ["month"]).fill_null(0)
    return out.mutate(total_intake=out.new_applications + out.arrears_only_applications)


def intake_rows(ctx, table: str, measures) -> pd.DataFrame:
    """The tidy rows of ``measures`` (of :data:`T1_FIGURES`) every month, under ``table``
    (DQ reports T1's duplicates)."""
    wide = ctx.engine.execute(intake_by_month(ctx.engine_applications, ctx.engine_months),
                              ctx.months)
    return monthly_rows(wide, table, [(m, ALL, T1_FIGURES[m], "count") for m in measures])


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t1(ctx) -> pd.DataFrame:
    """T1 for every month to the period (``intake.t1 per period``); see :func:`intake_by_month`."""
    return intake_rows(ctx, TABLE, T1_FIGURES)
