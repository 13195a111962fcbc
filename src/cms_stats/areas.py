"""The areas of the geography tables: Westminster constituencies (2010 boundaries) of Great
Britain, in English regions, Wales and Scotland, in countries.

Loaded once from ``resources/areas.csv`` (every lookup is cached: treat what it returns as
read-only) (derived from the Open Innovations hexmaps file; its
licence is ``resources/areas.NOTICE.txt``, shipped beside it). The hierarchy is additive:
constituency -> region (the 9 English regions; Wales and Scotland are each their own region) ->
country (England, Wales, Scotland) -> Great Britain. Breakdown names are lower case: a
constituency is its ONS code (``e14000530``), a region or country its name in snake case
(``north_east``, ``wales``), Great Britain is ``all`` and a case whose constituency is not known
is ``not_known``.

>>> len(constituencies())
632
>>> region_of("E14000530"), country_of_region("london")
('south_east', 'england')
"""

from __future__ import annotations

import functools

import pandas as pd

from cms_stats import paths
from cms_stats.relations import Relation, Term

__all__ = ["AREAS_FILE", "CONSTITUENCIES_IN_WORDS", "AREAS_NOTICE", "NOT_KNOWN", "constituencies", "constituency_codes",
           "region_of", "regions", "countries", "country_of_region", "area_breakdowns",
           "constituency_breakdowns", "constituency_key", "BREAKDOWNS_FROM", "hierarchy_relations"]

AREAS_FILE = paths.RESOURCES_DIR / "areas.csv"
AREAS_NOTICE = paths.RESOURCES_DIR / "areas.NOTICE.txt"
#: The allowed constituency codes of the data contract, in words (632 are too many to list).
CONSTITUENCIES_IN_WORDS = ("the ONS code of one of the 632 Westminster parliamentary constituencies "
                           "of Great Britain, 2010 boundaries (`E14…`, `W07…`, `S14…`; listed in "
                           "`src/cms_stats/resources/areas.csv`, which gives each its region "
                           "(`region_code`: England's nine; Wales and Scotland are their own) and "
                           "country (`country_code`): the areas of Tables 21 and 22)")
#: The breakdown of cases whose constituency is not known (no code in the snapshot).
NOT_KNOWN = "not_known"
_INT_COLUMNS = ("hex_q", "hex_r", "electorate", "population")


@functools.cache
def constituencies() -> pd.DataFrame:
    """The 632 constituencies of Great Britain, in ONS code order.

    Returns
    -------
    DataFrame
        ``constituency_code`` (ONS, e.g. ``E14000530``), ``constituency_name``, ``region``
        (snake-case name), ``region_code``, ``region_name``, ``country``, ``country_code``,
        ``country_name``, ``hex_q``, ``hex_r`` (odd-r hex cartogram), ``electorate``,
        ``population`` (as in the hexmaps file). Read-only: copy before changing it.
    """
    frame = pd.read_csv(AREAS_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.astype({c: "int64" for c in _INT_COLUMNS})


@functools.cache
def constituency_codes() -> frozenset[str]:
    """The ONS codes of the 632 constituencies (the contract's allowed values)."""
    return frozenset(constituencies()["constituency_code"])


def constituency_key(code: str) -> str:
    """The breakdown name of a constituency: its ONS code in lower case."""
    return code.lower()


@functools.cache
def _region_table() -> pd.DataFrame:
    return (constituencies()[["region", "region_code", "region_name", "country", "country_code",
                              "country_name"]]
            .drop_duplicates().sort_values("region_code").reset_index(drop=True))


@functools.cache
def _regions_by_code() -> dict[str, str]:
    return dict(zip(constituencies()["constituency_code"], constituencies()["region"]))


def region_of(code: str) -> str:
    """The region (breakdown name) of the constituency with ONS ``code``."""
    return _regions_by_code()[code]


@functools.cache
def regions() -> dict[str, str]:
    """Region breakdown name -> name, in ONS code order (9 English regions, Scotland, Wales)."""
    t = _region_table()
    return dict(zip(t["region"], t["region_name"]))


@functools.cache
def countries() -> dict[str, str]:
    """Country breakdown name -> name, in the publication's order: England, Wales, Scotland."""
    t = _region_table().drop_duplicates("country")
    names = dict(zip(t["country"], t["country_name"]))
    return {k: names[k] for k in ("england", "wales", "scotland")}


@functools.cache
def country_of_region(region: str) -> str:
    """The country (breakdown name) a region is in."""
    t = _region_table()
    return str(t.loc[t["region"] == region, "country"].iloc[0])


@functools.cache
def area_breakdowns() -> dict[str, str]:
    """The breakdowns of a table by country and region, in reading order: each country, then
    England's regions, then cases not known, then Great Britain (``all``)."""
    out = {k: v for k, v in countries().items()}
    out |= {k: v for k, v in regions().items() if country_of_region(k) == "england"}
    out[NOT_KNOWN] = "constituency not known"
    out["all"] = "Great Britain"
    return out


@functools.cache
def constituency_breakdowns() -> dict[str, str]:
    """The breakdowns of a table by constituency: lower-case ONS code -> name, in code order."""
    c = constituencies()
    return {constituency_key(code): name
            for code, name in zip(c["constituency_code"], c["constituency_name"])}


#: The area breakdowns a measure may declare (``breakdowns_from`` in the registry).
BREAKDOWNS_FROM = {"areas": area_breakdowns, "constituencies": constituency_breakdowns}


def hierarchy_relations(table: str, measure: str, breakdowns_from: str,
                        adds_up_to: Term | None = None) -> list[Relation]:
    """The additive relations of a measure broken down by area, for disclosure control.

    Parameters
    ----------
    table, measure : str
        The measure (its table id and name).
    breakdowns_from : str
        ``areas`` (countries, English regions, not known, ``all``): England's regions add up
        to England, and England, Wales, Scotland and not known add up to Great Britain;
        ``constituencies``: with ``adds_up_to``, the constituencies of each region (Wales and
        Scotland are regions) add up to that region's figure of the measure ``adds_up_to``.
    adds_up_to : Term, optional
        The measure by ``areas`` (e.g. ``T21.caseload``) the constituencies add up to.

    Returns
    -------
    list of Relation
    """
    def rel(lhs: Term, parts: list[Term], text: str) -> Relation:
        return Relation(table, lhs, "=", tuple(parts), text)

    if breakdowns_from == "areas":
        england = [r for r in regions() if country_of_region(r) == "england"]
        return [rel(Term(table, measure), [Term(table, measure, b) for b in (*countries(), NOT_KNOWN)],
                    f"{measure}: countries and not known add up to Great Britain"),
                rel(Term(table, measure, "england"), [Term(table, measure, r) for r in england],
                    f"{measure}: English regions add up to England")]
    if breakdowns_from == "constituencies" and adds_up_to is not None:
        c = constituencies()
        return [rel(Term(adds_up_to.table, adds_up_to.measure, region),
                    [Term(table, measure, constituency_key(code))
                     for code in c.loc[c["region"] == region, "constituency_code"]],
                    f"{measure}: constituencies of {name} add up to {adds_up_to.table}")
                for region, name in regions().items()]
    return []
