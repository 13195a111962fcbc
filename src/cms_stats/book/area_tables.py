"""Tables by area for the book: one row per area (the publication tables have one row per
month and a column per breakdown, which for 14 areas or 632 constituencies no one can read).

:func:`area_table` turns a table by area (T21: the period's figures of each measure; T22: each
published quarter end) into rows of areas, with the figures exactly as published.
"""

from __future__ import annotations

import html

import pandas as pd

from cms_stats import areas
from cms_stats.book.chapter import HTMLBlock, _cell, table_html
from cms_stats.months import month_short
from cms_stats.publish.rounding import table_cells

__all__ = ["area_table", "area_rows", "PRINTED_ROWS"]

#: A table by area longer than this is not printed in the PDF (T22's 632 constituencies).
PRINTED_ROWS = 60


def area_rows(wide: pd.DataFrame, period: str) -> pd.DataFrame:
    """The rows of an area table (see :func:`area_table`) as text, areas in reading order.

    T21 (several measures): one column per measure at ``period``; T22 (one measure): one column
    per published month up to ``period``.
    """
    period_col = wide.attrs.get("period_column", wide.columns[0])
    table = table_cells(wide)
    frame = table[table[period_col] <= period]
    columns = wide.attrs.get("columns", {})
    measures = list(dict.fromkeys(spec["measure"] for spec in columns.values()))
    by_constituency = any(spec["breakdown"].startswith(("e14", "w07", "s14")) for spec in columns.values())
    names = areas.constituency_breakdowns() if by_constituency else areas.area_breakdowns()
    cells: dict[str, dict[str, str]] = {}
    for header, spec in columns.items():
        area = spec["breakdown"]
        if len(measures) > 1:  # the period's figure of each measure
            row = frame[frame[period_col] == period]
            if row.empty:
                continue
            label = header.split(":")[0] if ":" in header else header
            cells.setdefault(area, {})[label] = _cell(row[header].iloc[0], spec["decimals"])
        else:  # each month published
            for p, v in zip(frame[period_col], frame[header]):
                cells.setdefault(area, {})[month_short(p)] = _cell(v, spec["decimals"])
    first = "Constituency" if by_constituency else "Area"
    rows = []
    for key, name in names.items():
        if key in cells:
            label = f"{name} ({key.upper()})" if by_constituency else name
            if by_constituency:
                region = areas.region_of(key.upper())
                label = f"{name} ({key.upper()}, {areas.regions()[region]})"
            rows.append({first: label, **cells[key]})
    return pd.DataFrame(rows)


def area_table(ch, table: str) -> HTMLBlock:
    """A table by area of the chapter ``ch`` as HTML (one row per area), or a sentence when
    the edition has no figures for it."""
    if table not in ch.tables:
        return ch.table(table)  # says why there is no table
    wide = ch.tables[table]
    rows = area_rows(wide, ch.period)
    block = table_html(rows, caption=wide.attrs.get("title", table),
                       table_id=f"table-{table.lower()}")
    if len(rows) <= PRINTED_ROWS:
        return block
    # Hundreds of rows are pages of small print no one reads on paper: the printed book shows
    # the map and says where the figures are; the web book has the whole table (print.css).
    number = table.removeprefix("T")
    note = (f"The {len(rows):,} rows of Table {number} are not printed: every figure is in the "
            f"web book, the spreadsheet (sheet Table_{number}) and the CSV file {table}.csv.")
    return HTMLBlock(f'<div class="cms-screen-only">{block.html}</div>'
                     f'<p class="cms-print-only">{html.escape(note)}</p>', block.text)
