"""T21: caseload, cases due to pay by service type and new applications by country and English
region, each month, and case groups with a current liability and contributing in the quarter; T22: the caseload by Westminster parliamentary constituency at the last
five quarter ends.

The area of a case is its snapshot's ``constituency_code`` (the paying parent's constituency),
placed in its region and country by :mod:`cms_stats.areas`; a case without one is counted under
``not_known``, so the areas of a measure add up to its Great Britain figure (``all``).

T21's monthly figures and T22 are Ibis expressions run by the measures engine
(:func:`areas_by_month`, :func:`caseload_by_constituency`): counts by month and constituency
joined with :func:`area_lookup`, each constituency's areas (:func:`by_area`).
"""

from __future__ import annotations


import ibis
import pandas as pd

from cms_stats import areas
from cms_stats.months import month_index

from .common import ALL, Rows
from .compliance import SERVICE_TYPES, T7_FIRST_MONTH, quarter_compliance
from .engine import count_where, left_join, month_integer
from .intake import new_applications_kept

T21, T22 = "T21", "T22"
#: Quarter ends of T22 in an edition: the period's month and the four before it (a year, to
#: compare with, and a sheet of 632 rows by five columns a reader can use).
T22_QUARTER_ENDS = 5
#: T21's monthly measures.
T21_MONTHLY = ("caseload", "direct_pay_cases", "collect_and_pay_cases", "new_applications")
#: T21's measures of the quarter to the month (as Table 5, by the case group's area).
T21_QUARTERLY = ("case_groups_with_current_liability", "case_groups_contributing")
#: Those by service type: published from August 2014, as Table 7.
T21_FROM_AUGUST_2014 = ("direct_pay_cases", "collect_and_pay_cases")
#: The constituency key of a case whose constituency is not known (null or not a code of
#: :func:`cms_stats.areas.constituencies`) in :func:`area_lookup`.
NOT_KNOWN_CODE = ""


def area_lookup() -> pd.DataFrame:
    """The areas each constituency counts in, one row per (``constituency_code``, ``area``):
    its country, its English region (Wales and Scotland are their own) and ``all``; and
    :data:`NOT_KNOWN_CODE` (a case with no constituency, or one not of
    :func:`cms_stats.areas.constituencies`) in ``not_known`` and ``all``. The engine joins
    counts by constituency with it (:func:`by_area`) instead of looping over areas."""
    c = areas.constituencies()
    pairs = [(code, area) for code, country, region in zip(c["constituency_code"], c["country"],
                                                           c["region"])
             for area in dict.fromkeys((country, region, ALL))]
    pairs += [(NOT_KNOWN_CODE, areas.NOT_KNOWN), (NOT_KNOWN_CODE, ALL)]
    return pd.DataFrame(pairs, columns=["constituency_code", "area"])


def by_area(counts: ibis.Table, lookup: ibis.Table, measures: list[str]) -> ibis.Table:
    """Counts by ``month`` and ``constituency_code`` -> by ``month`` and ``area``: every area
    of :func:`area_lookup` that has a row (``lookup``: it, as an engine table); a null or
    unknown code counts as not known."""
    # a code is known when the lookup lists it (each code's ``all`` row, once): a join with
    # the lookup rather than a test of the 632 codes' literals on every row
    listed = lookup.filter(lookup.area == ALL).select("constituency_code",
                                                      listed=ibis.literal(True))
    keyed = left_join(counts, listed, ["constituency_code"])
    keyed = keyed.mutate(constituency_code=ibis.ifelse(keyed.listed.fill_null(False),
                                                       keyed.constituency_code, NOT_KNOWN_CODE))
    joined = keyed.drop("listed").join(lookup, "constituency_code")
    return joined.group_by(["month", "area"]).aggregate(
        **{measure: joined[measure].sum() for measure in measures})


def areas_by_month(snapshots: ibis.Table, new_applications: ibis.Table, months: ibis.Table,
                   lookup: ibis.Table) -> ibis.Table:
    """T21's monthly figures by area (see :data:`T21_MONTHLY`).

    - ``caseload``: cases in the month-end snapshot;
    - ``direct_pay_cases`` and ``collect_and_pay_cases``: of them, those with a positive weekly
      liability by service type (published from August 2014, as Table 7);
    - ``new_applications``: new applications (duplicates removed) received in the month, known
      at the as-at date, each placed in the area of its case in the month-end snapshot (a join
      on ``case_id`` and ``month``), or ``not_known`` when its case is not in it.

    The area of a case is its ``constituency_code``, counted in its country, English region
    and all (:func:`by_area` over :func:`area_lookup`).

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_id``, ``constituency_code``, ``service_type``,
        ``weekly_liability``).
    new_applications : ibis.Table
        ``case_id`` and ``month`` (received) of the new applications kept.
    months : ibis.Table
        The months reported (``month``).
    lookup : ibis.Table
        :func:`area_lookup`.

    Returns
    -------
    ibis.Table
        One row per month and area with a case or an application: ``month``, ``area`` and the
        four counts (areas without one are zero).
    """
    paying = snapshots.weekly_liability > 0
    zero = ibis.literal(0, "int64")
    cases = snapshots.group_by(["month", "constituency_code"]).aggregate(
        caseload=snapshots.count(),
        **{f"{kind}_cases": count_where(paying & (snapshots.service_type == kind))
           for kind in SERVICE_TYPES},
        new_applications=zero)
    received = new_applications.semi_join(months, "month")
    placed = left_join(received.select("case_id", "month"),
                       snapshots.select("case_id", "month", "constituency_code"),
                       ["case_id", "month"])
    new = placed.group_by(["month", "constituency_code"]).aggregate(
        caseload=zero, **{f"{kind}_cases": zero for kind in SERVICE_TYPES},
        new_applications=placed.count())
    return by_area(cases.union(new), lookup, list(T21_MONTHLY))


def caseload_by_constituency(snapshots: ibis.Table, months: list[int]) -> ibis.Table:
    """T22: ``caseload`` by ``month`` and ``constituency_code`` in ``months`` (the quarter
    ends published, :func:`is_t22_month`); a constituency without cases has no row."""
    ends = snapshots.filter(snapshots.month.isin(months))
    return ends.group_by(["month", "constituency_code"]).aggregate(caseload=ends.count())


def is_t22_month(month: str, period: str) -> bool:
    """Whether T22 publishes ``month`` in the edition of ``period``: a quarter end (February,
    May, August, November) among the last five up to the period."""
    quarter_ends = [m for m in range(month_index(period) - 3 * T22_QUARTER_ENDS + 1,
                                     month_index(period) + 1) if m % 12 % 3 == 1]
    return month_index(month) in quarter_ends


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t21(ctx) -> pd.DataFrame:
    """T21's monthly figures every month (``geography.t21 per period``); see
    :func:`areas_by_month`. Service types from August 2014; every area every month (zero
    where none)."""
    new = new_applications_kept(ctx.engine_applications).select("case_id", "month")
    long = ctx.engine.execute(areas_by_month(ctx.engine_snapshots, new,
                                             ctx.engine_months, ctx.engine.frame(area_lookup())),
                              ctx.months)
    return _area_rows(long, ctx.months, T21_MONTHLY)


def t21_compliance(ctx) -> pd.DataFrame:
    """T21's compliance for the quarter to every month
    (``geography.t21_compliance per period``): ``case_groups_with_current_liability`` and
    ``case_groups_contributing`` (as Table 5) by the constituency of the case group
    (:func:`~cms_stats.measures.compliance.compliance_by_constituency`) placed in every
    country, English region, not known and ``all`` (:func:`by_area`, as the monthly figures)."""
    long = ctx.engine.execute(by_area(quarter_compliance(ctx), ctx.engine.frame(area_lookup()),
                                      list(T21_QUARTERLY)), ctx.months)
    return _area_rows(long, ctx.months, T21_QUARTERLY)


def _area_rows(long: pd.DataFrame, months: list[str], measures) -> pd.DataFrame:
    """T21's rows from counts by ``month`` and ``area``: every area every month (zero where
    none); the service types from August 2014, as Table 7."""
    # each measure's counts as a dict by (month, area): a pandas lookup per figure was most
    # of the family's time in Python
    keys = list(zip(long["month"], long["area"]))
    found = {measure: dict(zip(keys, long[measure])) for measure in measures}
    rows = Rows()
    for month in months:
        for measure in measures:
            if measure in T21_FROM_AUGUST_2014 and month < T7_FIRST_MONTH:
                continue
            for area in areas.area_breakdowns():
                rows.add(T21, month, measure, area, found[measure].get((month, area), 0), "count")
    return rows.frame()


def t22(ctx) -> pd.DataFrame:
    """T22 at the last five quarter ends (``geography.t22 per period``): ``caseload`` by
    constituency (lower-case ONS code), every one of the 632 (zero when none); see
    :func:`caseload_by_constituency`."""
    ends = [m for m in ctx.months if is_t22_month(m, ctx.period)]
    counts = ctx.engine.execute(caseload_by_constituency(
        ctx.engine_snapshots, [month_integer(m) for m in ends]), ctx.months)
    known = counts.dropna(subset=["constituency_code"])
    found = dict(zip(zip(known["month"], known["constituency_code"]), known["caseload"]))
    codes = areas.constituencies()["constituency_code"]
    rows = Rows()
    for month in ends:
        for code in codes:
            rows.add(T22, month, "caseload", areas.constituency_key(code),
                     found.get((month, code), 0), "count")
    return rows.frame()
