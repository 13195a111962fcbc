"""Texts of the Children benefiting chapter: T4, and shared care T18."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common
from cms_stats.months import add_months, month_words
from cms_stats.registry import load_registry

#: T18's bands of nights, as a sentence names them.
BAND_WORDS = {"nights_52_to_103": "52 to 103", "nights_104_to_155": "104 to 155",
              "nights_156_to_174": "156 to 174", "nights_175_or_more": "175 or more"}


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
    out["children_shared_care_findings"] = shared_care_findings(ch)
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


def shared_care_findings(ch) -> str:
    """T18: cases due to pay with a shared-care reduction at the month end, by band of nights
    (no text in an edition before T18's first, where the table is absent)."""
    if not load_registry().table("T18").in_edition(ch.period):
        return ""
    reason = ch.not_available("T18")
    if reason:
        return f"{reason} There are no shared care figures for {ch.label}."
    if not ch.measures["table"].eq("T18").any():  # a chapter that does not show it (Methodology)
        return ""
    total = ch.shown("shared_care_cases", table="T18")
    if fmt.is_symbol(total):
        return (f"The number of cases with a shared-care reduction at the end of {ch.label} is "
                f"{fmt.withheld(total)}.")
    share = ch.shown("shared_care_share", table="T18")
    due = ch.shown("cases_due_to_pay", table="T18")
    out = f"At the end of {ch.label}, **{total} of the {due} cases due to pay"
    out += f" ({share})**" if not fmt.is_symbol(share) else "**"
    out += " had a shared-care reduction in their calculation"
    bands = {b: ch.shown("shared_care_cases", breakdown=b, table="T18") for b in BAND_WORDS}
    symbols = [t for t in bands.values() if fmt.is_symbol(t)]
    if symbols:
        return out + f"; the split by nights of shared care is {fmt.withheld(symbols[0])}."
    parts = [f"{bands[b]} with {words}" for b, words in BAND_WORDS.items()]
    return (out + ": " + ", ".join(parts[:-1]) + " and " + parts[-1]
            + " nights a year with the paying parent.")
