"""The words of a chart: its title and the trend its text alternative describes, in the figures
the tables publish.

A figure the tables withhold (``[c]``, ``[low]``, ...: a small count, a complement, a share of
a withheld count) is withheld here too: it is not drawn (the chart module masks it), not quoted,
not ranked (never "the highest" or "the lowest" month) and no change is computed from it.
"""

from __future__ import annotations

import math

import pandas as pd

from cms_stats.book import format as fmt
from cms_stats.book.values import shown
from cms_stats.months import add_months, month_words

__all__ = ["figure_text", "withheld_months", "span_title", "growth_title", "trend"]


def figure_text(spec: dict, ref: dict, measures, month: str, policy, published,
                long_money: bool = False) -> str:
    """The figure of series ``ref`` at ``month`` as the tables publish it."""
    return shown(measures, ref["measure"], month, policy, breakdown=ref.get("breakdown", "all"),
                 table=ref.get("table", spec["table"]), long_money=long_money,
                 published_frame=published)


def withheld_months(spec: dict, ref: dict, published: pd.DataFrame | None) -> set[str]:
    """The months whose figure of series ``ref`` the tables publish as a symbol."""
    if published is None:
        return set()
    hit = published[(published["table"] == ref.get("table", spec["table"]))
                    & (published["measure"] == ref["measure"])
                    & (published["breakdown"] == ref.get("breakdown", "all"))]
    return set(hit.loc[hit["value"].astype(str).str.startswith("["), "period"])


def growth_title(what: str, s: pd.Series, period: str, back: int = 3) -> str:
    """'<what> has grown by 19% since May 2016' from unrounded values (``s`` masked: NaN where
    withheld; no change is given from a withheld figure)."""
    since = add_months(period, -back)
    now, before = (float(s.get(m, math.nan)) for m in (period, since))
    if math.isnan(now) or math.isnan(before) or before == 0:
        return f"{what} in {month_words(period)}"
    change = now / before - 1
    size = fmt.fmt_percent_change(change)
    if float(size.rstrip("%")) == 0:
        return f"{what} was little changed from {month_words(since)}"
    return f"{what} has {'grown' if change > 0 else 'fallen'} by {size} since {month_words(since)}"


def span_title(title: dict, s: pd.Series, spec: dict, measures, policy, published,
               period: str) -> str:
    """'<what> has grown from 200 in August 2013 to 6,900 in August 2016': the message of the
    span drawn, from its first month published as a number (``s`` masked) to the period. When
    the period is withheld, or only one month is published, the title names the period."""
    s = s.dropna()
    if period not in s.index or len(s) < 2:
        return growth_title(title["growth"], s, period)
    first = s.index[0]
    ends = [figure_text(spec, title, measures, m, policy, published) for m in (first, period)]
    verb = ("grown" if s[period] > s[first] else "fallen" if s[period] < s[first]
            else "stayed the same")
    return (f"{title['growth']} has {verb} from {ends[0]} in {month_words(first)} to "
            f"{ends[1]} in {month_words(period)}")


def trend(spec: dict, ref: dict, label: str, s: pd.Series, measures, policy, published) -> str:
    """The trend of series ``ref`` (masked) for the text alternative: where it started and
    ended among the months published as numbers and, between, its highest and lowest."""
    s = s.dropna()
    if len(s) < 3 or ref.get("complement"):
        return ""
    first, last = s.index[0], s.index[-1]

    def text(month: str) -> str:
        return figure_text(spec, ref, measures, month, policy, published)

    def at(month: str) -> str:
        return f"{text(month)} in {month_words(month)}"

    if text(first) == text(last):
        out = f"Over the months shown, {label} was {at(first)} and {at(last)}"
    else:
        out = (f"Over the months shown, {label} {'rose' if s[last] > s[first] else 'fell'} "
               f"from {at(first)} to {at(last)}")
    extremes = [f"highest {at(s.idxmax())}"] if s.idxmax() not in (first, last) else []
    extremes += [f"lowest {at(s.idxmin())}"] if s.idxmin() not in (first, last) else []
    return out + (f" ({' and '.join(extremes)})" if extremes else "") + "."
