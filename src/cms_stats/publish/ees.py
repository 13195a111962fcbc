"""The published tables in the Explore Education Statistics (EES) data-file layout.

One pair of files per statistical table (``csv/ees/table_1.csv`` and ``table_1.meta.csv``),
following the EES open data standards so that the files can be screened and loaded by that
service's tools:

* data file: the observational units ``time_period``, ``time_identifier``,
  ``geographic_level``, ``country_code``, ``country_name``; one filter column
  (``breakdown``: ``Total`` for a measure without a breakdown, else the breakdown's label);
  one indicator column per measure (the measure's name);
* monthly figures have ``time_identifier`` the month's name and ``time_period`` its year
  (four digits). A quarterly measure is given at the month its quarter ends, as in the
  tables, and its indicator grouping says so (``Quarter ending in the month``);
* every figure is Great Britain: ``geographic_level`` ``National``, ``country_code``
  ``K03000001`` (the GSS code of Great Britain), ``country_name`` ``Great Britain``; but in a
  table by area (T21, T22), where the areas are EES geographic levels (National for Great
  Britain and each country, Regional, Parliamentary constituency) with ``region_code``,
  ``region_name``, ``pcon_code``, ``pcon_name`` (``publish.area_layout.ees_geography``);
* the symbols are the GSS symbols without brackets (``c``, ``x``, ``z``, ``low``), as EES
  requires: no blank indicator cell. A measure that has no figure for a breakdown is ``z``
  (not applicable);
* meta file: ``col_name, col_type, label, indicator_grouping, indicator_unit, indicator_dp,
  filter_hint, filter_grouping_column``; units ``£m`` and ``%`` where EES has them, blank
  for counts, children per case and GBP thousand (the label says which).

The data-quality table is not offered here (it describes the extracts, not the statistics):
it is ``csv/DQ.csv``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Mapping

import pandas as pd

from cms_stats.months import month_words
from cms_stats.publish.area_layout import EES_AREA_COLUMNS, ees_geography, is_by_area
from cms_stats.publish.policy import Policy, load_metadata, load_policy
from cms_stats.publish.rounding import TIDY_COLUMNS, _table_key, to_number

#: Observational-unit columns every EES data file starts with, in this order.
EES_UNIT_COLUMNS = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name"]
#: Columns of an EES metadata (``.meta.csv``) file, in this order.
EES_META_COLUMNS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
                    "indicator_dp", "filter_hint", "filter_grouping_column"]
#: The one geography: Great Britain at national level, with its GSS code.
EES_GEOGRAPHY = {"geographic_level": "National", "country_code": "K03000001",
                 "country_name": "Great Britain"}
FILTER_COLUMN = "breakdown"
TOTAL = "Total"
#: Published unit -> EES indicator unit ("" when EES has none: the label gives the unit).
_EES_UNITS = {"gbp_million": "£m", "percent": "%"}
_UNIT_WORDS = {"gbp_thousand": " (£ thousand)"}
_QUARTER_GROUP = "Quarter ending in the month"


def ees_file_stem(table: str) -> str:
    """File name (without ``.csv``) of a table's EES files: ``"T3"`` -> ``"table_3"``."""
    return f"table_{table[1:]}" if table.startswith("T") and table[1:].isdigit() else table.lower()


def ees_symbol(value: str, policy: Policy) -> str:
    """A published value as EES wants it: numbers as published, symbols without brackets."""
    if to_number(value) is not None:
        return value
    if value not in policy.all_symbols:
        raise ValueError(f"published value {value!r} is neither a number nor a symbol")
    return value.strip("[]")


def _breakdown_label(table_cfg: Mapping, measure: str, breakdown: str) -> str:
    if breakdown == "all":
        return TOTAL
    label = str(((table_cfg.get("measures") or {}).get(measure) or {}).get("breakdowns", {}).get(breakdown, breakdown))
    return label[:1].upper() + label[1:]


def ees_table(published_tidy: pd.DataFrame, table: str, policy: Policy | None = None,
              metadata: Mapping | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One table's EES data frame and metadata frame (all text).

    Parameters
    ----------
    published_tidy : DataFrame
        The published tidy frame (text ``value``), any tables.
    table : str
        The table, e.g. ``"T2"``.
    policy, metadata : optional
        Default to the packaged policy and metadata.

    Returns
    -------
    data : DataFrame
        :data:`EES_UNIT_COLUMNS`, ``breakdown``, then one column per measure (metadata
        order); one row per month and breakdown, sorted by month then breakdown order.
    meta : DataFrame
        :data:`EES_META_COLUMNS`: the filter, then one row per indicator.
    """
    policy = policy if policy is not None else load_policy()
    metadata = metadata if metadata is not None else load_metadata()
    tcfg = metadata["tables"].get(table) or {}
    part = published_tidy.loc[published_tidy["table"] == table, TIDY_COLUMNS].astype(str)
    if part.empty:
        raise ValueError(f"{table}: no published figures")
    order = list(tcfg.get("measures") or {})
    measures = sorted(part["measure"].unique(), key=lambda m: (order.index(m) if m in order else len(order), m))
    labels: dict[str, str] = {}
    for m, b in dict.fromkeys(zip(part["measure"], part["breakdown"])):
        labels.setdefault(b, _breakdown_label(tcfg, m, b))
    breakdowns = sorted(labels, key=lambda b: (b != "all", list(labels).index(b)))
    value = {(p, m, b): v for p, m, b, v in zip(part["period"], part["measure"], part["breakdown"], part["value"])}
    z = policy.symbols["not_applicable"]
    rows = []
    by_area = is_by_area(table)  # areas are geography, not a filter (EES geographic levels)
    for period in sorted(part["period"].unique()):
        year, month = period.split("-")
        for b in breakdowns:
            row = {"time_period": year, "time_identifier": month_words(period).split()[0],
                   **EES_GEOGRAPHY, FILTER_COLUMN: labels[b]}
            if by_area:
                geography, row[FILTER_COLUMN] = ees_geography(b)
                row |= geography
            if not any((period, m, b) in value for m in measures):
                continue
            for m in measures:
                row[m] = ees_symbol(value.get((period, m, b), z), policy)
            rows.append(row)
    units_columns = [*EES_UNIT_COLUMNS, *(EES_AREA_COLUMNS if by_area else [])]
    data = pd.DataFrame(rows, columns=[*units_columns, FILTER_COLUMN, *measures])

    units = dict(zip(part["measure"], part["unit"]))
    quarterly = tcfg.get("frequency") == "quarter to month"
    meta_rows = [{"col_name": FILTER_COLUMN, "col_type": "Filter", "label": "Breakdown",
                  "filter_hint": "Total or a part of the total"}]
    for m in measures:
        mcfg = (tcfg.get("measures") or {}).get(m) or {}
        unit = units[m]
        label = str(mcfg.get("label") or m.replace("_", " ").capitalize())
        label += _UNIT_WORDS.get(unit, "")
        meta_rows.append({"col_name": m, "col_type": "Indicator", "label": label,
                          "indicator_grouping": _QUARTER_GROUP if quarterly else "",
                          "indicator_unit": _EES_UNITS.get(unit, ""),
                          "indicator_dp": str(policy.decimals(table, m, unit))})
    meta = pd.DataFrame([{c: r.get(c, "") for c in EES_META_COLUMNS} for r in meta_rows], dtype=str)
    return data, meta


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(frame.columns))
    writer.writerows(frame.astype(str).itertuples(index=False, name=None))
    return buf.getvalue().encode("utf-8")


def write_ees(published_tidy: pd.DataFrame, folder: str | Path, policy: Policy | None = None,
              metadata: Mapping | None = None) -> list[dict]:
    """Write ``folder/<stem>.csv`` and ``folder/<stem>.meta.csv`` for every T table.

    Parameters
    ----------
    published_tidy : DataFrame
        The published tidy frame (text ``value``).
    folder : str or Path
        Where to write (``csv/ees`` of a release); created.
    policy, metadata : optional
        Default to the packaged policy and metadata.

    Returns
    -------
    list of dict
        One entry per table: ``table``, ``title``, ``data`` and ``meta`` (file names relative
        to ``csv/``), ``rows``: for ``csv/metadata.json``.
    """
    policy = policy if policy is not None else load_policy()
    metadata = metadata if metadata is not None else load_metadata()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    listed = []
    tables = [t for t in published_tidy["table"].unique() if t.startswith("T") and t[1:].isdigit()]
    for table in sorted(tables, key=_table_key):
        data, meta = ees_table(published_tidy, table, policy, metadata)
        stem = ees_file_stem(table)
        (out / f"{stem}.csv").write_bytes(_csv_bytes(data))
        (out / f"{stem}.meta.csv").write_bytes(_csv_bytes(meta))
        listed.append({"table": table, "title": (metadata["tables"].get(table) or {}).get("title", table),
                       "data": f"{out.name}/{stem}.csv", "meta": f"{out.name}/{stem}.meta.csv",
                       "rows": len(data)})
    return listed
