"""T19: cases in enforcement at the end of each month, and enforcement actions started in it.

- ``cases_in_enforcement``: cases in the month's snapshot with ``in_enforcement`` = 1;
- ``cases_in_enforcement_share``: those cases / the caseload at the month end (Table 2, all);
- ``enforcement_actions_started``: rows of ``events/enforcement_actions.parquet`` (as known at
  the as-at date) whose ``action_date`` is in the month, by ``action_type``, and all.

Both inputs are optional in the data contract; a folder without them gives no figure (the
registry's ``needs``: ``in_enforcement``, ``enforcement_actions``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cms_stats.extracts.contract import ENFORCEMENT_ACTION_TYPES
from cms_stats.months import month_end, month_start

from .common import ALL, Rows, share

TABLE = "T19"


def flagged(snapshot: pd.DataFrame, column: str) -> np.ndarray:
    """Boolean array: the optional integer ``column`` equals 1 (missing or absent: False)."""
    if column not in snapshot.columns:
        return np.zeros(len(snapshot), dtype=bool)
    return snapshot[column].eq(1).fillna(False).to_numpy(dtype=bool)


def enforcement_month(snapshot: pd.DataFrame, actions: pd.DataFrame, month: str) -> pd.DataFrame:
    """T19 for ``month`` from its snapshot and the actions known at the as-at date.

    Parameters
    ----------
    snapshot : DataFrame
        The month's snapshot (``in_enforcement`` optional: absent or null counts as not in
        enforcement; the registry's ``needs`` withholds such months).
    actions : DataFrame
        Enforcement actions (``action_date``, ``action_type``).
    month : str
        ``YYYY-MM``.

    Returns
    -------
    DataFrame
        Tidy rows of T19 for the month.
    """
    rows = Rows()
    in_enforcement = int(flagged(snapshot, "in_enforcement").sum())
    rows.add(TABLE, month, "cases_in_enforcement", ALL, in_enforcement, "count")
    rows.add(TABLE, month, "cases_in_enforcement_share", ALL, share(in_enforcement, len(snapshot)),
             "share")
    dates = actions["action_date"]
    started = actions.loc[(dates >= pd.Timestamp(month_start(month)))
                          & (dates <= pd.Timestamp(month_end(month))), "action_type"]
    counts = started.value_counts()
    for kind in ENFORCEMENT_ACTION_TYPES:
        rows.add(TABLE, month, "enforcement_actions_started", kind, int(counts.get(kind, 0)), "count")
    rows.add(TABLE, month, "enforcement_actions_started", ALL, len(started), "count")
    return rows.frame()


# --- registry entry point (resources/tables.yaml) --------------------------------------------
def t19(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T19 for one month (``enforcement.t19 per month``)."""
    return enforcement_month(snapshot, ctx.enforcement_actions, month)
