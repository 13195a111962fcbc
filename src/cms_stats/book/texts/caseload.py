"""Texts of the Caseload chapter: T2 and closures T17 (first published in the August 2016
edition)."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common
from cms_stats.months import month_words
from cms_stats.registry import load_registry


def caseload(ch) -> dict[str, str]:
    """Caseload at the end of the period month by origin, on the quarter and on the year."""
    out = common(ch)
    out.update({
        "caseload_latest": ch.shown("caseload", table="T2"),
        "caseload_new": ch.shown("caseload", breakdown="new_application", table="T2"),
        "caseload_arrears_only": ch.shown("caseload", breakdown="arrears_only", table="T2"),
        "caseload_change": fmt.change_phrase(ch.change("caseload", table="T2"), ch.month(3)),
        "caseload_year_change": fmt.change_phrase(ch.change("caseload", back=12, table="T2"),
                                                  ch.month(12)),
        "caseload_arrears_only_share": fmt.fmt_share(
            ch.value("caseload", breakdown="arrears_only", table="T2")
            / ch.value("caseload", table="T2")),
        "caseload_closures_findings": closures_findings(ch),
    })
    return out


def closures_findings(ch) -> str:
    """T17: cases closed in the period month, their share of the caseload and the main reasons
    (no text in an edition before T17's first, where the table is absent)."""
    if not load_registry().table("T17").in_edition(ch.period):
        return ""
    reason = ch.not_applicable("T17")
    if reason:
        return reason
    closed = ch.shown("cases_closed", table="T17")
    if fmt.is_symbol(closed):
        return f"The number of cases closed in {ch.label} is {fmt.withheld(closed)}."
    share = ch.shown("closures_share", table="T17")
    out = f"In {ch.label}, {closed} cases closed"
    if not fmt.is_symbol(share):
        out += f", {share} of the caseload at the end of {month_words(ch.month(1))}"
    why = ch.not_applicable("T17", "cases_closed_by_reason")
    if why:
        return out + f". {why}"
    parts = {b: ch.shown("cases_closed_by_reason", breakdown=b, table="T17")
             for b in ("applicant_withdraws", "no_further_liability", "family_based_arrangement")}
    if any(fmt.is_symbol(v) for v in parts.values()):
        symbol = next(v for v in parts.values() if fmt.is_symbol(v))
        return out + f"; the split by reason is {fmt.withheld(symbol)}."
    return (out + f": {parts['applicant_withdraws']} because the applicant withdrew, "
            f"{parts['no_further_liability']} with no further liability and "
            f"{parts['family_based_arrangement']} after the parents made a family-based "
            "arrangement.")
