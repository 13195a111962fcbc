"""The spreadsheet: structure per the GSS guidance, published values, determinism."""

import re

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from cms_stats.publish.policy import load_metadata, load_policy
from cms_stats.publish.revisions import apply_revisions
from cms_stats.publish.rounding import publication_tables, publish_tidy, to_number
from cms_stats.publish.spreadsheet import drop_months_not_applicable, sheet_name, write_spreadsheet

POLICY = load_policy()
META = load_metadata()


def measures():
    rows = []
    for i, p in enumerate(["2014-06", "2014-07", "2014-08"]):
        rows += [
            ("T1", p, "new_applications", "all", 1_234.0 + 100 * i, "count"),
            ("T1", p, "total_intake", "all", 1_300.0 + 100 * i, "count"),
            ("T3", p, "fee_exemptions", "all", 356.0 + i, "count"),
            ("T3", p, "fee_exemption_share", "all", 0.3249, "share"),
            ("T8", p, "outstanding_arrears", "all", 1_050_000.0 * (i + 1), "gbp"),
            ("T11", p, "appeals_received", "all", [7.0, 143.0, 12.0][i], "count"),
            ("T11", p, "appeals_cleared", "tribunal_outcome", 48.0, "count"),
            ("T11", p, "appeals_cleared", "all", 70.0, "count"),
            ("T4", p, "mean_children_per_case", "estimate", 1.5132, "mean"),
        ]
        if p != "2014-08":
            rows.append(("T9", p, "changes_of_circumstances_received", "all", 5_049.0, "count"))
    rows.append(("DQ", "2014-08", "arrears_roll_forward_failures", "all", 25.0, "count"))
    return pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlsx")
    published = publish_tidy(measures(), POLICY)
    previous = published.copy()
    previous.loc[(previous["measure"] == "new_applications") & (previous["period"] == "2014-06"), "value"] = "1100"
    published, log = apply_revisions(published, previous, POLICY)
    tables = publication_tables(published, POLICY)
    path = write_spreadsheet(
        tables, folder / "tables.xlsx", period="2014-08", is_synthetic=True,
        notes={"release": "A note for this release."}, revisions_log=log,
    )
    return folder, published, tables, log, path


def test_sheet_names_and_order(built):
    _, _, tables, _, path = built
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Cover", "Contents", "Notes", "Table_1", "Table_3", "Table_4", "Table_8", "Table_9",
        "Table_11", "Data_quality", "Revisions",
    ]
    assert [sheet_name(t) for t in tables] == wb.sheetnames[3:-1]


def test_cover_contents_notes(built):
    _, _, _, _, path = built
    wb = openpyxl.load_workbook(path)
    cover = [c for row in wb["Cover"].iter_rows(values_only=True) for c in row if c]
    text = "\n".join(cover)
    assert cover[0].startswith("Child Maintenance Service 2012 Scheme statistics")
    assert "SYNTHETIC DATA" in text and "not official statistics" in text
    for symbol in ("[c]", "[x]", "[z]"):
        assert re.search(re.escape(symbol) + r" = \w", text), symbol
    assert "Contact" in cover and "About these data" in cover

    contents = list(wb["Contents"].iter_rows(values_only=True))
    listed = [row[0] for row in contents if row and row[0] and str(row[0]).startswith(("Table_", "Data_", "Revisions"))]
    assert listed == wb.sheetnames[3:]
    assert len(wb["Contents"].tables) == 1

    notes = [row for row in wb["Notes"].iter_rows(values_only=True) if isinstance(row[0], int)]
    numbers = [row[0] for row in notes]
    assert numbers == list(range(1, len(numbers) + 1))
    texts = {row[0]: row[1] for row in notes}
    assert "A note for this release." in texts.values()
    # every [note n] referenced from a table title exists on the notes sheet
    for ws in wb.worksheets[3:]:
        refs = [int(n) for n in re.findall(r"\[note (\d+)\]", ws["A1"].value)]
        assert refs and all(n in texts for n in refs), ws.title
    assert "[note" in wb["Table_1"]["A1"].value


def _table_area(ws):
    assert len(ws.tables) == 1, ws.title
    table = next(iter(ws.tables.values()))
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    return min_col, min_row, max_col, max_row


def test_every_table_sheet_is_one_excel_table_covering_the_data(built):
    _, _, tables, log, path = built
    wb = openpyxl.load_workbook(path)
    for table, frame in tables.items():
        ws = wb[sheet_name(table)]
        min_col, min_row, max_col, max_row = _table_area(ws)
        assert (min_col, max_col) == (1, frame.shape[1])
        assert max_row - min_row == len(drop_months_not_applicable(frame, "[z]")[0])
        assert [ws.cell(min_row, c).value for c in range(1, max_col + 1)] == list(frame.columns)
        assert ws.max_row == max_row  # nothing below the table
    min_col, min_row, max_col, max_row = _table_area(wb["Revisions"])
    assert max_row - min_row == len(log)


def test_values_equal_published_tidy(built):
    _, published, tables, _, path = built
    wb = openpyxl.load_workbook(path)
    lookup = {
        (t, p, m, b): v
        for t, p, m, b, v in zip(published["table"], published["period"], published["measure"], published["breakdown"], published["value"])
    }
    checked = 0
    for table, frame in tables.items():
        ws = wb[sheet_name(table)]
        _, min_row, max_col, max_row = _table_area(ws)
        headers = [ws.cell(min_row, c).value for c in range(1, max_col + 1)]
        columns = frame.attrs["columns"]
        for r in range(min_row + 1, max_row + 1):
            period = ws.cell(r, 1).value
            for c, header in enumerate(headers[1:], start=2):
                cell = ws.cell(r, c).value
                meta = columns[header]
                expected = lookup[(table, period, meta["measure"], meta["breakdown"])]
                if to_number(expected) is None:
                    assert cell == expected, (table, period, header)
                else:
                    assert isinstance(cell, (int, float)), (table, period, header, cell)
                    assert cell == pytest.approx(to_number(expected), abs=1e-9)
                checked += 1
    # the figures left out are the months of a table in which every figure is [z]
    shown = {(t, ws_period) for t in tables for ws_period in
             drop_months_not_applicable(tables[t], "[z]")[0].iloc[:, 0]}
    left_out = published[[(t, p) not in shown for t, p in zip(published["table"], published["period"])]]
    assert set(left_out["value"]) == {"[z]"} and set(left_out["table"]) == {"T3"}
    assert checked + len(left_out) == len(published)


def test_symbols_where_expected(built):
    _, _, _, _, path = built
    wb = openpyxl.load_workbook(path)
    t11 = {row[0]: row for row in wb["Table_11"].iter_rows(values_only=True)}
    assert t11["2014-06"][1] == "[c]"  # 7 appeals received
    assert t11["2014-08"][1] == 10
    t9 = {row[0]: row for row in wb["Table_9"].iter_rows(values_only=True)}
    assert t9["2014-08"][1] == "[x]"
    t3 = {row[0]: row for row in wb["Table_3"].iter_rows(values_only=True)}
    # June 2014 (fees not yet introduced: every figure [z]) is left out; the title says "from July 2014"
    assert "2014-06" not in t3 and t3["2014-07"][1:] == (360, 32)
    assert "from July 2014" in wb["Table_3"]["A1"].value
    assert ("Months before July 2014 are not shown: no figure of this table applies to them "
            "(they are [z] in the CSV files).") in t3
    assert wb["Table_1"]["A3"].value.startswith("Data to") and not any(
        str(row[0]).startswith("Months before") for row in wb["Table_1"].iter_rows(values_only=True))
    rev = [row for row in wb["Revisions"].iter_rows(values_only=True) if row[0] == "T1"]
    assert rev == [("T1", "2014-06", "new_applications", "all", 1100, 1200, 100, 9.1, "Yes", "revised: changed by 5% or more")]


def test_deterministic_bytes_and_not_synthetic(built, tmp_path):
    folder, published, tables, log, path = built
    again = write_spreadsheet(
        publication_tables(published, POLICY), tmp_path / "again.xlsx", period="2014-08", is_synthetic=True,
        notes={"release": "A note for this release."}, revisions_log=log,
    )
    assert again.read_bytes() == path.read_bytes()
    real = write_spreadsheet(tables, tmp_path / "real.xlsx", period="2014-08", is_synthetic=False, notes=None)
    wb = openpyxl.load_workbook(real)
    text = " ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "SYNTHETIC" not in text.upper()
    assert "Revisions" not in wb.sheetnames
    assert wb.properties.created.year == 2014 and wb.properties.created.month == 8


def test_empty_cell_refused(tmp_path):
    tables = publication_tables(measures(), POLICY)
    bad = tables["T1"].copy()
    bad.iloc[0, 1] = None
    with pytest.raises(ValueError, match="empty cell"):
        write_spreadsheet({"T1": bad}, tmp_path / "bad.xlsx", period="2014-08", is_synthetic=True)


def test_revisions_log_read_back_from_csv(built, tmp_path):
    """The release re-reads revisions.csv as text; the sheet must be the same."""
    folder, published, tables, log, path = built
    log.to_csv(tmp_path / "revisions.csv", index=False)
    text_log = pd.read_csv(tmp_path / "revisions.csv", dtype=str, keep_default_na=False)
    again = write_spreadsheet(
        tables, tmp_path / "again.xlsx", period="2014-08", is_synthetic=True,
        notes={"release": "A note for this release."}, revisions_log=text_log,
    )
    rows = lambda p: list(openpyxl.load_workbook(p)["Revisions"].iter_rows(values_only=True))  # noqa: E731
    assert rows(again) == rows(path)


def _wrapped_lines(heading: str, width_px: float) -> int:
    """Lines a bold heading takes wrapped at word boundaries in a column ``width_px`` wide."""
    from xlsxwriter.utility import cell_autofit_width

    lines, line = 1, ""
    for word in heading.split():
        joined = f"{line} {word}".strip()
        if line and cell_autofit_width(joined) * 1.1 > width_px:
            lines, line = lines + 1, word
        else:
            line = joined
    return lines


def test_columns_fit_their_figures_and_wrap_their_headings(built):
    """Each table column shows its widest figure whole and its heading on at most three lines
    (gptables had made every column as wide as its heading on one line)."""
    _, _, tables, _, path = built
    wb = openpyxl.load_workbook(path)
    for table, frame in tables.items():
        ws = wb[sheet_name(table)]
        _, header_row, max_col, max_row = _table_area(ws)
        for col in range(1, max_col + 1):
            letter = openpyxl.utils.get_column_letter(col)
            dims = next(d for d in ws.column_dimensions.values() if d.min <= col <= d.max)
            width_px = dims.width * 7 + 5  # Excel's character width at Calibri 11
            heading = ws.cell(header_row, col).value
            assert _wrapped_lines(heading, width_px) <= 3, (table, heading, dims.width)
            numbers = [ws.cell(r, col).value for r in range(header_row + 1, max_row + 1)]
            widest = max((len(f"{v:,}") for v in numbers if isinstance(v, (int, float))), default=0)
            assert widest <= dims.width, (table, letter, widest, dims.width)
    data_quality = wb["Data_quality"]
    assert max(d.width for d in data_quality.column_dimensions.values()) < 40
