"""The measures of the CMS 2012 Scheme statistics (T1-T14 and the data-quality table).

Pure functions over validated DataFrames, one module per chapter, each returning the tidy,
unrounded shape ``table, period, measure, breakdown, value, unit``; and :func:`compute_all`,
which computes every table for every month up to a release period from an extract folder.
"""

from __future__ import annotations

from collections import deque

import pandas as pd

from . import arrears, caseload, children, compliance, fees, intake, quality, service
from .arrears import direct_pay_sensitivity, sensitivity_inputs
from .children import children_benefiting, children_bootstrap_interval
from .common import COLUMNS, TABLE_ORDER, as_at, month_end, quarter_months, tidy, with_id_codes

__all__ = [
    "COLUMNS", "TABLE_ORDER", "compute_all", "benchmark", "children_benefiting",
    "children_bootstrap_interval", "direct_pay_sensitivity", "sensitivity_inputs",
    "arrears", "caseload", "children", "compliance", "fees", "intake", "quality", "service",
]


def compute_all(folder, period: str) -> pd.DataFrame:
    """Every table (T1-T14, DQ) for every month up to ``period``, as known at its as-at date.

    Parameters
    ----------
    folder
        An extract folder (:func:`cms_stats.extracts.open_extracts`) or any object with the
        same API: ``months``, ``snapshot(month)``, ``applications()``, ``payments()``,
        ``service_requests()``, ``reconsiderations()``, ``sample_months``,
        ``children_sample(month)``, ``mi(name)``, ``quarantine``.
    period : str
        The release period ``"YYYY-MM"``.

    Returns
    -------
    DataFrame
        Tidy and unrounded: ``table, period, measure, breakdown, value, unit``, sorted by table,
        period, measure, breakdown.

    Notes
    -----
    The as-at date is the last day of ``period``: events dated after it are ignored, a
    ``cleared_date`` after it counts as not cleared, MI rows are taken for months up to
    ``period``. Snapshots are read one month at a time, in order; only the last three months'
    small per-case summaries (cases with liability due) are held for the quarter measures, and
    last month's closing arrears for the roll-forward check, so memory does not grow with the
    number of months. T9 is published to P-1 (28 days must have passed). Every extract is read
    (the liabilities extract only for its quarantined rows), so the DQ count of quarantined rows
    covers the whole folder.
    """
    months = [m for m in folder.months if m <= period]
    if not months or months[-1] != period:
        raise ValueError(f"period {period!r} is not a month of the extract folder")
    as_at_date = month_end(period)

    applications = as_at(folder.applications(), "received_date", as_at_date)
    payments = as_at(folder.payments(), "payment_date", as_at_date)
    requests = as_at(folder.service_requests(), "received_date", as_at_date,
                     cleared_columns=["cleared_date"])
    reconsiderations = as_at(folder.reconsiderations(), "received_date", as_at_date,
                             cleared_columns=["cleared_date"], cleared_dependent=["outcome"])

    kept, removed = intake.deduplicate_new_applications(applications)
    t1 = intake.intake_counts(kept, removed, months)
    parts = [
        t1,
        fees.fees_table(kept, months, deduplicated=True),
        quality.duplicates_table(applications, months, t1=t1),
        service.changes_of_circumstances_table(requests, [m for m in months if m < period]),
        service.reconsiderations_table(reconsiderations, months),
        service.appeals_table(folder.mi("appeals"), period),
        service.complaints_table(folder.mi("complaints"), period),
        service.telephony_table(folder.mi("telephony"), period),
        service.accuracy_table(folder.mi("accuracy_checks"), months, period),
    ]
    del applications, kept, removed, requests, reconsiderations

    pay_index = compliance.PaymentIndex(payments)
    del payments
    sample_months = set(m for m in folder.sample_months if m <= period)
    sample_children = None
    population = None
    liable = deque(maxlen=3)  # (month, liable_cases) of the last three months
    cumulative = arrears.CumulativeLiability()
    previous_closing = None

    for m in months:
        snap = with_id_codes(folder.snapshot(m))
        liable.append((m, compliance.liable_cases(snap)))
        cumulative.add(snap)
        if m in sample_months:
            sample_children = folder.children_sample(m)["qualifying_children"].to_numpy()
            population = children.sample_population(snap)
        parts.append(caseload.caseload_month(snap, m))
        parts.append(compliance.service_type_month(snap, m))
        parts.append(arrears.arrears_month(snap, m, cumulative))
        parts.append(quality.roll_forward_month(snap, m, previous_closing))
        previous_closing = quality.closing_balances(snap)
        del snap

        q = quarter_months(m, months)
        liable_q = pd.concat([frame for month, frame in liable if month in q], ignore_index=True)
        payments_q = pay_index.in_months(q)
        parts.append(compliance.compliance_quarter(m, liable_q, payments_q))
        paying = children.cases_paying(liable_q, payments_q)
        parts.append(children.children_month(m, paying, sample_children, population))

    # no measure uses the liabilities extract, but its quarantined rows belong in the DQ count
    folder.liabilities()
    parts.append(quality.quarantine_table(folder.quarantine, period))
    return tidy([p for p in parts if len(p)] or [])


def benchmark(data_dir=None, period: str | None = None) -> dict:
    """Time :func:`compute_all` on an extract folder and print the figures (not a test).

    Opens the folder with :func:`cms_stats.extracts.open_extracts` (default: the synthetic
    data), computes every measure for every month up to ``period`` (default: the last month) and
    prints wall time, rows out and the process's peak resident memory. Returns the figures.
    """
    from .bench import run

    return run(data_dir, period)
