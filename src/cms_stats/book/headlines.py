"""Headlines of an edition, generated from the measures in the edition's own style.

Each headline is computed: the latest value is published by the rounding policy, the change on
the quarter (against the month three months earlier) is computed from *unrounded* values and
then formatted (relative change for counts and money, percentage points for shares). For
example::

    Caseload stood at 338,900 as of the end of August 2016, an increase of 19% from May 2016.
    Outstanding maintenance arrears were £77.5m in August 2016, 22% higher than the May 2016 figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from cms_stats.book import format as fmt
from cms_stats.book.values import is_highest_ever, series, shown as _shown_value, unit_of
from cms_stats.months import add_months, month_words

__all__ = ["Headline", "headlines", "quarter_changes", "QUARTER_CHANGE_MEASURES"]

#: Months back to the comparison month: the edition compares with the previous quarter end.
QUARTER = 3


@dataclass(frozen=True)
class Headline:
    """One generated headline.

    Attributes
    ----------
    key : str
        Stable identifier (``caseload``, ``outstanding_arrears`` ...), also used as glue name.
    text : str
        The sentence, with published (rounded) figures.
    value : float
        Latest unrounded value the headline reports.
    shown : str
        Latest value as published (``"338,900"``, ``"£77.5m"``, ``"88%"``).
    month : str
        Month of the value (the period, or the month before it for changes of circumstances).
    compare_month : str
        Month compared with (three months earlier).
    previous : float
        Unrounded value in the comparison month (NaN when absent).
    change : float
        Relative change (counts, money) or difference in share (shares), unrounded.
    change_kind : str
        ``"relative"`` or ``"points"``.
    table, measure : str
        Where the figure comes from.
    """

    key: str
    text: str
    value: float
    shown: str
    month: str
    compare_month: str
    previous: float
    change: float
    change_kind: str
    table: str
    measure: str
    breakdown: str = "all"


def shown(published, *args, **kwargs):
    """The published text of a figure, read from the published frame when given."""
    return _shown_value(*args, published_frame=published, **kwargs)


def _pair(measures, measure, month, breakdown="all", table=None):
    s = series(measures, measure, breakdown, table)
    compare = add_months(month, -QUARTER)
    now = float(s.get(month, math.nan))
    before = float(s.get(compare, math.nan))
    return now, before, compare, s


def _relative(now: float, before: float) -> float:
    if math.isnan(now) or math.isnan(before) or before == 0:
        return math.nan
    return now / before - 1


def _higher_lower(change: float, compare: str) -> str:
    """'22% higher than the May 2016 figure' (the edition's arrears wording)."""
    if math.isnan(change):
        return f"no {month_words(compare)} figure is available for comparison"
    size = fmt.fmt_percent_change(change)
    if float(size.rstrip("%")) == 0:
        return f"little changed from the {month_words(compare)} figure"
    return f"{size} {'higher' if change > 0 else 'lower'} than the {month_words(compare)} figure"


def _make(key, text, now, shown_now, month, compare, before, change, kind, table, measure):
    return Headline(key=key, text=text, value=now, shown=shown_now, month=month,
                    compare_month=compare, previous=before, change=change, change_kind=kind,
                    table=table, measure=measure)


def _caseload(measures, period, policy, published=None):
    now, before, compare, _ = _pair(measures, "caseload", period, table="T2")
    change = _relative(now, before)
    v = shown(published, measures, "caseload", period, policy, table="T2")
    text = (f"Caseload stood at {v} as of the end of {month_words(period)}, "
            f"{fmt.change_phrase(change, compare)}.")
    return _make("caseload", text, now, v, period, compare, before, change, "relative", "T2", "caseload")


def _arrears(measures, period, policy, published=None):
    now, before, compare, _ = _pair(measures, "outstanding_arrears", period, table="T8")
    change = _relative(now, before)
    v = shown(published, measures, "outstanding_arrears", period, policy, table="T8")
    text = (f"Outstanding maintenance arrears were {v} in {month_words(period)}, "
            f"{_higher_lower(change, compare)}.")
    return _make("outstanding_arrears", text, now, v, period, compare, before, change, "relative",
                 "T8", "outstanding_arrears")


def _intake(measures, period, policy, published=None):
    now, before, compare, _ = _pair(measures, "total_intake", period, table="T1")
    change = _relative(now, before)
    v = shown(published, measures, "total_intake", period, policy, table="T1")
    text = (f"Total intake was {v} in {month_words(period)}, "
            f"{fmt.change_phrase(change, compare)}.")
    return _make("total_intake", text, now, v, period, compare, before, change, "relative", "T1",
                 "total_intake")


def _changes_of_circumstances(measures, period, policy, published=None):
    received = series(measures, "changes_of_circumstances_received", table="T9", upto=period)
    share = series(measures, "cleared_within_28_days_share", table="T9", upto=period)
    if share.empty:
        return None
    month = share.index[-1]  # published to the month before the period (28 days must pass)
    compare = add_months(month, -QUARTER)
    now, before = float(share[month]), float(share.get(compare, math.nan))
    diff = now - before if not math.isnan(before) else math.nan
    v_received = shown(published, measures, "changes_of_circumstances_received", month, policy, table="T9")
    v_share = shown(published, measures, "cleared_within_28_days_share", month, policy, table="T9")
    highest = is_highest_ever(received, month)
    was = (shown(published, measures, "cleared_within_28_days_share", compare, policy, table="T9")
           if not math.isnan(before) else None)
    if fmt.is_symbol(v_share) or fmt.is_symbol(was):
        trend = f"not compared with {month_words(compare)}: a figure is withheld ([c] or [low])"
    elif math.isnan(diff):
        trend = f"no {month_words(compare)} figure is available for comparison"
    elif fmt.whole_points(diff) == 0 and was == v_share:
        trend = f"unchanged from {was} in {month_words(compare)}"
    else:
        trend = f"{'an increase' if diff > 0 else 'a decrease'} from {was} in {month_words(compare)}"
    text = (f"Changes of circumstances received in {month_words(month)} were {v_received}"
            f"{', the highest level ever' if highest else ''}; {v_share} were cleared within "
            f"28 days, {trend}.")
    return _make("changes_of_circumstances", text, now, v_share, month, compare, before, diff,
                 "points", "T9", "cleared_within_28_days_share")


def _compliance(measures, period, policy, published=None):
    now, before, compare, _ = _pair(measures, "case_groups_contributing_share", period, table="T5")
    diff = now - before
    v = shown(published, measures, "case_groups_contributing_share", period, policy, table="T5")
    was = shown(published, measures, "case_groups_contributing_share", compare, policy, table="T5") if not math.isnan(before) else None
    cash = shown(published, measures, "cash_paid_share", period, policy, table="T6")
    text = (f"In the quarter to {month_words(period)}, {v} of case groups with a current "
            f"liability were contributing towards it, "
            f"{fmt.pp_change_phrase(diff, compare, was, quarter=True, current_text=v)}; {cash} of cash due was paid.")
    return _make("compliance", text, now, v, period, compare, before, diff, "points", "T5",
                 "case_groups_contributing_share")


def _children(measures, period, policy, published=None):
    now, before, compare, _ = _pair(measures, "children_benefiting", period, "estimate", table="T4")
    change = _relative(now, before)
    v = shown(published, measures, "children_benefiting", period, policy, "estimate", table="T4")
    lo = shown(published, measures, "children_benefiting", period, policy, "lower_95", table="T4")
    hi = shown(published, measures, "children_benefiting", period, policy, "upper_95", table="T4")
    was = shown(published, measures, "children_benefiting", compare, policy, "estimate", table="T4") \
        if not math.isnan(before) else None
    withheld = next((t for t in (v, was) if fmt.is_symbol(t)), None)
    trend = (f"no comparison with the quarter to {month_words(compare)}: an estimate is "
             f"{fmt.withheld(withheld)}" if withheld else
             fmt.change_phrase(change, compare).replace(' from ', ' from the quarter to ', 1))
    text = (f"In the quarter to {month_words(period)}, an estimated {v} children benefited "
            f"from maintenance (95% confidence interval {lo} to {hi}), {trend}.")
    return replace(
        _make("children_benefiting", text, now, v, period, compare, before, change, "relative",
              "T4", "children_benefiting"), breakdown="estimate")


def _accuracy(measures, period, policy, published=None):
    now, before, compare, _ = _pair(measures, "accuracy_share", period, table="T14")
    diff = now - before
    v = shown(published, measures, "accuracy_share", period, policy, table="T14")
    was = shown(published, measures, "accuracy_share", compare, policy, table="T14") if not math.isnan(before) else None
    text = (f"Accuracy was {v} in {month_words(period)} (checked calculations within £1 or "
            f"2% of the correct amount), {fmt.pp_change_phrase(diff, compare, was, current_text=v)}.")
    return _make("accuracy", text, now, v, period, compare, before, diff, "points", "T14",
                 "accuracy_share")


_BUILDERS = (_caseload, _arrears, _changes_of_circumstances, _intake, _compliance, _children,
             _accuracy)


def headlines(measures: pd.DataFrame, period: str, policy,
              published: pd.DataFrame | None = None) -> list[Headline]:
    """The edition's headlines, in the edition's order, from the unrounded measures.

    Parameters
    ----------
    measures : DataFrame
        Tidy unrounded measures (``table, period, measure, breakdown, value, unit``).
    period : str
        The reference month ``YYYY-MM``.
    policy : cms_stats.publish.Policy
        The publication policy used to round every figure shown.
    published : DataFrame, optional
        The published tidy frame (after revisions); figures are read from it when present.

    Returns
    -------
    list of Headline
        Caseload, outstanding arrears, changes of circumstances, total intake, compliance,
        children benefiting, accuracy; a headline whose measure is absent is left out.
    """
    out = []
    for build in _BUILDERS:
        try:
            headline = build(measures, period, policy, published)
        except KeyError:  # measure not in this frame (e.g. a partial fixture)
            continue
        if headline is not None:
            out.append(headline)
    return out


#: (table, measure, breakdown) of the changes-on-the-quarter table, in publication order.
QUARTER_CHANGE_MEASURES = (
    ("T1", "total_intake", "all"),
    ("T1", "new_applications", "all"),
    ("T1", "arrears_only_applications", "all"),
    ("T2", "caseload", "all"),
    ("T3", "fee_exemption_share", "all"),
    ("T4", "children_benefiting", "estimate"),
    ("T5", "case_groups_contributing_share", "all"),
    ("T6", "cash_paid_share", "all"),
    ("T7", "direct_pay_share", "all"),
    ("T8", "outstanding_arrears", "all"),
    ("T8", "total_maintenance_liability", "all"),
    ("T8", "arrears_share_of_liability", "all"),
    ("T9", "changes_of_circumstances_received", "all"),
    ("T9", "cleared_within_28_days_share", "all"),
    ("T10", "mandatory_reconsiderations_received", "all"),
    ("T10", "cleared_within_20_days_share", "all"),
    ("T11", "appeals_received", "all"),
    ("T12", "complaints_received", "all"),
    ("T13", "calls_answered_share", "all"),
    ("T13", "calls_answered_within_30_seconds_share", "all"),
    ("T14", "accuracy_share", "all"),
)


def quarter_changes(measures: pd.DataFrame, period: str, policy, labels: dict | None = None,
                    published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The changes on the quarter: latest published value, three months earlier, and change.

    Changes are computed from unrounded values: relative change for counts and money, the
    difference in percentage points for shares. Changes of circumstances (T9) are published to
    the month before the period, so their latest month is the latest available.

    Parameters
    ----------
    labels : dict, optional
        ``(table, measure) -> label``; defaults to the measure names.

    Returns
    -------
    DataFrame
        Columns ``Measure``, ``Table``, ``Latest month``, ``Latest``, ``Three months earlier``,
        ``Change`` (text such as ``"+19%"`` or ``"-1 pp"``; the symbol of a withheld figure
        when either figure is withheld, ``[c]`` or ``[low]``).
    """
    rows = []
    for table, measure, breakdown in QUARTER_CHANGE_MEASURES:
        try:
            s = series(measures, measure, breakdown, table, upto=period)
        except KeyError:
            continue
        if s.empty:
            continue
        month = s.index[-1]
        compare = add_months(month, -QUARTER)
        now, before = float(s[month]), float(s.get(compare, math.nan))
        unit = unit_of(measures, measure, breakdown, table)
        if math.isnan(before):
            change = fmt.SYMBOL_NOT_AVAILABLE
        elif unit == "share":
            diff = now - before
            points = fmt.whole_points(diff)
            change = "0 pp" if points == 0 else f"{'+' if diff > 0 else '-'}{points} pp"
        else:
            rel = _relative(now, before)
            size = fmt.fmt_percent_change(rel) if not math.isnan(rel) else fmt.SYMBOL_NOT_AVAILABLE
            change = size if size.startswith("[") or float(size.rstrip("%")) == 0 else (
                f"{'+' if rel > 0 else '-'}{size}")
        label = (labels or {}).get((table, measure), measure.replace("_", " ").capitalize())
        latest = shown(published, measures, measure, month, policy, breakdown, table)
        earlier = (shown(published, measures, measure, compare, policy, breakdown, table)
                   if not math.isnan(before) else fmt.SYMBOL_NOT_AVAILABLE)
        withheld = [t for t in (latest, earlier) if fmt.is_symbol(t) and t != fmt.SYMBOL_NOT_AVAILABLE]
        if withheld:  # never a change computed from a withheld figure: it would give it away
            change = withheld[0]
        rows.append({
            "Measure": label,
            "Table": table,
            "Latest month": month_words(month),
            "Latest": latest,
            "Three months earlier": earlier,
            "Change": change,
        })
    return pd.DataFrame(rows, columns=["Measure", "Table", "Latest month", "Latest",
                                       "Three months earlier", "Change"])
