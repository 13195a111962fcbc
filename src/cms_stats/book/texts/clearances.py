"""Texts of the Clearances chapter: T16 (new applications cleared, uncleared and time to clear;
first published in the August 2016 edition)."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common
from cms_stats.months import month_words
from cms_stats.registry import load_registry

T16 = "T16"


def _figures(ch, *names: tuple[str, str]) -> list[str]:
    return [ch.shown(measure, breakdown=breakdown, table=T16) for measure, breakdown in names]


def clearances(ch) -> dict[str, str]:
    """Clearances in the period month, the work in progress at its end and the time to clear;
    in an edition before T16's first, which edition first publishes it; when the folder cannot
    give it, why."""
    out = common(ch)
    spec = load_registry().table(T16)
    if not spec.in_edition(ch.period):
        out.update({
            "clearances_intro": (
                f"Applications cleared, uncleared and the time to clear them are published "
                f"from the edition of {month_words(spec.first_edition)}. This edition covers the "
                f"months to {ch.label}."),
            "clearances_findings": "", "clearances_time_findings": ""})
        return out
    reason = ch.not_applicable(T16)
    out["clearances_intro"] = (
        "This chapter shows how many new applications are cleared each month, how many are "
        "waiting at the end of the month and how long applications take to clear.")
    if reason:
        out.update({"clearances_findings": reason, "clearances_time_findings": reason})
        return out
    out["clearances_findings"] = cleared_findings(ch)
    out["clearances_time_findings"] = time_findings(ch)
    return out


def cleared_findings(ch) -> str:
    """Applications cleared in the month, by how, and uncleared at its end, by age."""
    cleared, calculated, closed = _figures(
        ch, ("applications_cleared", "all"), ("applications_cleared", "calculation_made"),
        ("applications_cleared", "closed_without_calculation"))
    uncleared, young, old = _figures(
        ch, ("applications_uncleared", "all"), ("applications_uncleared", "under_6_weeks"),
        ("applications_uncleared", "26_weeks_or_more"))
    if fmt.is_symbol(cleared):
        first = f"The number of new applications cleared in {ch.label} is {fmt.withheld(cleared)}."
    elif fmt.is_symbol(calculated) or fmt.is_symbol(closed):
        symbol = calculated if fmt.is_symbol(calculated) else closed
        first = (f"In {ch.label}, {cleared} new applications were cleared; the split by how they "
                 f"were cleared is {fmt.withheld(symbol)}.")
    else:
        first = (f"In {ch.label}, {cleared} new applications were cleared: {calculated} with a "
                 f"maintenance calculation made and {closed} closed without a calculation.")
    if fmt.is_symbol(uncleared):
        return first + (f" The number uncleared at the end of the month is "
                        f"{fmt.withheld(uncleared)}.")
    change = fmt.change_phrase(ch.change("applications_uncleared", table=T16), ch.month(3))
    second = (f" At the end of {ch.label}, {uncleared} new applications were uncleared, "
              f"{change}")
    if fmt.is_symbol(young) or fmt.is_symbol(old):
        symbol = young if fmt.is_symbol(young) else old
        return first + second + f"; their split by age is {fmt.withheld(symbol)}."
    return (first + second + f": {young} had been waiting under 6 weeks and {old} for 26 weeks "
            "or more.")


def time_findings(ch) -> str:
    """The time to clear the applications cleared in the month: the shares within 6, 12 and
    26 weeks and the median."""
    six, twelve, twenty_six, median = _figures(
        ch, ("cleared_within_6_weeks_share", "all"), ("cleared_within_12_weeks_share", "all"),
        ("cleared_within_26_weeks_share", "all"), ("median_days_to_clear", "all"))
    shares = [six, twelve, twenty_six]
    if any(fmt.is_symbol(s) for s in shares):
        symbol = next(s for s in shares if fmt.is_symbol(s))
        out = (f"The shares of new applications cleared in {ch.label} within 6, 12 and 26 weeks "
               f"are {fmt.withheld(symbol)}.")
    else:
        out = (f"Of the new applications cleared in {ch.label}, {six} were cleared within 6 "
               f"weeks, {twelve} within 12 weeks and {twenty_six} within 26 weeks.")
    if fmt.is_symbol(median):
        return out + f" The median time to clear is {fmt.withheld(median)}."
    return out + f" The median time to clear was {median} days."
