"""T8: outstanding arrears and total maintenance liability, and the Direct Pay sensitivity."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .common import ALL, Rows, flag, id_codes, share, largest_two, sorted_unique

TABLE = "T8"
SERVICE_TYPES = ("direct_pay", "collect_and_pay")


@dataclass
class CumulativeLiability:
    """Running totals of ``liability_due`` over every snapshot read so far (GBP).

    ``by_service`` holds the Direct Pay and Collect and Pay parts; ``other`` any liability due
    on a case whose month-end service type is ``no_liability`` (liability ended in the month),
    which is in the total but in neither part. ``top`` holds, per part and for ``all``, the sums
    over the months of each month's largest and second largest case group: an upper bound of the
    largest two case groups' cumulative contributions (the sum of the largest two over months is
    at least the largest two of the sums), so the dominance rule on it errs towards suppressing.
    """

    total: float = 0.0
    by_service: dict = field(default_factory=lambda: {s: 0.0 for s in SERVICE_TYPES})
    other: float = 0.0
    top: dict = field(default_factory=lambda: {s: [0.0, 0.0] for s in (*SERVICE_TYPES, ALL)})

    @classmethod
    def opening(cls, balances: dict | None) -> "CumulativeLiability":
        """The running totals at the start of the folder: zero, or the opening balances of
        ``extract.json`` (liability due before ``first_month``; a part not given, and the
        rest of the total, count in the total and in neither part)."""
        out = cls()
        if balances:
            out.total = float(balances["total_maintenance_liability"])
            for s in SERVICE_TYPES:
                out.by_service[s] = float(balances.get(s, 0.0))
            out.other = out.total - sum(out.by_service.values())
        return out

    def add_closed(self, closures: pd.DataFrame, month: str) -> None:
        """Add the liability due in ``month`` on cases that closed in it (no month-end snapshot
        holds them): in the total, in neither service part."""
        if len(closures):
            dates = closures["closed_date"]
            start = pd.Timestamp(f"{month}-01")
            due = closures.loc[(dates >= start) & (dates < start + pd.offsets.MonthBegin(1)),
                               "liability_due"]
            amount = float(due.sum())
            self.total += amount
            self.other += amount

    def add(self, snapshot: pd.DataFrame) -> None:
        due = snapshot["liability_due"].to_numpy(dtype=np.float64)
        _, groups = np.unique(id_codes(snapshot["case_group_id"]), return_inverse=True)
        month_total = float(due.sum())
        parts = 0.0
        for s in SERVICE_TYPES:
            mask = flag(snapshot["service_type"], s)
            part = float(due[mask].sum())
            self.by_service[s] += part
            parts += part
            for i, t in enumerate(largest_two(np.bincount(groups[mask], weights=due[mask]))):
                self.top[s][i] += t
        for i, t in enumerate(largest_two(np.bincount(groups, weights=due))):
            self.top[ALL][i] += t
        self.total += month_total
        self.other += month_total - parts


def arrears_month(snapshot: pd.DataFrame, month: str, cumulative: CumulativeLiability) -> pd.DataFrame:
    """T8 for one month; ``cumulative`` must already include this month's snapshot.

    - ``outstanding_arrears`` = sum of ``arrears_closing`` (GBP);
    - ``case_groups_with_arrears`` = groups whose summed ``arrears_closing`` > 0 (closing
      balances are never negative, so: groups with a case in arrears);
    - ``total_maintenance_liability`` (TML) = cumulative ``liability_due`` over every snapshot up
      to m, breakdowns ``direct_pay``, ``collect_and_pay`` (by the month-end service type of
      each month) and ``all``; the sensitivity uses the cumulative Direct Pay part;
    - ``arrears_share_of_liability`` = arrears / TML;
    - ``proxy_amount_collected`` = TML - arrears.
    """
    closing = snapshot["arrears_closing"].to_numpy(dtype=np.float64)
    arrears = float(closing.sum())
    groups = int(sorted_unique(id_codes(snapshot["case_group_id"])[closing > 0]).size)
    rows = Rows()
    rows.add(TABLE, month, "outstanding_arrears", ALL, arrears, "gbp")
    rows.add(TABLE, month, "case_groups_with_arrears", ALL, groups, "count")
    for s in SERVICE_TYPES:
        rows.add(TABLE, month, "total_maintenance_liability", s, cumulative.by_service[s], "gbp",
                 top=tuple(cumulative.top[s]))
    rows.add(TABLE, month, "total_maintenance_liability", ALL, cumulative.total, "gbp",
             top=tuple(cumulative.top[ALL]))
    rows.add(TABLE, month, "arrears_share_of_liability", ALL, share(arrears, cumulative.total), "share")
    rows.add(TABLE, month, "proxy_amount_collected", ALL, cumulative.total - arrears, "gbp")
    return rows.frame()


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
def t8(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T8 for one month (``arrears.t8 per month``); the context's cumulative liability
    already includes this month."""
    return arrears_month(snapshot, month, ctx.cumulative)


# --- T20: legacy CSA arrears ------------------------------------------------------------------
ORIGINS = ("new_application", "arrears_only")


def legacy_csa_arrears_month(snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T20 for ``month``: arrears carried from the CSA (1993 and 2003) schemes, by origin.

    - ``legacy_csa_arrears``: sum of ``csa_arrears`` at the month end, by the case's ``origin``
      and all (apart from Table 8, which is 2012-scheme arrears only); its two largest case
      groups are reported for the dominance rule;
    - ``cases_with_legacy_csa_arrears``: cases with ``csa_arrears > 0``;
    - ``case_groups_with_legacy_csa_arrears``: case groups with a case with ``csa_arrears > 0``
      (a group with cases of both origins is in both parts and once in all).
    An absent or null ``csa_arrears`` counts as none (the registry's ``needs`` withholds
    such months).
    """
    if "csa_arrears" in snapshot.columns:
        csa = snapshot["csa_arrears"].astype("Float64").fillna(0).to_numpy(dtype=np.float64)
    else:
        csa = np.zeros(len(snapshot))
    groups = id_codes(snapshot["case_group_id"])
    carrying = csa > 0
    rows = Rows()
    for origin in (*ORIGINS, ALL):
        part = carrying & (flag(snapshot["origin"], origin) if origin != ALL else True)
        _, inverse = np.unique(groups[part], return_inverse=True)
        top = largest_two(np.bincount(inverse, weights=csa[part]))
        rows.add("T20", month, "legacy_csa_arrears", origin, float(csa[part].sum()), "gbp", top=top)
        rows.add("T20", month, "cases_with_legacy_csa_arrears", origin, int(part.sum()), "count")
        rows.add("T20", month, "case_groups_with_legacy_csa_arrears", origin,
                 int(sorted_unique(groups[part]).size), "count")
    return rows.frame()


def legacy_csa_arrears(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T20 for one month (``arrears.legacy_csa_arrears per month``)."""
    return legacy_csa_arrears_month(snapshot, month)
