"""Reading values out of the tidy measures frame, and publishing them for the prose.

The measures frame is the one :func:`cms_stats.measures.compute_all` returns: tidy and
unrounded, with columns ``table, period, measure, breakdown, value, unit``. Changes and shares
are always computed here from unrounded values; a value that is *shown* goes through the
publication policy first (:func:`published`), so the prose agrees with the tables.
"""

from __future__ import annotations

import math

import pandas as pd

from cms_stats.book import format as fmt
from cms_stats.publish.policy import load_policy
from cms_stats.publish.rounding import round_value, to_number

__all__ = ["series", "value", "unit_of", "table_of", "published", "shown", "load_policy",
           "is_highest_ever"]


def _select(measures: pd.DataFrame, measure: str, breakdown: str, table: str | None) -> pd.DataFrame:
    rows = measures[(measures["measure"] == measure) & (measures["breakdown"] == breakdown)]
    if table is not None:
        rows = rows[rows["table"] == table]
    elif rows["table"].nunique() > 1:
        # DQ repeats some T1 measures; the chapter tables are the T tables.
        rows = rows[rows["table"] != "DQ"]
    if rows.empty:
        raise KeyError(f"measure {measure!r} (breakdown {breakdown!r}) is not in the measures")
    return rows


def series(
    measures: pd.DataFrame,
    measure: str,
    breakdown: str = "all",
    table: str | None = None,
    upto: str | None = None,
) -> pd.Series:
    """The unrounded monthly series of one measure, indexed by month (sorted), NaN dropped."""
    rows = _select(measures, measure, breakdown, table)
    out = rows.set_index("period")["value"].astype("float64").sort_index()
    out = out[~out.isna()]
    if upto is not None:
        out = out[out.index <= upto]
    out.name = measure
    return out


def value(
    measures: pd.DataFrame,
    measure: str,
    month: str,
    breakdown: str = "all",
    table: str | None = None,
) -> float:
    """One unrounded value; NaN when the month has no figure."""
    s = series(measures, measure, breakdown, table)
    return float(s.get(month, math.nan))


def unit_of(measures: pd.DataFrame, measure: str, breakdown: str = "all", table: str | None = None) -> str:
    """The unit (``count``, ``gbp``, ``share``, ``mean``) of a measure."""
    return str(_select(measures, measure, breakdown, table)["unit"].iloc[0])


def table_of(measures: pd.DataFrame, measure: str, breakdown: str = "all") -> str:
    """The table (``T1`` ...) a measure belongs to (T tables before DQ)."""
    return str(_select(measures, measure, breakdown, None)["table"].iloc[0])


def published(raw: float, table: str, measure: str, unit: str, policy) -> float | str:
    """Round one unrounded value by the publication policy (:func:`cms_stats.publish.round_value`).

    Returns the rounded value in the *published* unit (count, GBP million, percent, mean), or a
    symbol such as ``[c]`` when the policy suppresses it.
    """
    return round_value(raw, table=table, measure=measure, unit=unit, policy=policy)


def _text(rounded, published_unit: str, long_money: bool = False, decimals: int = 0) -> str:
    """Format a value already rounded into its published unit (or pass a symbol through);
    ``decimals``: a percentage's published decimal places (the policy's, usually 0)."""
    if isinstance(rounded, str):
        return rounded
    if rounded is None or (isinstance(rounded, float) and math.isnan(rounded)):
        return fmt.SYMBOL_NOT_AVAILABLE
    if published_unit == "count":
        return fmt.fmt_count(rounded)
    if published_unit == "gbp_million":
        return fmt.fmt_gbp_millions(float(rounded) * 1e6, long=long_money)
    if published_unit == "gbp_thousand":
        return f"£{float(rounded):,.1f}" + (" thousand" if long_money else "k")
    if published_unit == "percent":
        return f"{float(rounded):.{decimals}f}%"
    if published_unit == "mean":
        return fmt.fmt_decimal(rounded, 2)
    if published_unit == "days":
        return fmt.fmt_decimal(rounded, 1)
    raise ValueError(f"unknown published unit {published_unit!r}")


def shown(
    measures: pd.DataFrame,
    measure: str,
    month: str,
    policy,
    breakdown: str = "all",
    table: str | None = None,
    long_money: bool = False,
    published_frame: pd.DataFrame | None = None,
) -> str:
    """The published text of one value: rounded by the policy, then formatted.

    With ``published_frame`` (the published tidy frame, after revisions) the figure is read
    from it when present, so the prose shows exactly what the tables show.

    ``shown(m, "caseload", "2016-08", policy)`` -> ``"338,900"``;
    ``shown(m, "outstanding_arrears", "2016-08", policy)`` -> ``"£77.5m"``;
    a share -> ``"88%"``.
    """
    table = table or table_of(measures, measure, breakdown)
    unit = unit_of(measures, measure, breakdown, table)
    if published_frame is not None:
        hit = published_frame[(published_frame["table"] == table) & (published_frame["period"] == month)
                              & (published_frame["measure"] == measure)
                              & (published_frame["breakdown"] == breakdown)]
        if len(hit):
            text = hit["value"].iloc[0]
            number = to_number(text)
            return _text(text if number is None else number, str(hit["unit"].iloc[0]),
                         long_money=long_money, decimals=policy.decimals(table, measure, unit))
    raw = value(measures, measure, month, breakdown, table)
    if math.isnan(raw):
        return fmt.SYMBOL_NOT_AVAILABLE
    return _text(published(raw, table, measure, unit, policy),
                 policy.published_unit(table, measure, unit), long_money=long_money,
                 decimals=policy.decimals(table, measure, unit))


def shown_raw(raw: float, table: str, measure: str, unit: str, policy, long_money: bool = False) -> str:
    """Like :func:`shown` for a value computed outside the measures frame (e.g. a CI bound)."""
    if raw is None or math.isnan(raw):
        return fmt.SYMBOL_NOT_AVAILABLE
    return _text(published(raw, table, measure, unit, policy),
                 policy.published_unit(table, measure, unit), long_money=long_money,
                 decimals=policy.decimals(table, measure, unit))


def is_highest_ever(s: pd.Series, month: str) -> bool:
    """True when ``month``'s unrounded value is the highest of the series so far.

    The rule behind "the highest level ever" (headlines and chapter texts): the month must have
    a figure, equal the series maximum, and there must be an earlier month to beat (one month
    of data is no record).

    Parameters
    ----------
    s : Series
        An unrounded monthly series (:func:`series`), up to the month compared.
    month : str
        The month ``YYYY-MM`` whose value is tested.
    """
    return bool(len(s) > 1 and month in s.index and s[month] == s.max())
