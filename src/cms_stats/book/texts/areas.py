"""Texts of the Areas chapter: T21 (country and English region) and T22 (constituency)."""

from __future__ import annotations

from cms_stats import areas as area_data
from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common, edition_note, listing
from cms_stats.publish.rounding import to_number
from cms_stats.registry import load_registry


def areas(ch) -> dict[str, str]:
    """The caseload by country and region at the period, and what the constituency map shows
    (or why the folder gives no areas)."""
    out = common(ch)
    out["areas_edition_note"] = edition_note(ch, "T21", "Figures by area")
    out["areas_countries_findings"] = countries_findings(ch)
    out["areas_regions_findings"] = regions_findings(ch)
    return out


def countries_findings(ch) -> str:
    """T21: the caseload of Great Britain and of each country at the period."""
    if not load_registry().table("T21").in_edition(ch.period):
        return ""
    reason = ch.not_available("T21", "caseload")
    if reason:
        return f"{reason} There are no figures by area for {ch.label}."
    total = ch.shown("caseload", table="T21")
    parts = []
    for key, name in area_data.countries().items():
        text = ch.shown("caseload", breakdown=key, table="T21")
        parts.append(f"{name} {fmt.withheld(text) if fmt.is_symbol(text) else text}")
    unknown = ch.shown("caseload", breakdown=area_data.NOT_KNOWN, table="T21")
    out = (f"At the end of {ch.label}, **{total} cases** were on the 2012 Scheme in Great "
           f"Britain: {listing(parts)}.")
    if unknown == "0":
        return out + " The paying parent's constituency was known for every case."
    if fmt.is_symbol(unknown):
        return out + (" The number of cases whose paying parent's constituency was not known is "
                      f"{fmt.withheld(unknown)}.")
    return out + f" For {unknown} cases the paying parent's constituency was not known."


def _the(region: str) -> str:
    """A region's name as it reads in a sentence ("the North East", "London")."""
    return region if region in ("London", "Yorkshire and The Humber") else f"the {region}"


def regions_findings(ch) -> str:
    """T21: the English regions with the largest and smallest caseload at the period."""
    if not load_registry().table("T21").in_edition(ch.period) or ch.not_available("T21", "caseload"):
        return ""
    shown = {}
    for key, name in area_data.regions().items():
        if area_data.country_of_region(key) == "england":
            text = ch.shown("caseload", breakdown=key, table="T21")
            if not fmt.is_symbol(text):  # ranked by the published figures only (rounded:
                shown[name] = (to_number(text.replace(",", "")), text)  # order below: untold)
    if not shown:
        return ""
    top = max(shown, key=lambda k: (shown[k][0], k))
    low = min(shown, key=lambda k: (shown[k][0], k))
    return (f"Among England's regions, the caseload was largest in {_the(top)} "
            f"({shown[top][1]}) and smallest in {_the(low)} ({shown[low][1]}). The map shows the caseload of each of the "
            f"{len(area_data.constituencies())} constituencies for the number of people living "
            "there.")
