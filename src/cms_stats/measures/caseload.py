"""T2: caseload (cases managed on the 2012 scheme) at month end, by origin."""

from __future__ import annotations

import pandas as pd

from .common import ALL, Rows, flag

TABLE = "T2"
ORIGINS = ("new_application", "arrears_only")


def caseload_month(snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T2 for one month: rows of the month-end snapshot, by ``origin`` and ``all``.

    Measure ``caseload``, breakdowns ``new_application``, ``arrears_only``, ``all`` (count).
    """
    rows = Rows()
    for name in ORIGINS:
        rows.add(TABLE, month, "caseload", name, flag(snapshot["origin"], name).sum(), "count")
    rows.add(TABLE, month, "caseload", ALL, len(snapshot), "count")
    return rows.frame()


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t2(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T2 for one month (``caseload.t2 per month``)."""
    return caseload_month(snapshot, month)
