"""T21: caseload, cases due to pay by service type and new applications by country and English
region, each month, and case groups with a current liability and contributing in the quarter; T22: the caseload by Westminster parliamentary constituency at the last
five quarter ends.

The area of a case is its snapshot's ``constituency_code`` (the paying parent's constituency),
placed in its region and country by :mod:`cms_stats.areas`; a case without one is counted under
``not_known``, so the areas of a measure add up to its Great Britain figure (``all``).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from cms_stats import areas
from cms_stats.months import month_index

from .common import ALL, Rows, constituency_index, date_month_index, flag, id_codes
from .compliance import T7_FIRST_MONTH, quarter_compliance

T21, T22 = "T21", "T22"
#: Quarter ends of T22 in an edition: the period's month and the four before it (a year, to
#: compare with, and a sheet of 632 rows by five columns a reader can use).
T22_QUARTER_ENDS = 5


@functools.cache
def _area_matrix() -> np.ndarray:
    """(areas x (not known + constituencies)) 0/1: which constituencies make up each area."""
    c = areas.constituencies()
    keys = list(areas.area_breakdowns())
    out = np.zeros((len(keys), len(c) + 1))
    for i, k in enumerate(keys):
        if k == areas.NOT_KNOWN:
            out[i, 0] = 1
        elif k == ALL:
            out[i, :] = 1
        else:
            out[i, 1:] = ((c["country"] == k) | (c["region"] == k)).to_numpy()
    return out


def _by_area(index: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
    """Counts by every breakdown of :func:`cms_stats.areas.area_breakdowns` of the rows placed
    by ``index`` (:func:`constituency_index`), each counting 1 or, given, its ``mask`` (a
    boolean, or a count: rows already counted by constituency)."""
    per = np.bincount(index + 1, weights=None if mask is None else mask.astype(np.float64),
                      minlength=len(areas.constituencies()) + 1)
    return dict(zip(areas.area_breakdowns(), (_area_matrix() @ per).tolist()))


def areas_month(snapshot: pd.DataFrame, month: str, new_applications: pd.DataFrame) -> pd.DataFrame:
    """T21 for one month.

    Parameters
    ----------
    snapshot : DataFrame
        The month-end snapshot (``constituency_code``, ``service_type``, ``weekly_liability``,
        ``case_id`` as integer codes or identifiers).
    month : str
        The month.
    new_applications : DataFrame
        New applications (duplicates removed) received in the month, known at the as-at date
        (``case_id``): each is placed in the area of its case in the month-end snapshot, or
        ``not_known`` when its case is not in it.

    Returns
    -------
    DataFrame
        Tidy rows: ``caseload``, ``direct_pay_cases`` and ``collect_and_pay_cases`` (cases with
        a positive weekly liability by service type, from August 2014 as Table 7) and
        ``new_applications``, each by country, English region, not known and ``all``.
    """
    index = constituency_index(snapshot)
    rows = Rows()
    figures = {"caseload": _by_area(index)}
    if month >= T7_FIRST_MONTH:
        positive = snapshot["weekly_liability"].to_numpy(dtype=np.float64) > 0
        for name, code in (("direct_pay_cases", "direct_pay"),
                           ("collect_and_pay_cases", "collect_and_pay")):
            figures[name] = _by_area(index, positive & flag(snapshot["service_type"], code))
    cases = id_codes(snapshot["case_id"])
    order = np.argsort(cases, kind="stable")
    wanted = id_codes(new_applications["case_id"])
    pos = np.minimum(np.searchsorted(cases[order], wanted), max(len(cases) - 1, 0))
    found = (cases[order][pos] == wanted) if len(cases) else np.zeros(len(wanted), bool)
    app_index = np.where(found, index[order][pos] if len(cases) else -1, -1)
    figures["new_applications"] = _by_area(app_index)
    for measure, values in figures.items():
        for breakdown, value in values.items():
            rows.add(T21, month, measure, breakdown, value, "count")
    return rows.frame()


def constituencies_month(snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T22 for one month: ``caseload`` by constituency (lower-case ONS code), every one of the
    632 (zero when none)."""
    per = np.bincount(constituency_index(snapshot) + 1,
                      minlength=len(areas.constituencies()) + 1)[1:]
    rows = Rows()
    for key, value in zip(areas.constituency_breakdowns(), per):
        rows.add(T22, month, "caseload", key, value, "count")
    return rows.frame()


def is_t22_month(month: str, period: str) -> bool:
    """Whether T22 publishes ``month`` in the edition of ``period``: a quarter end (February,
    May, August, November) among the last five up to the period."""
    quarter_ends = [m for m in range(month_index(period) - 3 * T22_QUARTER_ENDS + 1,
                                     month_index(period) + 1) if m % 12 % 3 == 1]
    return month_index(month) in quarter_ends


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t21(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T21 for one month (``geography.t21 per month``)."""
    if "geography_new_applications" not in ctx.carry:  # once per release, not per month
        kept = ctx.kept
        new = kept.loc[flag(kept["application_type"], "new_application"), ["case_id", "received_date"]]
        ctx.carry["geography_new_applications"] = (new, date_month_index(new["received_date"]))
    new, month_of = ctx.carry["geography_new_applications"]
    return areas_month(snapshot, month, new.loc[month_of == month_index(month)])


def t21_compliance(ctx) -> pd.DataFrame:
    """T21's compliance for the quarter to every month
    (``geography.t21_compliance per period``): ``case_groups_with_current_liability`` and
    ``case_groups_contributing`` (as Table 5) by the constituency of the case group
    (:func:`~cms_stats.measures.compliance.compliance_by_constituency`) placed in every
    country, English region, not known and ``all`` (:func:`_by_area`)."""
    wide = ctx.engine.execute(quarter_compliance(ctx), ctx.months)
    index = constituency_index(wide)  # "" is no constituency: not known, as null
    rows = Rows()
    for month in ctx.months:
        here = (wide["month"] == month).to_numpy()
        for measure in ("case_groups_with_current_liability", "case_groups_contributing"):
            counts = wide[measure].to_numpy(dtype=np.float64)[here]
            for breakdown, value in _by_area(index[here], counts).items():
                rows.add(T21, month, measure, breakdown, value, "count")
    return rows.frame()


def t22(ctx, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    """T22 for one month of the last five quarter ends (``geography.t22 per month``)."""
    if not is_t22_month(month, ctx.period):
        return Rows().frame()
    return constituencies_month(snapshot, month)
