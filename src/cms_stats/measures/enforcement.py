"""T19: cases in enforcement at the end of each month, and enforcement actions started in it.

- ``cases_in_enforcement``: cases in the month's snapshot with ``in_enforcement`` = 1;
- ``cases_in_enforcement_share``: those cases / the caseload at the month end (Table 2, all);
- ``enforcement_actions_started``: rows of ``events/enforcement_actions.parquet`` (as known at
  the as-at date) whose ``action_date`` is in the month, by ``action_type``, and all.

Both inputs are optional in the data contract; a folder without them gives no figure (the
registry's ``needs``: ``in_enforcement``, ``enforcement_actions``). The definition is an Ibis
expression (:func:`enforcement_by_month`) run by the measures engine (:mod:`.engine`).
"""

from __future__ import annotations

import ibis
import pandas as pd

from cms_stats.extracts.contract import ENFORCEMENT_ACTION_TYPES

from .caseload import caseload_by_month
from .common import ALL, monthly_rows
from .engine import count_where, left_join, month_number, ratio

TABLE = "T19"


def enforcement_by_month(snapshots: ibis.Table, actions: ibis.Table,
                         months: ibis.Table) -> ibis.Table:
    """T19, every month.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``origin``, ``in_enforcement``: null, absent from
        the folder or not 1 counts as not in enforcement; the registry's ``needs`` withholds
        the months whose snapshot lacks the column).
    actions : ibis.Table
        Enforcement actions known at the as-at date (``action_date``, ``action_type``).
    months : ibis.Table
        The months reported (``month``).

    Returns
    -------
    ibis.Table
        One row per month: ``cases_in_enforcement``, ``cases_in_enforcement_share`` (of the
        caseload, Table 2's all; null when the snapshot has no rows), ``started`` (actions with
        ``action_date`` in the month) and ``started_<type>`` for each action type.
    """
    cases = snapshots.group_by("month").aggregate(
        cases_in_enforcement=count_where(snapshots.in_enforcement == 1))
    dated = actions.mutate(month=month_number(actions.action_date))
    started = dated.group_by("month").aggregate(
        started=dated.count(),
        **{f"started_{kind}": count_where(dated.action_type == kind)
           for kind in ENFORCEMENT_ACTION_TYPES})
    caseload = caseload_by_month(snapshots, months).select("month", "caseload")
    out = left_join(left_join(caseload, cases, ["month"]), started, ["month"]).fill_null(0)
    return out.mutate(cases_in_enforcement_share=ratio(out.cases_in_enforcement, out.caseload))


# --- registry entry point (resources/tables.yaml) --------------------------------------------
def t19(ctx) -> pd.DataFrame:
    """T19 every month (``enforcement.t19 per period``); see :func:`enforcement_by_month`."""
    actions = ctx.engine_events("enforcement_actions").select("action_date", "action_type")
    wide = ctx.engine.execute(
        enforcement_by_month(ctx.engine_snapshots, actions,
                             ctx.engine_months), ctx.months)
    return monthly_rows(wide, TABLE, [
        ("cases_in_enforcement", ALL, "cases_in_enforcement", "count"),
        ("cases_in_enforcement_share", ALL, "cases_in_enforcement_share", "share"),
        *(("enforcement_actions_started", kind, f"started_{kind}", "count")
          for kind in ENFORCEMENT_ACTION_TYPES),
        ("enforcement_actions_started", ALL, "started", "count")])
