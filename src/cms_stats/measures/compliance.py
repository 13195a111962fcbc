"""T5 (case groups contributing), T6 (cash compliance), T7 (service type), T15 (transfers).

T5 and T6 are measures of the quarter to month m (Q = the three snapshot months ending with m;
fewer at the start of a folder): the case groups with a current liability in Q and the payments
dated in Q (:func:`groups_by_quarter`, by the groups' constituency for T21 too, then summed:
:func:`compliance_by_quarter`; money in whole pence).
T7 and T15 are month-end snapshot measures (:func:`service_type_by_month`,
:func:`transfers_by_month`: T15's share is over T7's cases due to pay). Each definition is an
Ibis expression run once for all months by the measures engine (:mod:`.engine`: DuckDB by
default, or Spark).
"""

from __future__ import annotations

import ibis
import pandas as pd

from cms_stats.areas import constituency_codes
from cms_stats.extracts.columns import FIXED_ID
from cms_stats.extracts.contract import CONTRACT

from .common import ALL, monthly_rows
from .engine import count_where, left_join, month_integer, month_number, pence, ratio

T5, T6, T7, T15 = "T5", "T6", "T7", "T15"
#: Service type is published from August 2014, when collection charges began (T7, T15, T21).
T7_FIRST_MONTH = "2014-08"
#: The service types of a case due to pay (T7's breakdowns; ``no_liability`` is neither).
SERVICE_TYPES = ("direct_pay", "collect_and_pay")
#: The integers a constituency's number takes in a packed key (:func:`groups_by_quarter`):
#: more than the contract's codes, plus 0 for not known.
CODE_SLOTS = 1024


def groups_by_quarter(snapshots: ibis.Table, payments: ibis.Table,
                      quarters: ibis.Table) -> ibis.Table:
    """The case groups with a current liability in the quarter to each month, one row each.

    A case group *has a current liability* in the quarter Q to month m when any of its cases
    had ``liability_due > 0`` in a snapshot of Q; it is *contributing* when, among those rows,
    a case of the group was Direct Pay, or the group has a payment dated in Q.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_id``, ``case_group_id``, ``service_type``,
        ``liability_due``, ``constituency_code``).
    payments : ibis.Table
        Payments known at the as-at date (``case_group_id``, ``payment_date``, ``amount``,
        ``paid_to_arrears``: null when not split).
    quarters : ibis.Table
        The months of the quarter to each month (``month``, ``in_month``:
        :meth:`~.engine.Engine.quarters`).

    Returns
    -------
    ibis.Table
        One row per month and case group with a current liability: ``due`` (its
        ``liability_due`` summed over Q, whole pence), ``direct_pay_due`` (of its Direct Pay
        rows), ``paid`` (its payments dated in Q towards current maintenance, ``amount -
        paid_to_arrears``, whole pence), ``contributing`` (bool) and ``constituency_number``
        (:func:`constituency_numbers` of the code of the group's first row: its case with the
        smallest id in its earliest month of Q; 0 not known: null, or a code not of the
        contract's, as :func:`.geography.by_area` counts it).
    """
    codes = constituency_numbers()
    liable = left_join(snapshots.filter(snapshots.liability_due > 0), codes,
                       ["constituency_code"])
    due = pence(liable.liability_due)
    direct_pay = (liable.service_type == "direct_pay").fill_null(False)
    # the group's first row as the smallest of an integer packing the order and the
    # constituency's number: a fixed-width aggregate, which DuckDB spills beyond its memory
    # limit (an ``argmin`` over strings does not)
    first_case = id_number(liable.case_id) * CODE_SLOTS + liable.number.fill_null(0)
    # per snapshot month first (a group's cases), then over the months of each quarter
    monthly = liable.group_by(["month", "case_group_id"]).aggregate(
        due=due.sum(), direct_pay_due=due.sum(where=direct_pay).fill_null(0),
        direct_pay_cases=count_where(direct_pay), first=first_case.min())
    spread = monthly.rename(in_month="month").join(quarters, "in_month")
    groups = spread.group_by(["month", "case_group_id"]).aggregate(
        due=spread.due.sum(), direct_pay_due=spread.direct_pay_due.sum(),
        direct_pay_cases=spread.direct_pay_cases.sum(),
        first=(spread.in_month * CODE_SLOTS + spread.first % CODE_SLOTS).min())
    groups = groups.mutate(constituency_number=groups.first % CODE_SLOTS).drop("first")
    dated = payments.mutate(in_month=month_number(payments.payment_date),
                            current=pence(payments.amount)
                            - pence(payments.paid_to_arrears).fill_null(0))
    dated = dated.join(quarters, "in_month")
    paid = dated.group_by(["month", "case_group_id"]).aggregate(
        paid=dated.current.sum(), payments=dated.count())
    out = left_join(groups, paid, ["month", "case_group_id"])
    return out.select("month", "case_group_id", "due", "direct_pay_due",
                      paid=out.paid.fill_null(0),
                      contributing=(out.direct_pay_cases > 0) | (out.payments.fill_null(0) > 0),
                      constituency_number=out.constituency_number)


def id_number(identifier: ibis.StringValue) -> ibis.IntegerValue:
    """A case identifier of the contract (a letter and fixed-width digits, ``C00000001``) as the
    integer of its digits: the same order as the identifier's.

    Raises ``ValueError`` when the contract's ``case_id`` is not of that form or has more than
    15 digits: the order would not be the identifier's, or the packed key (times
    ``CODE_SLOTS``) would not fit 64 bits, and an engine would not always say so.
    """
    pattern = CONTRACT["snapshot"].column("case_id").pattern
    fixed = FIXED_ID.match(pattern or "")
    if fixed is None or int(fixed.group(2)) > 15:
        raise ValueError(f"case_id's pattern {pattern!r} is not a letter and at most 15 "
                         "fixed-width digits: T5/T6's first case of a group needs it")
    return identifier.substr(1).cast("int64")


def constituency_numbers() -> ibis.Table:
    """The contract's constituency codes numbered 1, 2, ... in code order (``constituency_code``,
    ``number``): 0, no row here, is not known (a null code, or one not of the contract's)."""
    codes = sorted(constituency_codes())
    if len(codes) >= CODE_SLOTS:
        raise ValueError(f"{len(codes)} constituencies do not fit {CODE_SLOTS} numbers")
    return ibis.memtable(pd.DataFrame({"constituency_code": codes,
                                       "number": range(1, len(codes) + 1)}))


def compliance_by_constituency(groups: ibis.Table) -> ibis.Table:
    """T5's and T6's figures of the quarter to each month by the constituency of the case group
    (of its case with the smallest id in its earliest month of the quarter: T21's areas).

    Parameters
    ----------
    groups : ibis.Table
        :func:`groups_by_quarter`.

    Returns
    -------
    ibis.Table
        One row per month and ``constituency_code`` with a case group (``""``: not known):
        ``case_groups_with_current_liability``, ``case_groups_contributing``, ``due`` (their
        ``liability_due`` summed over Q) and ``paid`` (their Direct Pay ``liability_due``,
        assumed paid in full, + their payments dated in Q towards current maintenance), in
        whole pence.
    """
    sums = groups.group_by(["month", "constituency_number"]).aggregate(
        case_groups_with_current_liability=groups.count(),
        case_groups_contributing=count_where(groups.contributing),
        due=groups.due.sum(), paid=(groups.direct_pay_due + groups.paid).sum())
    # the codes joined to the small result (a month and constituency a row), not to the groups
    named = left_join(sums, constituency_numbers().rename(constituency_number="number"),
                      ["constituency_number"])
    return named.select("month", constituency_code=named.constituency_code.fill_null(""),
                        *[c for c in sums.columns if c not in ("month", "constituency_number")])


def compliance_by_quarter(by_constituency: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T5 and T6 for the quarter to each month: :func:`compliance_by_constituency` summed.

    Parameters
    ----------
    by_constituency : ibis.Table
        :func:`compliance_by_constituency`.
    months : ibis.Table
        The months reported (``month``): a quarter without a case group due has zeros.

    Returns
    -------
    ibis.Table
        One row per month: ``case_groups_with_current_liability``,
        ``case_groups_contributing`` and their share; ``cash_due`` (the groups'
        ``liability_due`` summed over Q), ``cash_paid`` (their Direct Pay ``liability_due``,
        assumed paid in full, + their Collect and Pay payments dated in Q towards current
        maintenance: ``amount - paid_to_arrears`` where the extract splits payments, else the
        whole amount) and ``cash_paid_share`` (GBP; shares null when nothing is due).

    Notes
    -----
    Payments by groups without a current liability in Q (arrears only) are not counted.
    Without the split, ``cash_paid_share`` is not bounded by 1: payments in Q may also pay
    arrears.
    """
    parts = by_constituency
    sums = parts.group_by("month").aggregate(
        case_groups_with_current_liability=parts.case_groups_with_current_liability.sum(),
        case_groups_contributing=parts.case_groups_contributing.sum(),
        due=parts.due.sum(), paid=parts.paid.sum())
    out = left_join(months, sums, ["month"]).fill_null(0)
    out = out.mutate(cash_due=out.due / 100.0, cash_paid=out.paid / 100.0,
                     case_groups_contributing_share=ratio(out.case_groups_contributing,
                                                          out.case_groups_with_current_liability))
    return out.mutate(cash_paid_share=ratio(out.cash_paid, out.cash_due))


def service_type_by_month(snapshots: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T7: cases due to pay by service type at each month end, from August 2014.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``service_type``, ``weekly_liability``).
    months : ibis.Table
        The months reported (``month``), so that a month without rows has zeros.

    Returns
    -------
    ibis.Table
        One row per month from :data:`T7_FIRST_MONTH` (none before): ``cases_due_to_pay_<type>``
        for each of :data:`SERVICE_TYPES` (cases with ``weekly_liability > 0`` and that
        ``service_type``), ``cases_due_to_pay`` (their sum) and ``direct_pay_share`` (Direct
        Pay / all; null when none is due to pay).
    """
    due = snapshots.weekly_liability > 0
    counts = snapshots.group_by("month").aggregate(
        **{f"cases_due_to_pay_{kind}": count_where(due & (snapshots.service_type == kind))
           for kind in SERVICE_TYPES})
    out = left_join(months.filter(months.month >= month_integer(T7_FIRST_MONTH)), counts,
                    ["month"]).fill_null(0)
    out = out.mutate(cases_due_to_pay=out.cases_due_to_pay_direct_pay
                     + out.cases_due_to_pay_collect_and_pay)
    return out.mutate(direct_pay_share=ratio(out.cases_due_to_pay_direct_pay,
                                             out.cases_due_to_pay))


def transfers_by_month(snapshots: ibis.Table, months: ibis.Table, first_month: int) -> ibis.Table:
    """T15: cases transferring between Direct Pay and Collect and Pay, each month from August
    2014 and from the folder's second month.

    A case *transfers* in month m when it is in the snapshots of both m-1 and m, with
    ``service_type`` Direct Pay at the end of m-1 and Collect and Pay at the end of m
    (``direct_pay_to_collect_and_pay``), or the reverse (``collect_and_pay_to_direct_pay``);
    moves to or from ``no_liability`` are not transfers, nor is a case new in m.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_id``, ``service_type``, ``weekly_liability``).
    months : ibis.Table
        The months reported (``month``).
    first_month : int
        The folder's first month (:func:`~.engine.month_number`): it has no month before, so
        no figure.

    Returns
    -------
    ibis.Table
        One row per month from the later of :data:`T7_FIRST_MONTH` and the month after
        ``first_month``: ``to_collect_and_pay``, ``to_direct_pay``, ``transfers`` (both) and
        ``transfers_share`` (transfers / Table 7's cases due to pay, all, at the end of the
        month; null when none is due to pay).
    """
    paying = snapshots.filter(snapshots.service_type.isin(SERVICE_TYPES))
    now = paying.select("case_id", "month", "service_type")
    before = paying.select("case_id", month=paying.month + 1,
                           service_type_before=paying.service_type)
    moved = now.join(before, ["case_id", "month"])
    counts = moved.group_by("month").aggregate(
        to_collect_and_pay=count_where((moved.service_type_before == "direct_pay")
                                       & (moved.service_type == "collect_and_pay")),
        to_direct_pay=count_where((moved.service_type_before == "collect_and_pay")
                                  & (moved.service_type == "direct_pay")))
    due = service_type_by_month(snapshots, months).select("month", "cases_due_to_pay")
    out = left_join(due.filter(due.month > first_month), counts, ["month"]).fill_null(0)
    out = out.mutate(transfers=out.to_collect_and_pay + out.to_direct_pay)
    return out.mutate(transfers_share=ratio(out.transfers, out.cases_due_to_pay))


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def quarter_compliance(ctx) -> ibis.Table:
    """:func:`compliance_by_constituency` of the context's engine tables, run once for T5, T6
    and T21's compliance and held by the engine (one row a month and constituency, under
    ``ctx.carry``).

    Run a block of months at a time (:meth:`~.context.Context.engine_quarter_blocks`): each block's
    query reads the snapshots its quarters reach and holds only its quarters' case groups, so
    the memory it takes does not grow with the months of the folder."""
    if "quarter_compliance" not in ctx.carry:
        ctx.carry["quarter_compliance"] = ctx.engine.hold(*(
            compliance_by_constituency(groups_by_quarter(snapshots, ctx.engine_payments,
                                                         quarters))
            for snapshots, quarters, _ in ctx.engine_quarter_blocks()))
    return ctx.carry["quarter_compliance"]


def t5_t6(ctx) -> pd.DataFrame:
    """T5 and T6 for the quarter to every month (``compliance.t5_t6 per period``); see
    :func:`compliance_by_quarter`."""
    wide = ctx.engine.execute(compliance_by_quarter(quarter_compliance(ctx), ctx.engine_months),
                              ctx.months)
    return pd.concat([
        monthly_rows(wide, T5, [(measure, ALL, measure, unit) for measure, unit in (
            ("case_groups_with_current_liability", "count"),
            ("case_groups_contributing", "count"),
            ("case_groups_contributing_share", "share"))]),
        monthly_rows(wide, T6, [(measure, ALL, measure, unit) for measure, unit in (
            ("cash_due", "gbp"), ("cash_paid", "gbp"), ("cash_paid_share", "share"))])],
        ignore_index=True)


def t7(ctx) -> pd.DataFrame:
    """T7 every month from August 2014 (``compliance.t7 per period``); see
    :func:`service_type_by_month`."""
    wide = ctx.engine.execute(service_type_by_month(ctx.engine_snapshots, ctx.engine_months),
                              ctx.months)
    return monthly_rows(wide, T7, [
        *(("cases_due_to_pay", kind, f"cases_due_to_pay_{kind}", "count")
          for kind in SERVICE_TYPES),
        ("cases_due_to_pay", ALL, "cases_due_to_pay", "count"),
        ("direct_pay_share", ALL, "direct_pay_share", "share")])


def transfers(ctx) -> pd.DataFrame:
    """T15 every month from August 2014 (``compliance.transfers per period``); see
    :func:`transfers_by_month`."""
    wide = ctx.engine.execute(
        transfers_by_month(ctx.engine_snapshots, ctx.engine_months,
                           month_integer(ctx.folder.months[0])), ctx.months)
    return monthly_rows(wide, T15, [
        ("service_type_transfers", "direct_pay_to_collect_and_pay", "to_collect_and_pay", "count"),
        ("service_type_transfers", "collect_and_pay_to_direct_pay", "to_direct_pay", "count"),
        ("service_type_transfers", ALL, "transfers", "count"),
        ("service_type_transfers_share", ALL, "transfers_share", "share")])
