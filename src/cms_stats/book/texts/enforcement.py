"""Texts of the Enforcement chapter: T19, cases in enforcement and enforcement actions started."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common, edition_note, listing
from cms_stats.registry import load_registry

#: Each action type as counted in a sentence ("1,640 deduction from earnings orders").
ACTION_WORDS = {
    "deduction_from_earnings_order": "deduction from earnings orders",
    "regular_deduction_order": "regular deduction orders",
    "lump_sum_deduction_order": "lump sum deduction orders",
    "liability_order": "liability orders",
    "charging_order_or_order_for_sale": "charging orders or orders for sale",
    "disqualification": "disqualifications from driving or holding a passport",
    "committal_to_prison": "committals to prison",
}


def enforcement(ch) -> dict[str, str]:
    """Cases in enforcement at the end of the period and the actions started in it (or why the
    folder gives none)."""
    out = common(ch)
    out["enforcement_edition_note"] = edition_note(ch, "T19", "Enforcement figures")
    out["enforcement_cases_findings"] = cases_findings(ch)
    out["enforcement_actions_findings"] = actions_findings(ch)
    return out


def cases_findings(ch) -> str:
    """T19: cases in enforcement at the month end and their share of the caseload."""
    if not load_registry().table("T19").in_edition(ch.period):
        return ""  # absent from an edition before the table's first
    reason = ch.not_available("T19", "cases_in_enforcement")
    if reason:
        return f"{reason} There is no count of cases in enforcement for {ch.label}."
    cases = ch.shown("cases_in_enforcement", table="T19")
    share = ch.shown("cases_in_enforcement_share", table="T19")
    if fmt.is_symbol(cases):
        return f"The number of cases in enforcement at the end of {ch.label} is {fmt.withheld(cases)}."
    out = f"At the end of {ch.label}, **{cases} cases were in enforcement**"
    return out + (f", {share} of the caseload." if not fmt.is_symbol(share) else ".")


def actions_findings(ch) -> str:
    """T19: enforcement actions started in the month, by type; suppressed types named as such."""
    if not load_registry().table("T19").in_edition(ch.period):
        return ""  # absent from an edition before the table's first
    reason = ch.not_available("T19", "enforcement_actions_started")
    if reason:
        return f"{reason} There is no count of enforcement actions for {ch.label}."
    total = ch.shown("enforcement_actions_started", table="T19")
    if fmt.is_symbol(total):
        return (f"The number of enforcement actions started in {ch.label} is "
                f"{fmt.withheld(total)}.")
    shown, withheld = [], []
    for kind, words in ACTION_WORDS.items():
        text = ch.shown("enforcement_actions_started", breakdown=kind, table="T19")
        (withheld if fmt.is_symbol(text) else shown).append((text, words))
    out = f"In {ch.label}, {total} enforcement actions were started"
    if shown:
        out += ": " + listing([f"{text} {words}" for text, words in shown])
    if withheld:
        symbol = withheld[0][0]
        out += (f". The number of {listing([words for _, words in withheld])} is "
                f"{fmt.withheld(symbol)}")
    return out + "."
