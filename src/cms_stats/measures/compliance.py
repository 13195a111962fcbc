"""T5 (case groups contributing), T6 (cash compliance), T7 (service type), T15 (transfers).

T5 and T6 are measures of the quarter to month m (Q = the three snapshot months ending with m);
they are computed from small per-month summaries of the snapshots (:func:`liable_cases`) so that
only the last three months' summaries are ever held, plus the payments dated in Q.

T7 and T15 are month-end snapshot measures whose one definition is an Ibis expression
(:func:`service_type_by_month`, :func:`transfers_by_month`: T15's share is over T7's cases due
to pay) run by the measures engine (:mod:`.engine`: DuckDB by default, or Spark).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from .common import (ALL, Rows, constituency_index, date_month_index, flag, id_codes, month_index,
                     monthly_rows, share)
from .engine import count_where, left_join, month_integer, ratio

T5, T6, T7, T15 = "T5", "T6", "T7", "T15"
#: Service type is published from August 2014, when collection charges began (T7, T15, T21).
T7_FIRST_MONTH = "2014-08"
#: The service types of a case due to pay (T7's breakdowns; ``no_liability`` is neither).
SERVICE_TYPES = ("direct_pay", "collect_and_pay")
LIABLE_COLUMNS = ["case_id", "case_group_id", "direct_pay", "liability_due", "constituency"]


def liable_cases(snapshot: pd.DataFrame) -> pd.DataFrame:
    """The month's per-case summary kept for the rolling quarter.

    Cases with ``liability_due > 0``: ``case_id`` and ``case_group_id`` (as integer codes, see
    :func:`~cms_stats.measures.common.id_codes`), ``direct_pay`` (bool: ``service_type ==
    "direct_pay"``), ``liability_due`` and ``constituency`` (the case's, as
    :func:`~cms_stats.measures.common.constituency_index`; -1 not known). Cases with nothing due
    add nothing to any quarter measure, so they are not kept.
    """
    due = snapshot["liability_due"].to_numpy(dtype=np.float64)
    keep = np.flatnonzero(due > 0)
    group = id_codes(snapshot["case_group_id"])[keep]
    case = id_codes(snapshot["case_id"])
    # by group (quarters merge sorted runs), then case: a group's first row in a quarter is its
    # case with the smallest id in its earliest month (what places it in an area, T21)
    order = keep[np.lexsort((case[keep], group))]
    return pd.DataFrame({
        "case_id": case[order],
        "case_group_id": id_codes(snapshot["case_group_id"])[order],
        "direct_pay": flag(snapshot["service_type"], "direct_pay")[order],
        "liability_due": due[order],
        "constituency": constituency_index(snapshot)[order].astype(np.int16),
    })


class PaymentIndex:
    """Payments sorted by month, to take the payments dated in a quarter cheaply."""

    def __init__(self, payments: pd.DataFrame) -> None:
        month = date_month_index(payments["payment_date"])
        order = np.lexsort((id_codes(payments["case_group_id"]), month))  # by month, then group
        self.month = month[order]
        self.case_id = id_codes(payments["case_id"])[order]
        self.case_group_id = id_codes(payments["case_group_id"])[order]
        self.amount = payments["amount"].to_numpy(dtype=np.float64)[order]
        # Towards current maintenance: the amount less the part paid to arrears (the contract's
        # optional split; absent or null, the whole amount).
        split = (payments["paid_to_arrears"].to_numpy(dtype=np.float64, na_value=np.nan)
                 if "paid_to_arrears" in payments.columns else np.full(len(payments), np.nan))
        self.current = self.amount - np.nan_to_num(split[order], nan=0.0)

    def in_months(self, months: Sequence[str]) -> pd.DataFrame:
        """Payments dated in the (contiguous) months given: case_id, case_group_id, amount."""
        if not months:
            lo = hi = 0
        else:
            lo = np.searchsorted(self.month, min(month_index(m) for m in months), side="left")
            hi = np.searchsorted(self.month, max(month_index(m) for m in months), side="right")
        return pd.DataFrame({
            "case_id": self.case_id[lo:hi],
            "case_group_id": self.case_group_id[lo:hi],
            "amount": self.amount[lo:hi],
            "current": self.current[lo:hi],
        })


def groups_in_quarter(liable_q: pd.DataFrame, payments_q: pd.DataFrame) -> pd.DataFrame:
    """The case groups with a current liability in a quarter, one row each (see
    :func:`compliance_quarter`): ``due``, ``direct_pay_due``, ``paid`` (payments towards current
    maintenance), ``contributing`` (bool) and ``constituency`` (of the group's first row in
    ``liable_q``: its case with the smallest id in its earliest month, :func:`liable_cases`; a
    paying parent's cases normally share one)."""
    group = id_codes(liable_q["case_group_id"])
    order = np.argsort(group, kind="stable")  # fast: the months' summaries are sorted runs
    group = group[order]
    due = liable_q["liability_due"].to_numpy(dtype=np.float64)[order]
    dp = liable_q["direct_pay"].to_numpy(dtype=bool)[order]
    first = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1]))) if group.size else np.array([], np.int64)
    groups = group[first]
    size = groups.size
    if size:
        due_g = np.add.reduceat(due, first)
        dp_due_g = np.add.reduceat(np.where(dp, due, 0.0), first)
        dp_g = np.logical_or.reduceat(dp, first)
    else:
        due_g = dp_due_g = np.zeros(0)
        dp_g = np.zeros(0, dtype=bool)
    # payments of the groups with a current liability
    pay_group = id_codes(payments_q["case_group_id"])
    amount = payments_q["current" if "current" in payments_q.columns else "amount"].to_numpy(
        dtype=np.float64)
    pos = np.searchsorted(groups, pay_group)
    pos_ok = np.minimum(pos, max(size - 1, 0))
    matched = (pos < size) & (groups[pos_ok] == pay_group) if size else np.zeros(len(pay_group), bool)
    paid_g = np.bincount(pos[matched], weights=amount[matched], minlength=size)
    contributing = dp_g | (np.bincount(pos[matched], minlength=size) > 0)
    area = (liable_q["constituency"].to_numpy(dtype=np.int64)[order][first]
            if "constituency" in liable_q.columns else np.full(size, -1, np.int64))
    return pd.DataFrame({"due": due_g, "direct_pay_due": dp_due_g, "paid": paid_g,
                         "contributing": contributing, "constituency": area})


def compliance_quarter(month: str, liable_q: pd.DataFrame, payments_q: pd.DataFrame,
                       groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """T5 and T6 for the quarter to ``month``.

    Parameters
    ----------
    month : str
        The month m ("YYYY-MM").
    liable_q : DataFrame
        :func:`liable_cases` of each snapshot month of Q, concatenated.
    payments_q : DataFrame
        Payments dated in Q (``case_group_id``, ``amount``).
    groups : DataFrame, optional
        :func:`groups_in_quarter` of them, when already computed.

    Notes
    -----
    A case group *has a current liability* in Q when any of its cases had ``liability_due > 0``
    in a snapshot of Q; it is *contributing* when, among those, a case of the group was Direct
    Pay with ``liability_due > 0`` in Q or the group has a payment dated in Q.
    ``cash_due`` = the groups' ``liability_due`` summed over Q; ``cash_paid`` = their Direct Pay
    ``liability_due`` (assumed paid in full) + their Collect and Pay payments dated in Q towards
    current maintenance: ``amount - paid_to_arrears`` where the extract splits payments (the
    optional column ``current`` of ``payments_q``), else the whole amount. Payments by groups
    without a current liability in Q (arrears only) are not counted. Without the split,
    ``cash_paid_share`` is not bounded by 1: payments in Q may also pay arrears.
    """
    g = groups if groups is not None else groups_in_quarter(liable_q, payments_q)
    size, contributing = len(g), int(g["contributing"].sum())
    due_g, dp_due_g, paid_g = g["due"], g["direct_pay_due"], g["paid"]
    cash_due = float(due_g.sum())
    cash_paid = float(dp_due_g.sum() + paid_g.sum())
    rows = Rows()
    rows.add(T5, month, "case_groups_with_current_liability", ALL, size, "count")
    rows.add(T5, month, "case_groups_contributing", ALL, contributing, "count")
    rows.add(T5, month, "case_groups_contributing_share", ALL, share(contributing, size), "share")
    rows.add(T6, month, "cash_due", ALL, cash_due, "gbp")
    rows.add(T6, month, "cash_paid", ALL, cash_paid, "gbp")
    rows.add(T6, month, "cash_paid_share", ALL, share(cash_paid, cash_due), "share")
    return rows.frame()


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
def t5_t6(ctx, quarter) -> pd.DataFrame:
    """T5 and T6 for the quarter to a month (``compliance.t5_t6 per quarter``)."""
    return compliance_quarter(quarter.month, quarter.liable, quarter.payments,
                              quarter_groups(ctx, quarter))


def quarter_groups(ctx, quarter) -> pd.DataFrame:
    """:func:`groups_in_quarter` of the quarter to ``quarter.month``, computed once for T5/T6
    and T21 (kept in ``ctx.carry`` for the month)."""
    month, groups = ctx.carry.get("quarter_groups", (None, None))
    if month != quarter.month:
        groups = groups_in_quarter(quarter.liable, quarter.payments)
        ctx.carry["quarter_groups"] = (quarter.month, groups)
    return groups


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
