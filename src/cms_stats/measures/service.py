"""Service standards: T9 changes of circumstances, T10 mandatory reconsiderations, T11 appeals,
T12 complaints, T13 telephony, T14 accuracy.

Each table is an Ibis expression run by the measures engine (:mod:`.engine`: DuckDB by
default, or Spark), all months at once: T9 and T10 count the service requests and
reconsiderations as known at the as-at date (``Context.engine_events``) by the month of their
dates; T11-T13 are the MI feeds' rows month by month and T14 is counted from the accuracy-check
rows (``Context.engine_mi``).
"""

from __future__ import annotations

import ibis
import pandas as pd

from .common import ALL, monthly_rows
from .engine import count_where, left_join, month_integer, month_number, pence, ratio

COC = "changes_of_circumstances"
MR = "mandatory_reconsiderations"
COC_DAYS = 28
MR_DAYS = 20


def _within(cleared: ibis.DateValue, received: ibis.DateValue, days: int) -> ibis.BooleanValue:
    """Cleared at most ``days`` calendar days after received (false when not cleared)."""
    return cleared.notnull() & (cleared <= received + ibis.interval(days=days))


def changes_of_circumstances_by_month(requests: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T9, every month of ``months`` (the caller passes months up to P-1: 28 days must have
    passed).

    Parameters
    ----------
    requests : ibis.Table
        Service requests as known at the as-at date (``request_type``, ``received_date``,
        ``cleared_date``: null when not yet cleared); only changes of circumstances count.
    months : ibis.Table
        The months reported (``month``).

    Returns
    -------
    ibis.Table
        One row per month: ``received`` (``received_date`` in m), ``cleared`` (``cleared_date``
        in m), ``outstanding`` (received by the end of m and not cleared by then: a running sum
        of received minus cleared over every month with a request, the months before the first
        reported included), ``within`` (received in m and cleared within 28 days of it) and
        ``share`` (``within`` / ``received``; null when none was received).
    """
    coc = requests.filter(requests.request_type == "change_of_circumstances")
    zero = ibis.literal(0, "int64")
    received = coc.group_by(month=month_number(coc.received_date)).aggregate(
        received=coc.count(), within=count_where(_within(coc.cleared_date, coc.received_date,
                                                         COC_DAYS)))
    received = received.select("month", "received", "within", cleared=zero)
    done = coc.filter(coc.cleared_date.notnull())
    cleared = done.group_by(month=month_number(done.cleared_date)).aggregate(cleared=done.count())
    cleared = cleared.select("month", received=zero, within=zero, cleared=cleared.cleared)
    # every month with a request or reported: the running sum is then right for each month
    every = months.select(month=months.month.cast("int64"), received=zero, within=zero,
                          cleared=zero)
    flow = ibis.union(received, cleared, every).group_by("month").aggregate(
        received=lambda t: t.received.sum(), within=lambda t: t.within.sum(),
        cleared=lambda t: t.cleared.sum())
    flow = flow.mutate(outstanding=(flow.received - flow.cleared).sum().over(
        ibis.cumulative_window(order_by="month")))
    out = flow.join(months.select("month"), "month")
    return out.mutate(share=ratio(out.within, out.received))


def reconsiderations_by_month(reconsiderations: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T10, every month of ``months``.

    Parameters
    ----------
    reconsiderations : ibis.Table
        Mandatory reconsiderations as known at the as-at date (``received_date``,
        ``cleared_date`` and ``outcome``: null when not yet cleared).
    months : ibis.Table
        The months reported (``month``).

    Returns
    -------
    ibis.Table
        One row per month: ``received`` (``received_date`` in m); of those cleared in m
        (``cleared_date``): ``cleared``, ``revised`` and ``not_revised`` (``outcome``),
        ``within`` (cleared within 20 calendar days of receipt); ``share`` = ``within`` /
        ``cleared`` (null when none was cleared).
    """
    mr = reconsiderations
    received = mr.group_by(month=month_number(mr.received_date)).aggregate(received=mr.count())
    done = mr.filter(mr.cleared_date.notnull())
    cleared = done.group_by(month=month_number(done.cleared_date)).aggregate(
        cleared=done.count(), revised=count_where(done.outcome == "revised"),
        not_revised=count_where(done.outcome == "not_revised"),
        within=count_where(_within(done.cleared_date, done.received_date, MR_DAYS)))
    out = left_join(left_join(months, received, ["month"]), cleared, ["month"]).fill_null(0)
    return out.mutate(share=ratio(out.within, out.cleared))


def _to_period(feed: ibis.Table, period: int) -> ibis.Table:
    """An MI feed's rows of months up to ``period`` (:func:`~.engine.month_number`)."""
    return feed.filter(feed.month <= period)


def appeals_by_month(appeals: ibis.Table, period: int) -> ibis.Table:
    """T11: the Appeals MI feed's months up to ``period``, as the feed gives them
    (``appeals_received``; ``appeals_cleared`` with its parts ``tribunal_outcome`` and
    ``cms_outcome``)."""
    return _to_period(appeals, period)


def complaints_by_month(complaints: ibis.Table, period: int) -> ibis.Table:
    """T12: the Complaints MI feed's months up to ``period`` with ``scheme_to_date``, the running
    total of ``complaints_total`` over the feed's months in order."""
    feed = _to_period(complaints, period)
    return feed.mutate(scheme_to_date=feed.complaints_total.sum().over(
        ibis.cumulative_window(order_by="month")))


def telephony_by_month(telephony: ibis.Table, period: int) -> ibis.Table:
    """T13: the Telephony MI feed's months up to ``period`` with ``answered_share`` and
    ``within_30_seconds_share``, of the calls received (null when none was received)."""
    feed = _to_period(telephony, period)
    return feed.mutate(
        answered_share=ratio(feed.calls_answered, feed.calls_received),
        within_30_seconds_share=ratio(feed.calls_answered_within_30_seconds, feed.calls_received))


def accurate(calculated: ibis.NumericValue, correct: ibis.NumericValue) -> ibis.BooleanValue:
    """Accurate when |calculated - correct| <= max(GBP 1.00, 2% of correct).

    Compared exactly in whole pence (:func:`~.engine.pence`; money is 2 dp), so the edges
    "exactly GBP 1" and "exactly 2%" are accurate whatever the binary rounding of the inputs:
    ``diff <= 100p`` or ``50 * diff <= correct`` (in pence).
    """
    correct_p = pence(correct)
    diff = (pence(calculated) - correct_p).abs()
    return (diff <= 100) | (diff * 50 <= correct_p)


def accuracy_by_month(checks: ibis.Table, months: ibis.Table, period: int) -> ibis.Table:
    """T14, for every month of ``months`` and any other check month up to ``period``.

    Parameters
    ----------
    checks : ibis.Table
        The accuracy checks (``month``: the check month as :func:`~.engine.month_number`,
        ``calculated_weekly_amount``, ``correct_weekly_amount``).
    months : ibis.Table
        The months reported (``month``): a month without checks has 0 checks and a null share.
    period : int
        The release period: later checks are left out.

    Returns
    -------
    ibis.Table
        One row per month: ``checks``, ``accurate`` (:func:`accurate`) and ``share``.
    """
    checks = _to_period(checks, period)
    counts = checks.group_by("month").aggregate(
        checks=checks.count(),
        accurate=count_where(accurate(checks.calculated_weekly_amount,
                                      checks.correct_weekly_amount)))
    every = ibis.union(months.select(month=months.month.cast("int64")), counts.select("month"),
                       distinct=True)
    out = left_join(every, counts, ["month"]).fill_null(0)
    return out.mutate(share=ratio(out.accurate, out.checks))


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t9(ctx) -> pd.DataFrame:
    """T9 to the month before the period: 28 days must have passed (``service.t9 per period``);
    see :func:`changes_of_circumstances_by_month`."""
    months = [m for m in ctx.months if m < ctx.period]
    wide = ctx.engine.execute(changes_of_circumstances_by_month(
        ctx.engine_events("service_requests"), ctx.engine.months(months)), months)
    return monthly_rows(wide, "T9", [
        (f"{COC}_received", ALL, "received", "count"),
        (f"{COC}_cleared", ALL, "cleared", "count"),
        (f"{COC}_outstanding", ALL, "outstanding", "count"),
        (f"{COC}_cleared_within_28_days", ALL, "within", "count"),
        ("cleared_within_28_days_share", ALL, "share", "share")])


def t10(ctx) -> pd.DataFrame:
    """T10 for every month to the period (``service.t10 per period``); see
    :func:`reconsiderations_by_month`."""
    wide = ctx.engine.execute(reconsiderations_by_month(ctx.engine_events("reconsiderations"),
                                                        ctx.engine_months), ctx.months)
    return monthly_rows(wide, "T10", [
        (f"{MR}_received", ALL, "received", "count"),
        (f"{MR}_cleared", ALL, "cleared", "count"),
        (f"{MR}_revised", ALL, "revised", "count"),
        (f"{MR}_not_revised", ALL, "not_revised", "count"),
        (f"{MR}_cleared_within_20_days", ALL, "within", "count"),
        ("cleared_within_20_days_share", ALL, "share", "share")])


def _feed(ctx, name: str, expr) -> pd.DataFrame:
    """A feed's table computed by ``expr(feed, period)``, months labelled (the feed's months
    and the folder's)."""
    return ctx.engine.execute(expr(ctx.engine_mi(name), month_integer(ctx.period)),
                              ctx.mi_months(name))


def t11(ctx) -> pd.DataFrame:
    """T11 from the appeals feed (``service.t11 per period``); see :func:`appeals_by_month`."""
    return monthly_rows(_feed(ctx, "appeals", appeals_by_month), "T11", [
        ("appeals_received", ALL, "appeals_received", "count"),
        ("appeals_cleared", "tribunal_outcome", "appeals_cleared_tribunal_outcome", "count"),
        ("appeals_cleared", "cms_outcome", "appeals_cleared_cms_outcome", "count"),
        ("appeals_cleared", ALL, "appeals_cleared", "count")])


def t12(ctx) -> pd.DataFrame:
    """T12 from the complaints feed (``service.t12 per period``): ``complaints_received``
    (``resolution``, ``review``, ``all``) and ``complaints_received_scheme_to_date``; see
    :func:`complaints_by_month`."""
    return monthly_rows(_feed(ctx, "complaints", complaints_by_month), "T12", [
        ("complaints_received", "resolution", "complaints_resolution", "count"),
        ("complaints_received", "review", "complaints_review", "count"),
        ("complaints_received", ALL, "complaints_total", "count"),
        ("complaints_received_scheme_to_date", ALL, "scheme_to_date", "count")])


def t13(ctx) -> pd.DataFrame:
    """T13 from the telephony feed (``service.t13 per period``): calls received, answered,
    answered within 30 seconds; shares of calls received; see :func:`telephony_by_month`."""
    return monthly_rows(_feed(ctx, "telephony", telephony_by_month), "T13", [
        ("calls_received", ALL, "calls_received", "count"),
        ("calls_answered", ALL, "calls_answered", "count"),
        ("calls_answered_within_30_seconds", ALL, "calls_answered_within_30_seconds", "count"),
        ("calls_answered_share", ALL, "answered_share", "share"),
        ("calls_answered_within_30_seconds_share", ALL, "within_30_seconds_share", "share")])


def t14(ctx) -> pd.DataFrame:
    """T14 from the accuracy checks (``service.t14 per period``): ``accuracy_checks``,
    ``accurate_checks`` and ``accuracy_share`` by check month; see :func:`accuracy_by_month`."""
    wide = ctx.engine.execute(accuracy_by_month(ctx.engine_mi("accuracy_checks"),
                                                ctx.engine_months, month_integer(ctx.period)),
                              ctx.mi_months("accuracy_checks"))
    return monthly_rows(wide, "T14", [
        ("accuracy_checks", ALL, "checks", "count"),
        ("accurate_checks", ALL, "accurate", "count"),
        ("accuracy_share", ALL, "share", "share")])
