"""Service standards: T9 changes of circumstances, T10 mandatory reconsiderations, T11 appeals,
T12 complaints, T13 telephony, T14 accuracy.

T9 and T10 count events by month from the extracts (already restricted to the as-at date);
T11-T13 are the MI feeds month by month, T14 is computed from the accuracy-check rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .common import ALL, Rows, counts_by_month, date_month_index, flag, month_index, share

COC = "changes_of_circumstances"
MR = "mandatory_reconsiderations"
COC_DAYS = 28
MR_DAYS = 20


def _days(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Whole calendar days from ``earlier`` to ``later``; NaN where ``later`` is missing."""
    delta = (later - earlier).dt.days
    return delta.to_numpy(dtype=np.float64, na_value=np.nan)


def changes_of_circumstances_table(requests: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """T9 for each of ``months`` (the caller passes months up to P-1: 28 days must have passed).

    received = ``received_date`` in m; cleared = ``cleared_date`` in m; outstanding = received by
    the end of m and not cleared by then; cleared within 28 days = received in m and
    ``cleared_date - received_date <= 28`` days; ``cleared_within_28_days_share`` = that /
    received in m. ``requests`` must already be restricted to the as-at date.
    """
    requests = requests.loc[flag(requests["request_type"], "change_of_circumstances")]
    received_m = date_month_index(requests["received_date"])
    cleared_m = date_month_index(requests["cleared_date"])
    days = _days(requests["cleared_date"], requests["received_date"])
    received = counts_by_month(received_m, months)
    cleared = counts_by_month(cleared_m, months)
    within = counts_by_month(received_m[days <= COC_DAYS], months)
    # outstanding at the end of m: received by then minus cleared by then (a request is never
    # cleared before it is received: those rows are quarantined by the loader)
    ends = np.array([month_index(m) for m in months], dtype=np.int64)
    rec_sorted = np.sort(received_m)
    clr_sorted = np.sort(cleared_m[cleared_m >= 0])
    outstanding = (np.searchsorted(rec_sorted, ends, side="right")
                   - np.searchsorted(clr_sorted, ends, side="right"))
    rows = Rows()
    for i, m in enumerate(months):
        rows.add("T9", m, f"{COC}_received", ALL, received[i], "count")
        rows.add("T9", m, f"{COC}_cleared", ALL, cleared[i], "count")
        rows.add("T9", m, f"{COC}_outstanding", ALL, outstanding[i], "count")
        rows.add("T9", m, f"{COC}_cleared_within_28_days", ALL, within[i], "count")
        rows.add("T9", m, "cleared_within_28_days_share", ALL, share(within[i], received[i]), "share")
    return rows.frame()


def reconsiderations_table(reconsiderations: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """T10 for each of ``months``.

    received / cleared = by ``received_date`` / ``cleared_date`` month; revised and not revised
    = ``outcome`` of those cleared in m; cleared within 20 calendar days among those cleared in
    m; ``cleared_within_20_days_share`` = that / cleared in m.
    """
    received_m = date_month_index(reconsiderations["received_date"])
    cleared_m = date_month_index(reconsiderations["cleared_date"])
    days = _days(reconsiderations["cleared_date"], reconsiderations["received_date"])
    received = counts_by_month(received_m, months)
    cleared = counts_by_month(cleared_m, months)
    revised = counts_by_month(cleared_m[flag(reconsiderations["outcome"], "revised")], months)
    not_revised = counts_by_month(cleared_m[flag(reconsiderations["outcome"], "not_revised")], months)
    within = counts_by_month(cleared_m[days <= MR_DAYS], months)
    rows = Rows()
    for i, m in enumerate(months):
        rows.add("T10", m, f"{MR}_received", ALL, received[i], "count")
        rows.add("T10", m, f"{MR}_cleared", ALL, cleared[i], "count")
        rows.add("T10", m, f"{MR}_revised", ALL, revised[i], "count")
        rows.add("T10", m, f"{MR}_not_revised", ALL, not_revised[i], "count")
        rows.add("T10", m, f"{MR}_cleared_within_20_days", ALL, within[i], "count")
        rows.add("T10", m, "cleared_within_20_days_share", ALL, share(within[i], cleared[i]), "share")
    return rows.frame()


def _feed_months(feed: pd.DataFrame, period: str) -> pd.DataFrame:
    """MI rows for months up to ``period``, in month order (the Total row is already removed)."""
    month = feed["month"].astype("str")
    return feed.loc[(month <= period).to_numpy()].assign(month=month).sort_values("month")


def appeals_table(appeals: pd.DataFrame, period: str) -> pd.DataFrame:
    """T11: ``appeals_received``; ``appeals_cleared`` by outcome (``tribunal_outcome``,
    ``cms_outcome``, ``all``), month by month from the Appeals MI feed."""
    rows = Rows()
    for r in _feed_months(appeals, period).itertuples(index=False):
        rows.add("T11", r.month, "appeals_received", ALL, r.appeals_received, "count")
        rows.add("T11", r.month, "appeals_cleared", "tribunal_outcome",
                 r.appeals_cleared_tribunal_outcome, "count")
        rows.add("T11", r.month, "appeals_cleared", "cms_outcome", r.appeals_cleared_cms_outcome, "count")
        rows.add("T11", r.month, "appeals_cleared", ALL, r.appeals_cleared, "count")
    return rows.frame()


def complaints_table(complaints: pd.DataFrame, period: str) -> pd.DataFrame:
    """T12: ``complaints_received`` (``resolution``, ``review``, ``all``) and
    ``complaints_received_scheme_to_date`` (cumulative total over the feed's months)."""
    rows = Rows()
    feed = _feed_months(complaints, period)
    to_date = feed["complaints_total"].to_numpy(dtype=np.float64).cumsum()
    for r, cum in zip(feed.itertuples(index=False), to_date):
        rows.add("T12", r.month, "complaints_received", "resolution", r.complaints_resolution, "count")
        rows.add("T12", r.month, "complaints_received", "review", r.complaints_review, "count")
        rows.add("T12", r.month, "complaints_received", ALL, r.complaints_total, "count")
        rows.add("T12", r.month, "complaints_received_scheme_to_date", ALL, cum, "count")
    return rows.frame()


def telephony_table(telephony: pd.DataFrame, period: str) -> pd.DataFrame:
    """T13: calls received, answered, answered within 30 seconds; shares of calls received."""
    rows = Rows()
    for r in _feed_months(telephony, period).itertuples(index=False):
        rows.add("T13", r.month, "calls_received", ALL, r.calls_received, "count")
        rows.add("T13", r.month, "calls_answered", ALL, r.calls_answered, "count")
        rows.add("T13", r.month, "calls_answered_within_30_seconds", ALL,
                 r.calls_answered_within_30_seconds, "count")
        rows.add("T13", r.month, "calls_answered_share", ALL,
                 share(r.calls_answered, r.calls_received), "share")
        rows.add("T13", r.month, "calls_answered_within_30_seconds_share", ALL,
                 share(r.calls_answered_within_30_seconds, r.calls_received), "share")
    return rows.frame()


def is_accurate(calculated, correct) -> np.ndarray:
    """Accurate when |calculated - correct| <= max(GBP 1.00, 2% of correct).

    Compared exactly in whole pence (money is 2 dp), so the edges "exactly GBP 1" and
    "exactly 2%" are accurate whatever the binary rounding of the inputs:
    ``diff <= 100p`` or ``50 * diff <= correct`` (in pence).
    """
    calc_p = np.rint(np.asarray(calculated, dtype=np.float64) * 100.0).astype(np.int64)
    corr_p = np.rint(np.asarray(correct, dtype=np.float64) * 100.0).astype(np.int64)
    diff = np.abs(calc_p - corr_p)
    return (diff <= 100) | (50 * diff <= corr_p)


def accuracy_table(checks: pd.DataFrame, months: Sequence[str], period: str) -> pd.DataFrame:
    """T14: ``accuracy_checks``, ``accurate_checks`` and ``accuracy_share`` by ``check_month``.

    For each of ``months`` and any other check month up to ``period`` (a month without checks
    has 0 checks and a NaN share).
    """
    check_month = checks["check_month"].astype("str")
    checks = checks.loc[(check_month <= period).to_numpy()]
    check_month = check_month.loc[checks.index]
    all_months = sorted(set(months) | set(check_month.unique()))
    month_idx = np.array([month_index(m) for m in check_month], dtype=np.int64)
    ok = is_accurate(checks["calculated_weekly_amount"], checks["correct_weekly_amount"])
    total = counts_by_month(month_idx, all_months)
    accurate = counts_by_month(month_idx[ok], all_months)
    rows = Rows()
    for i, m in enumerate(all_months):
        rows.add("T14", m, "accuracy_checks", ALL, total[i], "count")
        rows.add("T14", m, "accurate_checks", ALL, accurate[i], "count")
        rows.add("T14", m, "accuracy_share", ALL, share(accurate[i], total[i]), "share")
    return rows.frame()


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t9(ctx) -> pd.DataFrame:
    """T9 to the month before the period: 28 days must have passed (``service.t9 per period``)."""
    return changes_of_circumstances_table(ctx.service_requests, [m for m in ctx.months if m < ctx.period])


def t10(ctx) -> pd.DataFrame:
    """T10 for every month to the period (``service.t10 per period``)."""
    return reconsiderations_table(ctx.reconsiderations, ctx.months)


def t11(ctx) -> pd.DataFrame:
    """T11 from the appeals feed (``service.t11 per period``)."""
    return appeals_table(ctx.mi("appeals"), ctx.period)


def t12(ctx) -> pd.DataFrame:
    """T12 from the complaints feed (``service.t12 per period``)."""
    return complaints_table(ctx.mi("complaints"), ctx.period)


def t13(ctx) -> pd.DataFrame:
    """T13 from the telephony feed (``service.t13 per period``)."""
    return telephony_table(ctx.mi("telephony"), ctx.period)


def t14(ctx) -> pd.DataFrame:
    """T14 from the accuracy checks (``service.t14 per period``)."""
    return accuracy_table(ctx.mi("accuracy_checks"), ctx.months, ctx.period)
