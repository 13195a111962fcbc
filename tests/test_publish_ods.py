"""The spreadsheet as a reader opens it: the ODS edition equals the xlsx cell by cell; the
cover, contents, notes, units, titles and legends say what the reader needs."""

import re
import zipfile
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from cms_stats.publish.ods import read_ods_cells, write_ods
from cms_stats.publish.policy import load_metadata, load_policy
from cms_stats.publish.revisions import apply_revisions
from cms_stats.publish.rounding import publication_tables, publish_tidy
from cms_stats.publish.spreadsheet import created_datetime, write_spreadsheet

POLICY = load_policy()
META = load_metadata()
PERIOD = "2014-09"


def measures():
    rows = []
    for i, p in enumerate(["2014-06", "2014-07", "2014-08", "2014-09"]):
        rows += [
            ("T1", p, "new_applications", "all", 1_234.0 + 100 * i, "count"),
            ("T1", p, "total_intake", "all", 1_300.0 + 100 * i, "count"),
            ("T1", p, "arrears_only_applications", "all", 66.0 + i, "count"),
            ("T3", p, "fee_paying_applications", "all", 800.0 + i, "count"),
            ("T3", p, "fee_exemptions", "all", 356.0 + i, "count"),
            ("T3", p, "fee_exemption_share", "all", 0.3249, "share"),
            ("T4", p, "cases_paying", "all", 10_000.0, "count"),
            ("T4", p, "mean_children_per_case", "estimate", 1.5132, "mean"),
            ("T4", p, "sample_size", "all", 1_100.0, "count"),
            ("T7", p, "cases_due_to_pay", "all", 20_000.0 + i, "count"),
            ("T8", p, "outstanding_arrears", "all", 1_050_000.0 * (i + 1), "gbp"),
            ("T11", p, "appeals_received", "all", [7.0, 143.0, 12.0, 50.0][i], "count"),
        ]
    rows.append(("T9", "2014-08", "changes_of_circumstances_received", "all", 5_049.0, "count"))
    return pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ods")
    published = publish_tidy(measures(), POLICY)
    previous = published.copy()
    previous.loc[(previous["measure"] == "new_applications") & (previous["period"] == "2014-06"), "value"] = "1100"
    published, log = apply_revisions(published, previous, POLICY)
    tables = publication_tables(published, POLICY)
    lines = ["Published: 28 October 2014.", "Next edition: January 2015 (data to November 2014)."]
    xlsx = write_spreadsheet({k: v for k, v in tables.items() if k != "DQ"}, folder / "tables.xlsx",
                             period=PERIOD, is_synthetic=True, revisions_log=log, edition_lines=lines)
    ods = write_ods(xlsx, folder / "tables.ods", title=META["publication"]["title"],
                    created=created_datetime(PERIOD))
    return folder, xlsx, ods


def _xlsx_cells(path):
    wb = openpyxl.load_workbook(path)
    try:
        return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}
    finally:
        wb.close()


def test_ods_equals_xlsx_cell_by_cell(built):
    """Read back with pandas' OpenDocument reader (odfpy), independently of the writer."""
    _, xlsx, ods = built
    expected = _xlsx_cells(xlsx)
    got = pd.read_excel(ods, sheet_name=None, header=None, engine="odf")
    assert list(got) == list(expected)  # same sheets, same order
    assert list(got)[:3] == ["Cover", "Contents", "Notes"] and "Revisions" in got
    compared = 0
    for name, rows in expected.items():
        theirs = got[name]
        # pandas leaves out empty rows and columns at the end; the xlsx has none
        assert theirs.shape == (len(rows), max(len(r) for r in rows)), name
        for r, row in enumerate(rows):
            for c, mine in enumerate(row):
                other = theirs.iat[r, c]
                if mine is None:
                    assert pd.isna(other), (name, r, c, other)
                elif isinstance(mine, str):
                    assert other == mine, (name, r, c)  # text and symbols stay text
                else:
                    assert isinstance(other, (int, float)) and other == mine, (name, r, c, mine, other)
                compared += 1
    assert compared == sum(len(r) for rows in expected.values() for r in rows) > 300


def test_ods_links_headers_widths_and_determinism(built, tmp_path):
    _, xlsx, ods = built
    with zipfile.ZipFile(ods) as z:
        assert z.namelist()[0] == "mimetype" and z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        content = z.read("content.xml").decode("utf-8")
        meta = z.read("meta.xml").decode("utf-8")
        assert {i.date_time for i in z.infolist()} == {(2014, 9, 30, 0, 0, 0)}
    assert '<text:a xlink:href="#Table_1.A1"' in content and '<text:a xlink:href="#Notes.A1"' in content
    assert content.count("<table:table-header-rows>") == len(openpyxl.load_workbook(xlsx).worksheets) - 1
    assert "2014-09-30T00:00:00" in meta and META["publication"]["title"] in meta
    again = write_ods(xlsx, tmp_path / "again.ods", title=META["publication"]["title"],
                      created=created_datetime(PERIOD))
    assert again.read_bytes() == ods.read_bytes()


def test_cover_gives_the_release_facts(built):
    _, xlsx, _ = built
    cover = [c for row in _xlsx_cells(xlsx)["Cover"] for c in row if c]
    pub = META["publication"]
    assert "Published: 28 October 2014." in cover
    assert "Next edition: January 2015 (data to November 2014)." in cover
    assert (f"Statistics status: {pub['statistics_status']} (computed here from synthetic data: "
            "not official statistics).") in cover
    assert pub["contact"] in cover and "contact details are given in the book" not in " ".join(cover)
    assert any("Open Government Licence v3.0" in c for c in cover)
    assert any("tables.ods" in c and "csv/ees/" in c for c in cover)


def test_contents_list_the_notes_and_every_table_with_a_link(built):
    _, xlsx, _ = built
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Contents"]
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    assert list(links) == wb.sheetnames[2:]  # Notes, then every table sheet
    described = {row[0].value: row[1].value for row in ws.iter_rows() if row[0].hyperlink}
    assert described["Notes"].startswith("Notes: the text of the notes referenced in table titles")
    assert all(loc == f"'{name}'!A1" for name, loc in links.items())
    widths = wb["Notes"].column_dimensions["B"].width
    assert widths <= 101
    long_note = max((c.value for row in wb["Notes"].iter_rows() for c in row if isinstance(c.value, str)), key=len)
    assert len(long_note) > 150  # so the width matters: the text wraps
    assert all(c.alignment.wrap_text for row in wb["Notes"].iter_rows(min_row=4) for c in row if c.value)


def test_units_a_reader_understands(built):
    _, xlsx, _ = built
    headers = [c for row in _xlsx_cells(xlsx)["Table_4"] for c in row if isinstance(c, str)]
    assert "Mean children per case: estimate (children per case)" in headers
    assert not any(h.endswith("(mean)") for h in headers)


def test_titles_match_the_data(built):
    """A table whose title says "from <month>" starts in that month."""
    _, xlsx, _ = built
    cells = _xlsx_cells(xlsx)
    checked = []
    for name, rows in cells.items():
        title = rows[0][0] or ""
        m = re.search(r"from (January|February|March|April|May|June|July|August|September|October|"
                      r"November|December) (\d{4})", title)
        if not m or not name.startswith("Table_"):
            continue
        month = datetime.strptime(f"{m.group(1)} {m.group(2)}", "%B %Y").strftime("%Y-%m")
        periods = [r[0] for r in rows if isinstance(r[0], str) and re.fullmatch(r"\d{4}-\d{2}", r[0])]
        assert periods[0] == month, (name, title, periods[:2])
        checked.append(name)
    assert checked == ["Table_3", "Table_7"]


def test_each_legend_explains_its_own_table(built):
    _, xlsx, _ = built
    cells = _xlsx_cells(xlsx)

    def legend(sheet):
        return [r[0] for r in cells[sheet] if isinstance(r[0], str) and re.match(r"\[(c|x|z|low)\] = ", r[0])]

    t9 = legend("Table_9")
    assert "[x] = Not available: the figure is not available for that month." in t9
    t1 = legend("Table_1")
    assert t1 == ["[z] = Not applicable: the measure did not exist in that month. Arrears only applications "
                  "are published from December 2014, as in the 2016-08 edition."]
    for sheet in cells:
        for line in legend(sheet) if sheet.startswith("Table_") else []:
            assert "for example" not in line, (sheet, line)
    cover = [c for row in cells["Cover"] for c in row if isinstance(c, str)]
    assert any(c.startswith("[x] = ") and "for example" in c for c in cover)  # the cover keeps examples


def _pandas_cells(path):
    """Every non-empty cell as pandas' OpenDocument reader (odfpy) reads it."""
    out = {}
    for name, frame in pd.read_excel(path, sheet_name=None, header=None, engine="odf").items():
        out[name] = {(r, c + 1): v for c in range(frame.shape[1])
                     for r, v in enumerate(frame.iloc[:, c], start=1)
                     if not (isinstance(v, float) and pd.isna(v))}
    return out


def test_the_fast_reader_reads_what_pandas_reads(built, tmp_path):
    """``read_ods_cells`` (the disclosure check's reader) against pandas' reader: the release
    spreadsheet, and a hand-made sheet with what our writer never writes (repeated rows and
    cells, a covered cell, spaces as ``text:s``, two paragraphs, a fraction, a blank row)."""
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import H, P, S

    _, _, ods = built
    mine, theirs = read_ods_cells(ods), _pandas_cells(ods)
    assert list(mine) == list(theirs) and _typed(mine) == _typed(theirs)
    assert sum(len(cells) for cells in mine.values()) > 200

    doc = OpenDocumentSpreadsheet()
    sheet = Table(name="Odd")
    head = TableRow()
    cell = TableCell(valuetype="string")
    para = P(text="two")
    para.addElement(S(c=3))
    para.addText("spaces")
    cell.addElement(para)
    cell.addElement(P(text="second line"))
    head.addElement(cell)
    head.addElement(TableCell(valuetype="float", value="2.5"))
    head.addElement(CoveredTableCell(valuetype="float", value="7"))
    commented = TableCell(valuetype="string")
    commented.addElement(P(text="Cases (number)"))
    note = Annotation()
    note.addElement(P(text="a reviewer's note"))
    commented.addElement(note)
    head.addElement(commented)
    heading = TableCell(valuetype="string")
    heading.addElement(H(outlinelevel=1, text="case_id"))
    head.addElement(heading)
    head.addElement(TableCell(valuetype="percentage", value="0.25"))
    sheet.addElement(head)
    sheet.addElement(TableRow())  # a blank row
    repeated = TableRow(numberrowsrepeated=2)
    repeated.addElement(TableCell())
    several = TableCell(valuetype="float", value="4", numbercolumnsrepeated=3)
    repeated.addElement(several)
    sheet.addElement(repeated)
    doc.spreadsheet.addElement(sheet)
    doc.save(tmp_path / "odd.ods")
    mine, theirs = read_ods_cells(tmp_path / "odd.ods"), _pandas_cells(tmp_path / "odd.ods")
    assert _typed(mine) == _typed(theirs)
    assert _typed(mine)["Odd"] == _typed({"Odd": {
        (1, 1): "two   spaces\nsecond line", (1, 2): 2.5, (1, 3): 7, (1, 4): "Cases (number)",
        (1, 5): "case_id", (1, 6): 0.25, **{(r, c): 4 for r in (3, 4) for c in (2, 3, 4)}}})["Odd"]


def _typed(sheets: dict) -> dict:
    """Cells with their kind (``1 == True``: text, number and truth value must agree too;
    pandas makes a column's whole numbers floats where it holds a fraction or a blank)."""
    def kind(v) -> str:
        return "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else type(v).__name__
    return {name: {k: (kind(v), v) for k, v in cells.items()} for name, cells in sheets.items()}
