"""Texts of the Children benefiting chapter: T4."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common
from cms_stats.months import add_months, month_words


def _sample_month(ch) -> str:
    """The latest sample month on or before the period (from ``extract.json``, else the latest
    March or September, the months the sample is drawn)."""
    sample_months = [m for m in (ch.extract.get("sample_months") or []) if m <= ch.period]
    if sample_months:
        return sample_months[-1]
    month = ch.period
    while int(month[5:7]) not in (3, 9):
        month = add_months(month, -1)
    return month


def _children_change(ch) -> str:
    """The change on the quarter three months before; none when either estimate is withheld."""
    for month in (ch.period, ch.month(3)):
        text = ch.shown("children_benefiting", month, breakdown="estimate", table="T4")
        if fmt.is_symbol(text):
            return (f"no comparison with the quarter to {month_words(ch.month(3))}: an estimate "
                    f"is {fmt.withheld(text)}")
    return fmt.change_phrase(ch.change("children_benefiting", breakdown="estimate", table="T4"),
                             ch.month(3)).replace(" from ", " from the quarter to ", 1)


def children(ch) -> dict[str, str]:
    """Children benefiting; the latest sample's mean and interval, and the quarter's estimate
    (or why the folder gives none for the period)."""
    out = common(ch)
    reason = ch.not_available("T4")
    if reason:
        # No estimate (a partial quarter, no sample yet): say why, quote no sample.
        na = fmt.SYMBOL_NOT_AVAILABLE
        out.update({k: na for k in ("children_sample_size", "children_mean")})
        out.update({"children_sample_label": na,
                    "children_findings": f"{reason} There is no estimate of the children "
                                         f"benefiting in the quarter to {ch.label}.",
                    "children_sample_findings": "The estimate needs a children sample and the "
                                                "cases paying in a whole quarter; see the "
                                                "Methodology for how it is made."})
        return out
    sample = _sample_month(ch)
    population = ch.value("sample_population", table="T4")
    out.update({
        "children_estimate": ch.shown("children_benefiting", breakdown="estimate", table="T4"),
        "children_lower": ch.shown("children_benefiting", breakdown="lower_95", table="T4"),
        "children_upper": ch.shown("children_benefiting", breakdown="upper_95", table="T4"),
        "children_change": _children_change(ch),
        "children_cases_paying": ch.shown("cases_paying", table="T4"),
        "children_mean": ch.shown("mean_children_per_case", breakdown="estimate", table="T4"),
        "children_mean_lower": ch.shown("mean_children_per_case", breakdown="lower_95", table="T4"),
        "children_mean_upper": ch.shown("mean_children_per_case", breakdown="upper_95", table="T4"),
        "children_sample_size": ch.shown("sample_size", table="T4"),
        "children_sample_label": month_words(sample),
        "children_sample_fraction": (
            fmt.fmt_share(ch.value("sample_size", table="T4") / population) if population
            else fmt.SYMBOL_NOT_AVAILABLE),
        "children_sample_lower": ch.shown("children_benefiting", sample, "lower_95", table="T4"),
        "children_sample_upper": ch.shown("children_benefiting", sample, "upper_95", table="T4"),
    })
    out["children_findings"] = (
        f"In the quarter to {ch.label}, **{out['children_estimate']} children** are estimated to "
        f"have benefited from maintenance, {out['children_change']}. We are 95% confident that "
        f"the number lies between {out['children_lower']} and {out['children_upper']}.")
    out["children_sample_findings"] = (
        f"The most recent sample was drawn in {out['children_sample_label']}: "
        f"{out['children_sample_size']} cases, about {out['children_sample_fraction']} of the "
        "cases with a positive liability. The average number of children per case was "
        f"{out['children_mean']} (95% confidence interval {out['children_mean_lower']} to "
        f"{out['children_mean_upper']}). In the quarter to {out['children_sample_label']} we were "
        "95% confident that the number of children benefiting lay between "
        f"{out['children_sample_lower']} and {out['children_sample_upper']}. "
        f"{out['children_cases_paying']} cases were paying in the quarter to {ch.label}.")
    return out
