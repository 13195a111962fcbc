"""The accessible spreadsheet ``tables.xlsx``, built with gptables.

Follows the GSS "Releasing statistics in spreadsheets" guidance: a cover sheet, a table of
contents, a notes sheet (notes referenced as ``[note n]`` from table titles), then one
table per sheet marked up as an Excel table, with symbols ``[c]``, ``[x]``, ``[z]``
explained on the cover and in each sheet's legend. The file is deterministic: the
workbook's ``created`` property is fixed from the period (not the build time), so the
same inputs give the same bytes.
"""

from __future__ import annotations

import copy
import math
import warnings
from datetime import datetime, time
from pathlib import Path
from typing import Any, Mapping

import gptables as gpt
import pandas as pd
from xlsxwriter.utility import cell_autofit_width  # how gptables measures a cell's width
from pandas.errors import Pandas4Warning

from cms_stats.months import month_end, month_words
from cms_stats.publish.area_layout import by_area_sheet, is_by_area
from cms_stats.publish.policy import Policy, load_metadata, load_policy
from cms_stats.publish.rounding import _table_key, table_cells, to_number

COVER_SHEET = "Cover"
CONTENTS_SHEET = "Contents"
NOTES_SHEET = "Notes"
QUALITY_SHEET = "Data_quality"
REVISIONS_SHEET = "Revisions"
_NUMBER_FORMATS = {0: "#,##0", 1: "#,##0.0", 2: "#,##0.00"}
_SYNTHETIC_SUBTITLE = "Synthetic data: not official statistics."
_NOTES_WIDTH = 100  # characters
#: A table's heading wraps onto at most this many lines (gptables makes a column as wide as its
#: whole heading: the data-quality sheet's columns of small counts were 50 to 97 characters).
_HEADING_LINES = 3
_CELL_PADDING_PX = 10


def sheet_name(table: str) -> str:
    """Worksheet name of a table: ``"T8"`` -> ``"Table_8"``, ``"DQ"`` -> ``"Data_quality"``."""
    if table == "DQ":
        return QUALITY_SHEET
    if table.startswith("T") and table[1:].isdigit():
        return f"Table_{table[1:]}"
    return table


def created_datetime(period: str) -> datetime:
    """The fixed workbook ``created`` time for a period: midnight on its last day."""
    return datetime.combine(month_end(period), time())


def _symbols_in(frame: pd.DataFrame, symbols: Mapping[str, str]) -> list[str]:
    present = set()
    for col in frame.columns:
        for v in frame[col]:
            if isinstance(v, str) and v in symbols:
                present.add(v)
    return [s for s in symbols if s in present]


def _notes_ref(keys: list[str]) -> str:
    return "".join(f"$${k}$$" for k in keys)


def _table_gptable(
    table: str,
    frame: pd.DataFrame,
    *,
    title: str,
    note_keys: list[str],
    subtitles: list[str],
    symbol_defs: Mapping[str, str],
    source: str | None,
) -> gpt.GPTable:
    frame = frame.reset_index(drop=True)
    if frame.isna().to_numpy().any():
        # Every empty cell must carry a symbol saying why (GSS guidance).
        raise ValueError(f"{table}: empty cell in a published table; use [x], [z] or [c]")
    columns = (frame.attrs or {}).get("columns") or {}
    formatting = []
    by_decimals: dict[int, list[str]] = {}
    for header in frame.columns[1:]:
        decimals = (columns.get(header) or {}).get("decimals")
        if decimals is None:
            numbers = [v for v in frame[header] if isinstance(v, (int, float)) and not isinstance(v, bool)]
            decimals = 0 if all(float(v).is_integer() for v in numbers) else 2
        by_decimals.setdefault(min(int(decimals), 2), []).append(header)
    for decimals, headers in sorted(by_decimals.items()):
        formatting.append(
            {"column": {"columns": headers, "format": {"num_format": _NUMBER_FORMATS[decimals]}}}
        )
    legend = [f"{s} = {symbol_defs[s]}" for s in _symbols_in(frame, symbol_defs)]
    return gpt.GPTable(
        table=frame,
        table_name=f"table_{table.lower()}",
        title=title + (" " + _notes_ref(note_keys) if note_keys else ""),
        subtitles=list(subtitles),
        instructions=(
            "This worksheet contains one table. Some cells contain symbols, explained "
            "below the title and on the cover sheet. Notes are on the notes worksheet."
        ),
        legend=legend,
        source=source,
        index_columns={2: 0},  # (a sheet by area: the area's name)
        additional_formatting=formatting,
    )


def _revisions_frame(log: pd.DataFrame, z: str) -> pd.DataFrame:
    if log is None or len(log) == 0:
        return pd.DataFrame({"Revisions": ["No previously published figure changed in this edition."]})

    def num_or_text(v: Any) -> Any:
        n = to_number(v)
        return str(v) if n is None else n

    # The log may come back from revisions.csv as text: "" or "nan" for no change.
    def finite_or_z(v: Any) -> Any:
        try:
            v = float(v)
        except (TypeError, ValueError):
            return z
        return round(v, 1) if math.isfinite(v) else z

    def yes_no(v: Any) -> str:
        if isinstance(v, str):
            return "Yes" if v.strip().lower() in {"true", "1", "yes"} else "No"
        return "Yes" if bool(v) else "No"

    out = pd.DataFrame(
        {
            "Table": log["table"].astype(str).tolist(),
            "Period": log["period"].astype(str).tolist(),
            "Measure": log["measure"].astype(str).tolist(),
            "Breakdown": log["breakdown"].astype(str).tolist(),
            "Previously published": [num_or_text(v) for v in log["previous"]],
            "This edition's figure": [num_or_text(v) for v in log["revised"]],
            "Change": [finite_or_z(v) for v in log["change"]],
            "Percentage change": [finite_or_z(v) for v in log["percent_change"]],
            "Revised": [yes_no(v) for v in log["is_revised"]],
            "Reason": log["reason"].astype(str).tolist(),
        }
    )
    return out.astype(object)


def _normalise_notes(notes: Mapping[str, Any] | None, tables: list[str]) -> tuple[dict, dict]:
    """Return (key -> text, table -> [keys]) for the extra release notes."""
    texts, attach = {}, {}
    for key, value in (notes or {}).items():
        if isinstance(value, Mapping):
            texts[key] = str(value["text"])
            targets = value.get("tables") or tables
        else:
            texts[key] = str(value)
            targets = tables
        for t in targets:
            attach.setdefault(t, []).append(key)
    return texts, attach


def sheet_symbol_definitions(table: str, policy: Policy) -> dict[str, str]:
    """The symbols as a table's legend explains them: about that table only.

    The cover's definitions give examples from several tables; a table's legend gives the
    definition without another table's example, and for ``[z]`` the reasons the registry
    gives for that table's not-applicable figures.
    """
    z = policy.symbols["not_applicable"]
    out = {}
    for symbol, definition in policy.symbol_definitions.items():
        short = definition.split(" (for example")[0].rstrip(".") + "."
        if symbol == z:
            reasons = [str(r["reason"]) for r in policy.raw.get("not_applicable") or []
                       if r.get("table") == table and r.get("reason")]
            short = " ".join([short, *dict.fromkeys(reasons)])
        out[symbol] = short
    return out


def drop_months_not_applicable(frame: pd.DataFrame, z: str) -> tuple[pd.DataFrame, str | None]:
    """Leave out the first months of a table in which no figure applies (every cell ``[z]``).

    Returns
    -------
    frame : DataFrame
        From the first month with a figure that applies (``attrs`` kept).
    shown_from : str or None
        That month (``YYYY-MM``) when earlier months were left out, else ``None``.
    """
    values = table_cells(frame).iloc[:, 1:]
    applies = [any(v != z for v in row) for row in values.itertuples(index=False, name=None)]
    first = applies.index(True) if True in applies else 0
    if first == 0:
        return frame, None
    out = frame.iloc[first:].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out, str(out.iloc[0, 0])


def cover_intro(pub: Mapping, period: str, is_synthetic: bool, edition_lines: list[str] | None) -> list[str]:
    """The cover's introductory lines: what the workbook is, its status and the edition's facts."""
    intro = [pub["synthetic_statement"]] if is_synthetic else []
    intro.append(f"This workbook contains the tables of the {pub['title']} for data to "
                 f"{month_words(period)} ({pub.get('geography', 'Great Britain')}).")
    if pub.get("statistics_status"):
        intro.append(f"Statistics status: {pub['statistics_status']}"
                     + (" (computed here from synthetic data: not official statistics)." if is_synthetic else "."))
    intro.extend(edition_lines or [])
    return intro


def cover_about(pub: Mapping, symbol_defs: Mapping[str, str]) -> list[str]:
    """The cover's "About these data": scope, symbols, notes, other formats and the licence."""
    about = [pub["about"], "Symbols used in the tables:"]
    about.extend(f"{s} = {d}" for s, d in symbol_defs.items())
    about.append("Notes are referenced in table titles as [note 1], [note 2] and so on; "
                 "their text is on the Notes worksheet.")
    about.append("The same tables are published as an OpenDocument spreadsheet (tables.ods), and "
                 "as CSV files with one figure per row, numbers and symbols in separate columns "
                 "(csv/, described in csv/metadata.json; also in the Explore Education Statistics "
                 "data-file layout in csv/ees/).")
    if pub.get("licence"):
        about.append(pub["licence"])
    return about


def _cell_text(value: Any) -> str:
    """A cell as the sheet shows it (numbers with thousands separators)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _heading_lines(heading: str, width_px: float) -> int:
    """How many lines a bold heading wraps onto, word by word, in ``width_px``."""
    count, line = 1, []
    for word in heading.split():
        if line and cell_autofit_width(" ".join(line + [word])) * 1.1 > width_px:
            count, line = count + 1, [word]
        else:
            line.append(word)
    return count


def fitted_widths(frame: pd.DataFrame) -> list[int]:
    """Each column's width in pixels: as wide as its widest cell or the longest word of its
    heading, and wide enough that the (bold, wrapped) heading takes at most
    :data:`_HEADING_LINES` lines; never wider than the whole heading on one line."""
    widths = []
    for header in frame.columns:
        heading = str(header)
        whole = cell_autofit_width(heading) * 1.1  # bold, as gptables counts it
        cells = max((cell_autofit_width(_cell_text(v)) for v in frame[header]), default=0)
        fitted = max([cells, whole / _HEADING_LINES]
                     + [cell_autofit_width(w) * 1.1 for w in heading.split()])
        while fitted < whole and _heading_lines(heading, fitted) > _HEADING_LINES:
            fitted += 4
        widths.append(math.ceil(min(max(cells, whole), fitted) + _CELL_PADDING_PX))
    return widths


def _produce_workbook(path: Path, sheets: dict, cover: gpt.Cover, notes_table: pd.DataFrame):
    """gptables' ``produce_workbook`` with the Notes worksheet listed in the contents.

    gptables lists only the table sheets in the contents; a reader also needs the notes. The
    steps are those of ``produce_workbook`` (gptables 2.0.2): cover, annotations numbered in
    sheet order, notes, contents (now of the notes and the tables), then the sheets in order.
    """
    wb = gpt.GPWorkbook(path.as_posix())
    cover_ws = wb.add_worksheet(cover.cover_label, gridlines="hide_all")
    cover_ws.write_cover(cover)
    wb._update_annotations(sheets)
    notes = wb.make_notesheet(notes_table, title="Notes")
    entry = copy.copy(notes)  # what the contents say of the notes sheet
    entry.set_title("Notes: the text of the notes referenced in table titles as [note 1], [note 2] and so on")
    contents = wb.make_table_of_contents({NOTES_SHEET: entry, **sheets}, title="Table of contents")
    for label, gptable in {CONTENTS_SHEET: contents, NOTES_SHEET: notes, **sheets}.items():
        ws = wb.add_worksheet(label, gridlines="hide_all")
        ws.write_gptable(gptable, True, wb._annotations)
        if label in sheets:
            for column, width in enumerate(fitted_widths(gptable.table)):
                ws.set_column_pixels(column, column, width)
    # The notes column is as wide as the longest note would make it: wrap at a readable width.
    wb.get_worksheet_by_name(NOTES_SHEET).set_column(1, 1, _NOTES_WIDTH)
    return wb


def write_spreadsheet(
    published_tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    period: str,
    is_synthetic: bool,
    notes: Mapping[str, Any] | None = None,
    revisions_log: pd.DataFrame | None = None,
    quality: pd.DataFrame | None = None,
    policy: Policy | None = None,
    metadata: Mapping | None = None,
    edition_lines: list[str] | None = None,
) -> Path:
    """Write the accessible spreadsheet ``tables.xlsx``.

    Parameters
    ----------
    published_tables : mapping of str to DataFrame
        From :func:`publication_tables` (table id -> wide rounded table). Table sheets
        are written in the registry's order; a ``"DQ"`` entry becomes the data-quality sheet.
    path : str or Path
        The ``.xlsx`` file to write.
    period : str
        Release period ``YYYY-MM``; also fixes the workbook ``created`` property.
    is_synthetic : bool
        When true the cover (first line) and every table sheet say clearly that the
        figures come from synthetic data.
    notes : mapping, optional
        Extra notes for this release: ``key -> text`` (referenced from every table sheet)
        or ``key -> {"text": ..., "tables": ["T1", ...]}``. A key that is also a note of
        ``measures_metadata.yaml`` replaces that note's text. Table notes from the
        metadata are always included.
    revisions_log : DataFrame, optional
        From :func:`apply_revisions`; written as the ``Revisions`` sheet.
    quality : DataFrame, optional
        A data-quality table (e.g. ``publication_tables(...)["DQ"]``); written as the
        ``Data_quality`` sheet in place of any ``"DQ"`` entry of ``published_tables``.
    policy, metadata : optional
        Default to the packaged policy and metadata.
    edition_lines : list of str, optional
        The edition's facts for the cover (publication date, next edition, correction,
        previous editions), from the release calendar.

    Returns
    -------
    Path
        ``path``. Sheets: ``Cover``, ``Contents``, ``Notes``, ``Table_1`` ...
        ``Table_14``, ``Data_quality`` (when given), ``Revisions`` (when given).
    """
    policy = policy if policy is not None else load_policy()
    metadata = metadata if metadata is not None else load_metadata()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pub = metadata["publication"]
    symbol_defs = policy.symbol_definitions

    tables = {k: v for k, v in published_tables.items() if k != "DQ"}
    order = sorted(tables, key=_table_key)
    if quality is None and "DQ" in published_tables:
        quality = published_tables["DQ"]
    extra_texts, extra_attach = _normalise_notes(notes, order + (["DQ"] if quality is not None else []))
    note_texts = {**metadata["notes"], **extra_texts}
    subtitles = [_SYNTHETIC_SUBTITLE] if is_synthetic else []
    subtitles.append(f"Data to {month_words(period)}. Great Britain.")

    sheets: dict[str, gpt.GPTable] = {}
    referenced: list[str] = []

    def add(table_id: str, frame: pd.DataFrame, title: str, keys: list[str], source: str | None,
            more: list[str] | None = None) -> None:
        keys = list(dict.fromkeys(keys))
        referenced.extend(keys)
        sheets[sheet_name(table_id)] = _table_gptable(
            table_id,
            frame,
            title=title,
            note_keys=keys,
            subtitles=subtitles + list(more or []),
            symbol_defs=sheet_symbol_definitions(table_id, policy),
            source=source,
        )

    for table in order:
        tcfg = metadata["tables"].get(table) or {}
        keys = list(tcfg.get("notes") or []) + extra_attach.get(table, [])
        frame, shown_from = drop_months_not_applicable(tables[table], policy.symbols["not_applicable"])
        if is_by_area(table):  # a row per area: 632 constituencies are not 632 columns
            frame = by_area_sheet(frame)
        more = ([f"Months before {month_words(shown_from)} are not shown: no figure of this table "
                 "applies to them (they are [z] in the CSV files)."] if shown_from else [])
        add(table, frame, tcfg.get("title", table), keys,
            "Source: Child Maintenance Service administrative data and management information.", more)
    if quality is not None:
        qcfg = metadata["tables"].get("DQ") or {}
        keys = list(qcfg.get("notes") or []) + extra_attach.get("DQ", [])
        add("DQ", quality, qcfg.get("title", "Data quality"), keys, "Source: checks run on the extracts for this release.")
    if revisions_log is not None:
        frame = _revisions_frame(revisions_log, policy.symbols["not_applicable"])
        threshold = policy.revision_threshold_percent
        title = "Revisions: figures that changed since the previous edition"
        add("Revisions", frame, title, ["revisions_policy"], None)
        note_texts["revisions_policy"] = (
            f"Figures that change by less than {threshold:g}% keep the previously published "
            f"figure; changes of {threshold:g}% or more are revised; "
            f"{', '.join(policy.always_revise) or 'no'} figures are always revised. "
            "Changes are between published (rounded) figures."
        )
    referenced = list(dict.fromkeys(referenced))
    notes_table = pd.DataFrame(
        {"key": referenced, "Note text": [note_texts[k] for k in referenced]}
    )

    cover = gpt.Cover(
        title=pub["title"] + (" (synthetic data)" if is_synthetic else ""),
        intro=cover_intro(pub, period, is_synthetic, edition_lines),
        about=cover_about(pub, symbol_defs),
        contact=[pub["contact"]],
    )
    with warnings.catch_warnings():
        # gptables 2.0.2 uses pandas APIs that pandas 3 deprecates (Pandas4Warning, from
        # gptables' own code) and leaves its theme file open (ResourceWarning): those only.
        # Any other warning, e.g. its warning about empty cells (refused above), still shows.
        warnings.filterwarnings("ignore", category=Pandas4Warning, module=r"gptables\.")
        warnings.filterwarnings("ignore", category=ResourceWarning, module=r"gptables\.")
        wb = _produce_workbook(path, sheets, cover, notes_table)
    # A fixed creation time (not "now") keeps identical inputs byte-identical.
    wb.set_properties(
        {
            "title": pub["title"],
            "subject": f"Data to {month_words(period)}",
            "author": pub.get("producer", ""),
            "created": created_datetime(period),
        }
    )
    wb.close()
    return path
