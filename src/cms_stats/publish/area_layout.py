"""Sheets of the tables by area, laid out so a reader can use them.

The publication tables (:func:`cms_stats.publish.rounding.publication_tables`) have a row per
month and a column per breakdown: 632 constituencies would be 632 columns. A table whose
measures are broken down by area (``breakdowns_from`` in the registry) is written instead with
a row per area: with one measure (Table 22), one column per month published; with several
(Table 21), a row per month and area and one column per measure. Figures are unchanged: only
where they sit.
"""

from __future__ import annotations

import functools

import pandas as pd

from cms_stats import areas
from cms_stats.months import month_short
from cms_stats.publish.rounding import table_cells
from cms_stats.registry import load_registry

__all__ = ["is_by_area", "by_area_sheet", "EES_AREA_COLUMNS", "ees_geography"]


def is_by_area(table: str) -> bool:
    """Whether ``table`` is broken down by area (its measures declare ``breakdowns_from``)."""
    spec = load_registry().tables.get(table)
    return spec is not None and any(m.breakdowns_from for m in spec.measures.values())


def _area_columns(key: str) -> dict[str, str]:
    """The columns naming an area: name, ONS code and (constituencies) region."""
    if key in areas.constituency_breakdowns():
        code = key.upper()
        return {"Constituency": areas.constituency_breakdowns()[key], "ONS code": code,
                "Region or country": areas.regions()[areas.region_of(code)]}
    return {"Area": areas.area_breakdowns()[key]}


def by_area_sheet(wide: pd.DataFrame) -> pd.DataFrame:
    """The sheet of a table by area (see the module docstring) from its publication table.

    Parameters
    ----------
    wide : DataFrame
        From ``publication_tables``: a row per month, a column per measure and area, with
        ``attrs`` ``period_column`` and ``columns`` (header -> measure, breakdown, unit,
        decimals).

    Returns
    -------
    DataFrame
        Cells as in ``wide`` (numbers or symbols); ``attrs`` with ``columns`` for the value
        columns (their ``decimals``) and ``index_columns`` (how many columns name the row).
    """
    period_col = wide.attrs["period_column"]
    columns = wide.attrs["columns"]
    measures = list(dict.fromkeys(spec["measure"] for spec in columns.values()))
    names = {spec["measure"]: (header.split(":")[0], header[header.rfind(" ("):])
             for header, spec in columns.items()}  # label, " (unit)"
    by_area: dict[str, dict[str, object]] = {}
    out_columns: dict[str, dict] = {}
    cells = table_cells(wide)
    for header, spec in columns.items():
        for period, value in zip(cells[period_col], cells[header]):
            if len(measures) == 1:  # a row per area, a column per month
                name, unit = names[spec["measure"]]
                row, column = (spec["breakdown"],), f"{name}, {month_short(period)}{unit}"
            else:  # a row per month and area, a column per measure
                row, column = (period, spec["breakdown"]), "".join(names[spec["measure"]])
            by_area.setdefault(row, {})[column] = value
            out_columns[column] = {k: spec[k] for k in ("measure", "unit", "decimals")}
    order = list(areas.constituency_breakdowns()) + list(areas.area_breakdowns())
    rank = {k: i for i, k in enumerate(order)}
    rows = []
    for key in sorted(by_area, key=lambda r: (r[:-1], rank.get(r[-1], len(rank)))):
        lead = {period_col: key[0]} if len(key) == 2 else {}
        rows.append({**lead, **_area_columns(key[-1]), **by_area[key]})
    frame = pd.DataFrame(rows)
    frame = frame.astype({c: object for c in out_columns})
    frame.attrs = {**wide.attrs, "columns": out_columns,
                   "index_columns": len(frame.columns) - len(out_columns)}
    return frame


#: The geography columns an EES file of a table by area adds after ``country_name``.
EES_AREA_COLUMNS = ["region_code", "region_name", "pcon_code", "pcon_name"]


def ees_geography(key: str) -> tuple[dict[str, str], str]:
    """The EES observational unit of an area breakdown, and the filter value left for it.

    Great Britain and constituency not known are ``National`` (Great Britain, ``K03000001``;
    the filter says ``Constituency not known``); a country is ``National`` with its own code;
    an English region ``Regional``; a constituency ``Parliamentary constituency`` (with its
    region or country). Returns ``(columns, filter)``, ``filter`` ``Total`` but for not known.
    """
    columns, filter_value = _ees_geography(key)
    return dict(columns), filter_value


@functools.cache
def _ees_geography(key: str) -> tuple[dict[str, str], str]:
    # Looked up once per area, not once per month and area (a search of 632 constituencies).
    blank = dict.fromkeys(EES_AREA_COLUMNS, "")
    c = areas.constituencies()
    if key in areas.constituency_breakdowns():
        row = c.loc[c["constituency_code"] == key.upper()].iloc[0]
        region = {"region_code": row["region_code"], "region_name": row["region_name"]} \
            if row["country"] == "england" else {}
        return ({"geographic_level": "Parliamentary constituency", "country_code": row["country_code"],
                 "country_name": row["country_name"], **blank, **region,
                 "pcon_code": row["constituency_code"], "pcon_name": row["constituency_name"]}, "Total")
    if key in ("all", areas.NOT_KNOWN):
        return ({"geographic_level": "National", "country_code": "K03000001",
                 "country_name": "Great Britain", **blank},
                "Total" if key == "all" else "Constituency not known")
    if key in areas.countries():
        row = c.loc[c["country"] == key].iloc[0]
        return ({"geographic_level": "National", "country_code": row["country_code"],
                 "country_name": row["country_name"], **blank}, "Total")
    row = c.loc[c["region"] == key].iloc[0]
    return ({"geographic_level": "Regional", "country_code": row["country_code"],
             "country_name": row["country_name"], **blank, "region_code": row["region_code"],
             "region_name": row["region_name"]}, "Total")
