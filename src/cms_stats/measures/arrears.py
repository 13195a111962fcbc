"""T8 (outstanding arrears and total maintenance liability), T20 (legacy CSA arrears), and the
Direct Pay sensitivity.

T8 and T20 are month-end snapshot measures whose one definition is an Ibis expression
(:func:`arrears_by_month`, :func:`legacy_csa_arrears_by_month`) run by the measures engine
(:mod:`.engine`: DuckDB by default, or Spark). Money is summed in whole pence (integers: the
contract's money is GBP to 2 decimal places), so every engine gives the same figures to the bit
whatever order it adds in; T8's cumulative figures are running sums over the months (a window
ordered by :func:`~.engine.month_number`).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from .common import ALL, monthly_rows
from .engine import left_join, month_number, pence, ratio

TABLE, T20 = "T8", "T20"
#: T8's service-type parts of the total maintenance liability (by the month-end service type).
SERVICE_TYPES = ("direct_pay", "collect_and_pay")
#: T20's parts: the case's origin.
ORIGINS = ("new_application", "arrears_only")


def largest_two_by_month(groups: ibis.Table, amounts: dict[str, str],
                         key: str = "case_group_id") -> ibis.Table:
    """The two largest case groups' amounts each month, in each part: what the dominance rule
    reads (``cms_stats.publish.protection``).

    The largest is the month's maximum; the second the maximum over the month's other case
    groups (the largest's group left out by ``argmax``: a tie gives the same amount twice).
    Two aggregations and a join with one row a month, not a sort of the case groups.

    Parameters
    ----------
    groups : ibis.Table
        One row per month and case group (``month``, ``case_group_id``) with an amount column
        (not null) for each part.
    amounts : dict of str to str
        Each part's name and its amount column of ``groups``.
    key : str, default ``case_group_id``
        The column naming the contributions (one row per month and key): ``case_id`` when
        each case is its own contribution (DQ's arrears on closed cases).

    Returns
    -------
    ibis.Table
        One row per month of ``groups``: ``top1_<part>`` and ``top2_<part>`` (the second 0
        when the month has one case group; 0 too where a part has none, as the pandas
        definition had: amounts are never negative).
    """
    first = groups.group_by("month").aggregate(**{
        name: figure for part, column in amounts.items() for name, figure in (
            (f"top1_{part}", groups[column].max()),
            (f"largest_{part}", groups[key].argmax(groups[column])))})
    others = groups.join(first, "month")
    second = others.group_by("month").aggregate(**{
        f"top2_{part}": others[column].max(where=others[key] != others[f"largest_{part}"])
        for part, column in amounts.items()})
    return left_join(first.drop(*[f"largest_{part}" for part in amounts]), second,
                     ["month"]).fill_null(0)


def cumulative(value: ibis.NumericValue) -> ibis.NumericValue:
    """The running sum of a monthly figure over the months to each (a window ordered by
    ``month``; every month present, see :attr:`Context.engine_months`)."""
    return value.sum().over(ibis.cumulative_window(order_by="month"))


def arrears_by_month(snapshots: ibis.Table, closures: ibis.Table, months: ibis.Table,
                     opening: dict | None) -> ibis.Table:
    """T8: outstanding arrears and the cumulative total maintenance liability (TML), each month.

    - ``outstanding_arrears`` = sum of ``arrears_closing`` (GBP);
    - ``case_groups_with_arrears`` = case groups whose summed ``arrears_closing`` > 0 (closing
      balances are never negative, so: groups with a case in arrears);
    - ``tml_<part>``: ``liability_due`` summed over every snapshot to the month, Direct Pay and
      Collect and Pay by the month-end service type of each month, plus the opening balances
      (liability due before the folder's first month); ``tml_all`` adds the rest: cases with
      service type ``no_liability`` (liability ended in the month), the liability due on cases
      closed in each month (in no month-end snapshot) and any opening balance in neither part;
    - ``top1_<part>``, ``top2_<part>``: the sum over the months to the month of each month's
      largest and second largest case group's liability due. An upper bound of the largest two
      case groups' cumulative contributions (the sum of the largest two over months is at least
      the largest two of the sums), so the dominance rule on it errs towards suppressing;
    - ``arrears_share_of_liability`` = arrears / TML (null when TML is 0);
    - ``proxy_amount_collected`` = TML - arrears.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_group_id``, ``service_type``,
        ``liability_due``, ``arrears_closing``).
    closures : ibis.Table
        Cases closed by the as-at date (``closed_date``, ``liability_due``: due in the month
        of closure).
    months : ibis.Table
        The months reported (``month``), every month of the folder to the period.
    opening : dict or None
        ``extract.json``'s ``opening_balances`` (``total_maintenance_liability`` and, optional,
        ``direct_pay`` and ``collect_and_pay``), or none (zero).

    Returns
    -------
    ibis.Table
        One row per month with the columns named above (money in GBP).
    """
    return arrears_running(arrears_month_sums(snapshots, closures, months), opening)


def arrears_month_sums(snapshots: ibis.Table, closures: ibis.Table,
                       months: ibis.Table) -> ibis.Table:
    """T8's sums of each of ``months`` alone (:func:`arrears_by_month`'s parameters), before
    the running totals: ``arrears``, ``case_groups_with_arrears``, ``due_all``, ``due_<type>``,
    ``closed`` (whole pence) and the month's two largest case groups ``top1_<part>``,
    ``top2_<part>`` (:func:`largest_two_by_month`): a block of months at a time, then
    :func:`arrears_running` over every month."""
    due = pence(snapshots.liability_due)
    parts = {kind: snapshots.service_type == kind for kind in SERVICE_TYPES}
    in_arrears = snapshots.filter(snapshots.arrears_closing > 0)
    # distinct (month, case group) pairs then counted: a grouping DuckDB spills beyond its
    # memory limit (a distinct count's sets by month do not)
    groups_in_arrears = in_arrears.select("month", "case_group_id").distinct()
    sums = left_join(
        snapshots.group_by("month").aggregate(
            arrears=pence(snapshots.arrears_closing).sum(), due_all=due.sum(),
            **{f"due_{kind}": due.sum(where=condition) for kind, condition in parts.items()}),
        groups_in_arrears.group_by("month").aggregate(
            case_groups_with_arrears=groups_in_arrears.count()), ["month"])
    # the largest case groups: those with liability due (a group with none adds 0, as absent)
    liable = snapshots.filter(snapshots.liability_due > 0)
    due = pence(liable.liability_due)
    by_group = liable.group_by(["month", "case_group_id"]).aggregate(
        due_all=due.sum(),
        **{f"due_{kind}": due.sum(where=liable.service_type == kind).fill_null(0)
           for kind in SERVICE_TYPES})
    closed = closures.group_by(month=month_number(closures.closed_date)).aggregate(
        closed=pence(closures.liability_due).sum())
    top = largest_two_by_month(by_group, {part: f"due_{part}" for part in (*SERVICE_TYPES, ALL)})
    return left_join(left_join(left_join(months, sums, ["month"]), closed, ["month"]), top,
                     ["month"]).fill_null(0)


def arrears_running(sums: ibis.Table, opening: dict | None) -> ibis.Table:
    """T8's figures from :func:`arrears_month_sums` of every month to the period: the running
    totals (with the opening balances) and the shares (:func:`arrears_by_month`)."""
    opening = opening or {}
    out = sums
    balance = {ALL: float(opening.get("total_maintenance_liability", 0.0)),
               **{kind: float(opening.get(kind, 0.0)) for kind in SERVICE_TYPES}}
    running = {ALL: cumulative(out.due_all + out.closed),
               **{kind: cumulative(out[f"due_{kind}"]) for kind in SERVICE_TYPES}}
    out = out.mutate(
        outstanding_arrears=out.arrears / 100.0,
        **{f"tml_{part}": balance[part] + running[part] / 100.0 for part in running},
        **{f"{top}_{part}": cumulative(out[f"{top}_{part}"]) / 100.0
           for part in running for top in ("top1", "top2")})
    return out.mutate(arrears_share_of_liability=ratio(out.outstanding_arrears, out.tml_all),
                      proxy_amount_collected=out.tml_all - out.outstanding_arrears)


def legacy_csa_arrears_by_month(snapshots: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T20: arrears carried from the CSA (1993 and 2003) schemes at each month end, by origin.

    For each part (each of :data:`ORIGINS`, the case's ``origin``, and ``all``):

    - ``legacy_csa_arrears_<part>``: sum of ``csa_arrears`` (GBP; apart from Table 8, which is
      2012-scheme arrears only), with ``top1_<part>`` and ``top2_<part>``, its two largest case
      groups, for the dominance rule;
    - ``cases_<part>``: cases with ``csa_arrears > 0``;
    - ``case_groups_<part>``: case groups with a case with ``csa_arrears > 0`` (a group with
      cases of both origins is in both parts and once in all).

    An absent or null ``csa_arrears`` counts as none (the registry's ``needs`` withholds the
    months whose snapshot lacks the column).

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_group_id``, ``origin``, ``csa_arrears``).
    months : ibis.Table
        The months reported (``month``), so that a month without rows has zeros.

    Returns
    -------
    ibis.Table
        One row per month with the columns named above.
    """
    carrying = snapshots.filter(snapshots.csa_arrears > 0)
    amount = pence(carrying.csa_arrears)
    parts = {**{origin: carrying.origin == origin for origin in ORIGINS}, ALL: None}
    by_group = carrying.group_by(["month", "case_group_id"]).aggregate(**{
        column: figure for part, condition in parts.items() for column, figure in (
            (f"amount_{part}", amount.sum(where=condition).fill_null(0)),
            (f"cases_{part}", carrying.count(where=condition)))})
    sums = by_group.group_by("month").aggregate(**{
        column: figure for part in parts for column, figure in (
            (f"legacy_csa_arrears_{part}", by_group[f"amount_{part}"].sum()),
            (f"cases_{part}", by_group[f"cases_{part}"].sum()),
            (f"case_groups_{part}", by_group.count(where=by_group[f"cases_{part}"] > 0)))})
    top = largest_two_by_month(by_group, {part: f"amount_{part}" for part in parts})
    out = left_join(left_join(months, sums, ["month"]), top, ["month"]).fill_null(0)
    return out.mutate(**{column: out[column] / 100.0 for part in parts for column in (
        f"legacy_csa_arrears_{part}", f"top1_{part}", f"top2_{part}")})


def direct_pay_sensitivity(outstanding_arrears: float, total_maintenance_liability: float,
                           direct_pay_liability: float,
                           compliance=np.linspace(0.8, 1.0, 21)) -> pd.DataFrame:
    r"""Arrears share of liability if Direct Pay were less than fully compliant.

    The published share assumes Direct Pay cases pay in full. If only a fraction :math:`c` of
    the cumulative Direct Pay liability :math:`D` were paid, the unpaid :math:`(1 - c)D` would be
    arrears too:

    .. math::

        \text{share}(c) = \frac{A + (1 - c)\,D}{\mathrm{TML}}

    with :math:`A` the outstanding arrears and TML the total maintenance liability (both
    cumulative to the month). ``share(1)`` is the published share; each 5 percentage points of
    Direct Pay non-compliance adds :math:`0.05\,D/\mathrm{TML}` to it.

    Returns
    -------
    DataFrame
        ``compliance``, ``arrears_share`` (float64), in the order of ``compliance``.
    """
    c = np.asarray(compliance, dtype=np.float64)
    shares = (outstanding_arrears + (1.0 - c) * direct_pay_liability) / total_maintenance_liability
    return pd.DataFrame({"compliance": c, "arrears_share": shares.astype(np.float64)})


def sensitivity_inputs(measures: pd.DataFrame, month: str) -> dict:
    """The inputs of :func:`direct_pay_sensitivity` for ``month`` from the T8 rows of
    :func:`cms_stats.measures.compute_all`'s output.

    Returns ``{"outstanding_arrears", "total_maintenance_liability", "direct_pay_liability"}``.
    """
    t8 = measures.loc[(measures["table"] == TABLE) & (measures["period"] == month)]
    value = t8.set_index(["measure", "breakdown"])["value"]
    return {
        "outstanding_arrears": float(value[("outstanding_arrears", ALL)]),
        "total_maintenance_liability": float(value[("total_maintenance_liability", ALL)]),
        "direct_pay_liability": float(value[("total_maintenance_liability", "direct_pay")]),
    }


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t8(ctx) -> pd.DataFrame:
    """T8 every month (``arrears.t8 per period``), with the opening balances of
    ``extract.json`` and the closures by the as-at date; see :func:`arrears_by_month`."""
    closures = ctx.engine_events("closures").select("closed_date", "liability_due")
    opening = (getattr(ctx.folder, "metadata", None) or {}).get("opening_balances")
    # a block of months at a time: the case groups of one block's months held, not of all
    sums = ctx.engine.hold(*(arrears_month_sums(snapshots, closures, months)
                             for snapshots, months in ctx.engine_month_blocks()))
    wide = ctx.engine.execute(arrears_running(sums, opening), ctx.months)
    return monthly_rows(wide, TABLE, [
        ("outstanding_arrears", ALL, "outstanding_arrears", "gbp"),
        ("case_groups_with_arrears", ALL, "case_groups_with_arrears", "count"),
        *(("total_maintenance_liability", part, f"tml_{part}", "gbp",
           (f"top1_{part}", f"top2_{part}")) for part in (*SERVICE_TYPES, ALL)),
        ("arrears_share_of_liability", ALL, "arrears_share_of_liability", "share"),
        ("proxy_amount_collected", ALL, "proxy_amount_collected", "gbp")])


def legacy_csa_arrears(ctx) -> pd.DataFrame:
    """T20 every month (``arrears.legacy_csa_arrears per period``); see
    :func:`legacy_csa_arrears_by_month`."""
    # a block of months at a time (each month's figures its own): one block's case groups held
    wide = ctx.engine.execute(ctx.engine.hold(*(
        legacy_csa_arrears_by_month(snapshots, months)
        for snapshots, months in ctx.engine_month_blocks())), ctx.months)
    return monthly_rows(wide, T20, [
        figure for part in (*ORIGINS, ALL) for figure in (
            ("legacy_csa_arrears", part, f"legacy_csa_arrears_{part}", "gbp",
             (f"top1_{part}", f"top2_{part}")),
            ("cases_with_legacy_csa_arrears", part, f"cases_{part}", "count"),
            ("case_groups_with_legacy_csa_arrears", part, f"case_groups_{part}", "count"))])
