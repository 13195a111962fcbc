r"""T4: children benefiting from maintenance, with its 95% confidence interval.

Cases paying in the quarter to month m times the mean number of qualifying children per case,
estimated from the latest six-monthly simple random sample (about 1,100 cases drawn without
replacement from the N cases with a positive weekly liability in the sample month's snapshot),
carried forward until the next sample. Cases paying and N are an Ibis expression
(:func:`cases_paying_by_month`) run by the measures engine (:mod:`.engine`: DuckDB by default,
or Spark) for all months at once; the estimate and its interval are computed here from them.

T18 (cases due to pay with a shared-care reduction, by band of nights) is a month-end snapshot
measure whose one definition is an Ibis expression (:func:`shared_care_by_month`) run by the
measures engine.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import asdict, dataclass

import ibis
import numpy as np
import pandas as pd
# scipy.special, not scipy.stats: the t quantile alone, without scipy.stats' 0.7 s import
from scipy import special

from .common import ALL, Rows, monthly_rows
from .engine import count_where, left_join, month_number, ratio

TABLE, T18 = "T4", "T18"


@dataclass(frozen=True)
class ChildrenEstimate:
    """Children benefiting and its confidence interval (see :func:`children_benefiting`)."""

    level: float
    n: int
    N: int
    mean: float
    sd: float
    se: float
    t: float
    mean_lower: float
    mean_upper: float
    cases_paying: float
    estimate: float
    lower: float
    upper: float

    def as_dict(self) -> dict:
        return asdict(self)


def children_benefiting(sample_children, population_cases: int, cases_paying: float,
                        level: float = 0.95) -> ChildrenEstimate:
    r"""Children benefiting = cases paying x mean children per case, with its interval.

    With the sample :math:`x_1, \dots, x_n` (qualifying children per sampled case) drawn by
    simple random sampling without replacement from a population of :math:`N` cases
    (``population_cases``) and :math:`C` cases paying in the quarter (``cases_paying``):

    .. math::

        \bar{x} = \frac{1}{n}\sum_i x_i, \qquad
        s^2 = \frac{1}{n-1}\sum_i (x_i - \bar{x})^2, \qquad
        \mathrm{SE}(\bar{x}) = \frac{s}{\sqrt{n}}\sqrt{1 - \frac{n}{N}}

    (the last factor is the finite population correction), and the interval for the mean is

    .. math::

        \bar{x} \pm t_{(1+\text{level})/2,\; n-1}\,\mathrm{SE}(\bar{x})

    with the Student t quantile on :math:`n - 1` degrees of freedom. The estimate is
    :math:`C\bar{x}` and its bounds are the mean's bounds times :math:`C` (the number of cases
    paying is a 100% count, so it adds no sampling error).

    Parameters
    ----------
    sample_children : array-like of int
        Qualifying children of each sampled case (n >= 2).
    population_cases : int
        N, the number of cases the sample was drawn from (n <= N).
    cases_paying : float
        C, cases paying in the quarter.
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    ChildrenEstimate
        ``mean, sd, se, t, mean_lower, mean_upper, estimate, lower, upper, n, N, level,
        cases_paying``.
    """
    x = np.asarray(sample_children, dtype=np.float64)
    n = x.size
    if n < 2:
        raise ValueError("the children sample needs at least 2 cases")
    if population_cases < n:
        raise ValueError(f"sample of {n} is larger than its population of {population_cases}")
    mean = float(x.mean())
    sd = float(x.std(ddof=1))
    se = sd / np.sqrt(n) * np.sqrt(1.0 - n / population_cases)
    t = float(special.stdtrit(n - 1, 0.5 + level / 2.0))  # what scipy.stats.t.ppf computes
    lo, hi = mean - t * se, mean + t * se
    return ChildrenEstimate(level=level, n=int(n), N=int(population_cases), mean=mean, sd=sd,
                            se=float(se), t=t, mean_lower=float(lo), mean_upper=float(hi),
                            cases_paying=float(cases_paying), estimate=cases_paying * mean,
                            lower=cases_paying * lo, upper=cases_paying * hi)


def children_bootstrap_interval(sample_children, population_cases: int, cases_paying: float,
                                level: float = 0.95, n_boot: int = 4000,
                                seed: int = 2012) -> dict:
    r"""A percentile bootstrap interval for the same estimate: a cross-check of the t interval.

    ``n_boot`` resamples of size n with replacement (seeded); each resample mean
    :math:`\bar{x}^*` is shrunk towards :math:`\bar{x}` by the finite population correction,
    :math:`\bar{x} + \sqrt{1 - n/N}\,(\bar{x}^* - \bar{x})`, and the interval is the
    :math:`(1-\text{level})/2` and :math:`(1+\text{level})/2` percentiles, scaled by the cases
    paying. Returns a dict: ``mean_lower, mean_upper, lower, upper, n_boot, seed``.
    """
    x = np.asarray(sample_children, dtype=np.float64)
    n = x.size
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    mean = x.mean()
    adjusted = mean + np.sqrt(1.0 - n / population_cases) * (means - mean)
    lo, hi = np.quantile(adjusted, [(1 - level) / 2, (1 + level) / 2])
    return {"mean_lower": float(lo), "mean_upper": float(hi),
            "lower": float(cases_paying * lo), "upper": float(cases_paying * hi),
            "n_boot": n_boot, "seed": seed}


def cases_paying_by_month(snapshots: ibis.Table, payments: ibis.Table, quarters: ibis.Table,
                          months: ibis.Table) -> ibis.Table:
    """T4's cases paying in the quarter to each month, and each month's cases with a positive
    weekly liability (the population N a children sample is drawn from in its month).

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``case_id``, ``service_type``, ``weekly_liability``,
        ``liability_due``).
    payments : ibis.Table
        Payments known at the as-at date (``case_id``, ``payment_date``).
    quarters : ibis.Table
        The months of the quarter to each month (``month``, ``in_month``:
        :meth:`~.engine.Engine.quarters`).
    months : ibis.Table
        The months reported (``month``).

    Returns
    -------
    ibis.Table
        One row per month: ``cases_paying`` (distinct cases with a payment dated in Q, or
        Direct Pay with ``liability_due > 0`` in a snapshot of Q) and ``cases_due_to_pay``
        (cases with ``weekly_liability > 0`` in the month's snapshot).
    """
    direct_pay = snapshots.filter((snapshots.liability_due > 0)
                                  & (snapshots.service_type == "direct_pay"))
    direct_pay = direct_pay.select(in_month=direct_pay.month, case_id=direct_pay.case_id)
    paid = payments.select(in_month=month_number(payments.payment_date), case_id=payments.case_id)
    # distinct (month, case) pairs then counted: a grouping DuckDB spills beyond its memory
    # limit (a distinct count's sets by month do not)
    paying = direct_pay.union(paid).join(quarters, "in_month").select("month", "case_id")
    paying = paying.distinct()
    counts = paying.group_by("month").aggregate(cases_paying=paying.count())
    due = snapshots.group_by("month").aggregate(
        cases_due_to_pay=count_where(snapshots.weekly_liability > 0))
    return left_join(left_join(months, counts, ["month"]), due, ["month"]).fill_null(0)


def children_month(month: str, paying: float, sample_children=None,
                   population_cases: int | None = None, level: float = 0.95) -> pd.DataFrame:
    """T4 for one month: ``cases_paying`` and, when a sample exists, the estimate.

    ``mean_children_per_case`` (unit ``mean``) and ``children_benefiting`` (``count``) with
    breakdowns ``estimate``, ``lower_95``, ``upper_95``; ``sample_size`` (n) and
    ``sample_population`` (N). Before the first sample only ``cases_paying`` is given.
    """
    rows = Rows()
    rows.add(TABLE, month, "cases_paying", ALL, paying, "count")
    if sample_children is not None:
        est = children_benefiting(sample_children, population_cases, paying, level=level)
        for name, value in (("estimate", est.mean), ("lower_95", est.mean_lower),
                            ("upper_95", est.mean_upper)):
            rows.add(TABLE, month, "mean_children_per_case", name, value, "mean")
        for name, value in (("estimate", est.estimate), ("lower_95", est.lower),
                            ("upper_95", est.upper)):
            rows.add(TABLE, month, "children_benefiting", name, value, "count")
        rows.add(TABLE, month, "sample_size", ALL, est.n, "count")
        rows.add(TABLE, month, "sample_population", ALL, est.N, "count")
    return rows.frame()


# --- registry entry points (resources/tables.yaml) ----------------------------------------
def t4(ctx) -> pd.DataFrame:
    """T4 for the quarter to every month, each with the latest children sample on or before it
    (``children.t4 per period``): cases paying and the sample's population from
    :func:`cases_paying_by_month`, the estimate and its interval from
    :func:`children_benefiting`."""
    # a block of months at a time: the distinct cases of one block's quarters held, not of all
    wide = ctx.engine.execute(ctx.engine.hold(*(
        cases_paying_by_month(snapshots, ctx.engine_payments, quarters, months)
        for snapshots, quarters, months in ctx.engine_quarter_blocks())),
        ctx.months).set_index("month")
    samples = [m for m in ctx.folder.sample_months if m in set(ctx.months)]
    frames, sample, population = [], None, None
    for month in ctx.months:
        if month in samples:
            sample = ctx.folder.children_sample(month)["qualifying_children"].to_numpy()
            population = int(wide.at[month, "cases_due_to_pay"])
        frames.append(children_month(month, int(wide.at[month, "cases_paying"]), sample,
                                     population))
    return pd.concat(frames, ignore_index=True)


# --- T18: shared care ---------------------------------------------------------------------------
#: The 2012 scheme's shared-care bands (nights a year with the paying parent): breakdown ->
#: (first night, last night); fewer than 52 nights is no reduction.
SHARED_CARE_BANDS = {
    "nights_52_to_103": (52, 103),
    "nights_104_to_155": (104, 155),
    "nights_156_to_174": (156, 174),
    "nights_175_or_more": (175, 365),
}


def shared_care_by_month(snapshots: ibis.Table, months: ibis.Table) -> ibis.Table:
    """T18: cases due to pay whose calculation has a shared-care reduction, each month end.

    Parameters
    ----------
    snapshots : ibis.Table
        The monthly snapshots (``month``, ``weekly_liability``, ``shared_care_nights``: null,
        or absent from the folder, is no reduction; the registry's ``needs`` withholds the
        months whose snapshot lacks the column).
    months : ibis.Table
        The months reported (``month``), so that a month without rows has zeros.

    Returns
    -------
    ibis.Table
        One row per month: ``cases_due_to_pay`` (cases with ``weekly_liability > 0``: Table 7's
        cases due to pay, all, since the contract allows a positive weekly liability only on
        Direct Pay and Collect and Pay cases); ``shared_care_<band>`` for each band of
        :data:`SHARED_CARE_BANDS`, those of them with that many ``shared_care_nights`` (null, 0
        and 1 to 51 nights are no reduction; a case with no positive weekly liability is not
        counted whatever its nights); ``shared_care_cases`` (the bands' sum: 52 nights or
        more) and ``shared_care_share`` (shared care cases / cases due to pay; null when none
        is due to pay).
    """
    due = snapshots.weekly_liability > 0
    nights = snapshots.shared_care_nights
    counts = snapshots.group_by("month").aggregate(
        cases_due_to_pay=count_where(due),
        **{f"shared_care_{band}": count_where(due & nights.between(first, last))
           for band, (first, last) in SHARED_CARE_BANDS.items()})
    out = left_join(months, counts, ["month"]).fill_null(0)
    out = out.mutate(shared_care_cases=functools.reduce(
        operator.add, [out[f"shared_care_{band}"] for band in SHARED_CARE_BANDS]))
    return out.mutate(shared_care_share=ratio(out.shared_care_cases, out.cases_due_to_pay))


def shared_care(ctx) -> pd.DataFrame:
    """T18 every month (``children.shared_care per period``); see :func:`shared_care_by_month`."""
    wide = ctx.engine.execute(shared_care_by_month(ctx.engine_snapshots, ctx.engine_months),
                              ctx.months)
    return monthly_rows(wide, T18, [
        *(("shared_care_cases", band, f"shared_care_{band}", "count")
          for band in SHARED_CARE_BANDS),
        ("shared_care_cases", ALL, "shared_care_cases", "count"),
        ("cases_due_to_pay", ALL, "cases_due_to_pay", "count"),
        ("shared_care_share", ALL, "shared_care_share", "share")])
