"""DQ: the data-quality measures (reported, not hidden).

- ``duplicate_new_applications_removed`` by month (the T1 rule);
- ``quarantined_rows`` by ``"file: reason"`` (and ``all``), from the loader's quarantine table,
  for the release period;
- ``fee_status_recorded_in_error`` by month and reason (the contract's ``fee_status`` rule):
  ``no_fee_after_fees_began`` (a new application received on or after 30 June 2014 recorded
  ``no_fee``: kept in T1, in neither fee-paying nor exempt in T3), ``fee_before_fees_began``
  (a status other than ``no_fee`` before 30 June 2014), ``fee_on_arrears_only`` (an arrears-only
  application on or after it with a status other than ``no_fee``), and ``all``;
- ``arrears_roll_forward_failures`` (case groups) and ``arrears_roll_forward_money_at_stake``
  (GBP) by month, breakdowns ``within_month``, ``across_months`` and ``all``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .common import ALL, Rows, counts_by_month, date_month_index, flag, id_codes, top_two
from .intake import intake_counts, intake_table

TABLE = "DQ"
TOLERANCE_PENCE = 1
#: Application fees began on this day (it belongs to June 2014): the contract's fee_status rule.
FEES_BEGAN = pd.Timestamp("2014-06-30")


def fee_status_errors(applications: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """``fee_status_recorded_in_error`` by month and reason (see the module docstring).

    ``applications``: de-duplicated applications (T1's ``kept``); each row breaking the rule is
    counted once, in the month it was received.
    """
    new = flag(applications["application_type"], "new_application")
    no_fee = flag(applications["fee_status"], "no_fee")
    after = (applications["received_date"] >= FEES_BEGAN).to_numpy(dtype=bool)
    reasons = {"no_fee_after_fees_began": new & after & no_fee,
               "fee_before_fees_began": ~after & ~no_fee,
               "fee_on_arrears_only": ~new & after & ~no_fee}
    month_of = date_month_index(applications["received_date"])
    rows = Rows()
    counts = {name: counts_by_month(month_of[mask], months) for name, mask in reasons.items()}
    for i, m in enumerate(months):
        for name, values in counts.items():
            rows.add(TABLE, m, "fee_status_recorded_in_error", name, values[i], "count")
        rows.add(TABLE, m, "fee_status_recorded_in_error", ALL,
                 sum(v[i] for v in counts.values()), "count")
    return rows.frame()


def duplicates_table(applications: pd.DataFrame, months: Sequence[str],
                     t1: pd.DataFrame | None = None) -> pd.DataFrame:
    """``duplicate_new_applications_removed`` by month (the same count as in T1; taken from
    ``t1`` when the T1 table is given)."""
    t1 = intake_table(applications, months) if t1 is None else t1
    dq = t1.loc[t1["measure"] == "duplicate_new_applications_removed"].copy()
    dq["table"] = TABLE
    return dq.reset_index(drop=True)


def quarantine_table(quarantine: pd.DataFrame, period: str) -> pd.DataFrame:
    """``quarantined_rows`` for the release ``period``: one row per ``"file: reason"`` and ``all``."""
    rows = Rows()
    if len(quarantine):
        key = quarantine["file"].astype("str") + ": " + quarantine["reason"].astype("str")
        for name, count in key.value_counts(sort=False).sort_index().items():
            rows.add(TABLE, period, "quarantined_rows", name, count, "count")
    rows.add(TABLE, period, "quarantined_rows", ALL, len(quarantine), "count")
    return rows.frame()


def closing_balances(snapshot: pd.DataFrame) -> pd.Series:
    """``arrears_closing`` by ``case_id``: the state carried to next month's check."""
    return pd.Series(snapshot["arrears_closing"].to_numpy(dtype=np.float64),
                     index=pd.Index(id_codes(snapshot["case_id"])))


def roll_forward_month(snapshot: pd.DataFrame, month: str,
                       previous_closing: pd.Series | None) -> pd.DataFrame:
    """Arrears roll-forward failures in one month.

    Checked per case, in whole pence, with a tolerance of 1p:

    - *within the month*: ``arrears_opening + arrears_accrued - arrears_paid +
      arrears_adjustment`` must equal ``arrears_closing``;
    - *across months*: ``arrears_opening`` must equal last month's ``arrears_closing`` of the
      case (0 for a case not in last month's snapshot; not checked in the first month, when
      there is no last month).

    A case group fails when any of its cases fails; the money at stake is the sum of the
    absolute differences of the failing checks (GBP).

    Parameters
    ----------
    previous_closing : Series or None
        :func:`closing_balances` of last month's snapshot; None for the first month.
    """
    opening = snapshot["arrears_opening"].to_numpy(dtype=np.float64)
    closing = snapshot["arrears_closing"].to_numpy(dtype=np.float64)
    expected = (opening + snapshot["arrears_accrued"].to_numpy(dtype=np.float64)
                - snapshot["arrears_paid"].to_numpy(dtype=np.float64)
                + snapshot["arrears_adjustment"].to_numpy(dtype=np.float64))
    within = np.abs(np.rint((expected - closing) * 100.0))
    within_fail = within > TOLERANCE_PENCE
    if previous_closing is None:
        across = np.zeros(len(snapshot))
    else:
        pos = previous_closing.index.get_indexer(id_codes(snapshot["case_id"]))
        last = np.where(pos >= 0, previous_closing.to_numpy()[np.maximum(pos, 0)], 0.0)
        across = np.abs(np.rint((opening - last) * 100.0))
    across_fail = across > TOLERANCE_PENCE
    group = id_codes(snapshot["case_group_id"])
    rows = Rows()
    parts = {
        "within_month": (within_fail, np.where(within_fail, within, 0.0)),
        "across_months": (across_fail, np.where(across_fail, across, 0.0)),
    }
    any_fail = within_fail | across_fail
    parts[ALL] = (any_fail, parts["within_month"][1] + parts["across_months"][1])
    for name, (fail, pence) in parts.items():
        rows.add(TABLE, month, "arrears_roll_forward_failures", name,
                 np.unique(group[fail]).size, "count")
        top = top_two(group[fail], pence[fail] / 100.0)  # per case group, for dominance
        rows.add(TABLE, month, "arrears_roll_forward_money_at_stake", name,
                 pence.sum() / 100.0, "gbp", top=top)
    if previous_closing is not None:
        # Arrears that leave the 2012 scheme's books with their case: last month's cases with
        # arrears that are not in this month's snapshot. Outstanding arrears (T8) no longer
        # count them; reported so the reader sees what left, not hidden in a falling total.
        gone = ~previous_closing.index.isin(id_codes(snapshot["case_id"]))
        left = previous_closing[gone & (previous_closing.to_numpy() > 0)]
        rows.add(TABLE, month, "cases_closed_with_arrears", ALL, len(left), "count")
        top = top_two(left.index.to_numpy(), left.to_numpy(dtype=np.float64))  # per case
        rows.add(TABLE, month, "arrears_on_closed_cases", ALL, float(np.rint(left.sum() * 100) / 100), "gbp",
                 top=top)
    return rows.frame()


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def duplicates(ctx) -> pd.DataFrame:
    """Duplicated new applications removed, by month (``quality.duplicates per period``)."""
    return duplicates_table(ctx.applications, ctx.months, t1=intake_counts(ctx.kept, ctx.removed, ctx.months))


def fee_status(ctx) -> pd.DataFrame:
    """Fee statuses recorded in error, by month and reason (``quality.fee_status per period``)."""
    return fee_status_errors(ctx.kept, ctx.months)


def roll_forward(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """Arrears roll-forward failures in one month (``quality.roll_forward per month``)."""
    return roll_forward_month(snapshot, month, ctx.previous_closing)


def quarantined(ctx) -> pd.DataFrame:
    """Quarantined rows of the whole folder, by file and reason (``quality.quarantined per period``)."""
    return quarantine_table(ctx.quarantine, ctx.period)
