"""T5 (case groups contributing), T6 (cash compliance), T7 (service type), T15 (transfers).

T5 and T6 are measures of the quarter to month m (Q = the three snapshot months ending with m);
they are computed from small per-month summaries of the snapshots (:func:`liable_cases`) so that
only the last three months' summaries are ever held, plus the payments dated in Q.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .common import (ALL, Rows, constituency_index, date_month_index, flag, id_codes, month_index,
                     share)

T5, T6, T7, T15 = "T5", "T6", "T7", "T15"
T7_FIRST_MONTH = "2014-08"
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


def service_type_month(snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T7 for one month (published from August 2014; empty before).

    ``cases_due_to_pay``: cases with ``weekly_liability > 0`` and ``service_type`` Direct Pay or
    Collect and Pay at month end (breakdowns ``direct_pay``, ``collect_and_pay``, ``all``);
    ``direct_pay_share`` = Direct Pay / all.
    """
    rows = Rows()
    if month < T7_FIRST_MONTH:
        return rows.frame()
    positive = snapshot["weekly_liability"].to_numpy(dtype=np.float64) > 0
    dp = int((positive & flag(snapshot["service_type"], "direct_pay")).sum())
    cp = int((positive & flag(snapshot["service_type"], "collect_and_pay")).sum())
    rows.add(T7, month, "cases_due_to_pay", "direct_pay", dp, "count")
    rows.add(T7, month, "cases_due_to_pay", "collect_and_pay", cp, "count")
    rows.add(T7, month, "cases_due_to_pay", ALL, dp + cp, "count")
    rows.add(T7, month, "direct_pay_share", ALL, share(dp, dp + cp), "share")
    return rows.frame()


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


def t7(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T7 for one month (``compliance.t7 per month``)."""
    return service_type_month(snapshot, month)


def transfers(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T15 for one month (``compliance.transfers per month``; published from August 2014).

    A case *transfers* in month m when it is in the snapshots of both m-1 and m, with
    ``service_type`` Direct Pay at the end of m-1 and Collect and Pay at the end of m
    (``direct_pay_to_collect_and_pay``), or the reverse (``collect_and_pay_to_direct_pay``);
    moves to or from ``no_liability`` are not transfers. ``service_type_transfers_share`` =
    all transfers / cases due to pay at the end of m (T7's ``cases_due_to_pay``, all). The first
    month of the data has no month before it, so no figure.
    """
    kind = np.where(flag(snapshot["service_type"], "direct_pay"), 1,
                    np.where(flag(snapshot["service_type"], "collect_and_pay"), 2, 0))
    current = pd.Series(kind, index=pd.Index(id_codes(snapshot["case_id"])))
    previous = ctx.carry.get("transfers.service_type")
    ctx.carry["transfers.service_type"] = current
    rows = Rows()
    if previous is None or month < T7_FIRST_MONTH:
        return rows.frame()
    before = previous.reindex(current.index).to_numpy()  # NaN: the case is new this month
    to_cp = int(((before == 1) & (kind == 2)).sum())
    to_dp = int(((before == 2) & (kind == 1)).sum())
    due = int(((snapshot["weekly_liability"].to_numpy(dtype=np.float64) > 0) & (kind > 0)).sum())
    rows.add(T15, month, "service_type_transfers", "direct_pay_to_collect_and_pay", to_cp, "count")
    rows.add(T15, month, "service_type_transfers", "collect_and_pay_to_direct_pay", to_dp, "count")
    rows.add(T15, month, "service_type_transfers", ALL, to_cp + to_dp, "count")
    rows.add(T15, month, "service_type_transfers_share", ALL, share(to_cp + to_dp, due), "share")
    return rows.frame()
