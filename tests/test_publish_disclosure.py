"""The disclosure check: a clean fake release passes; each kind of leak is caught."""

import dataclasses
from datetime import datetime
import json
import re
import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cms_stats import paths  # noqa: E402
from cms_stats.extracts import contract  # noqa: E402
from cms_stats.publish.disclosure import (  # noqa: E402
    DisclosureError,
    assert_release_clean,
    check_release,
    extract_columns,
)
from cms_stats.publish.manifest import write_manifest  # noqa: E402
from cms_stats.publish.ods import write_ods  # noqa: E402
from cms_stats.publish.policy import load_policy  # noqa: E402
from cms_stats.publish.rounding import publication_tables, publish_tidy  # noqa: E402
from cms_stats.publish.spreadsheet import write_spreadsheet  # noqa: E402
from cms_stats.publish.tidy_csv import write_csv  # noqa: E402

POLICY = load_policy()
HAS_PDFTOTEXT = shutil.which("pdftotext") is not None


def measures():
    rows = []
    for p in ["2016-07", "2016-08"]:
        rows += [
            ("T2", p, "caseload", "all", 338_861.0, "count"),
            ("T11", p, "appeals_received", "all", 7.0, "count"),  # suppressed -> [c]
            ("T11", p, "appeals_cleared", "all", 70.0, "count"),
            ("T8", p, "outstanding_arrears", "all", 77_462_310.25, "gbp"),
        ]
    return pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"])


def _pdf(path, text):
    fig = plt.figure()
    fig.text(0.05, 0.5, text)
    fig.savefig(path, metadata={"CreationDate": None})
    plt.close(fig)


def _notebook(path, output_text, source="from cms_stats import book\nbook.headline()"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=output_text),
        nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><th>Caseload</th></tr><tr><td>338,900</td></tr></table>", "image/png": "iVBORw0KGgoC12345678AAAA"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Caseload\nThe caseload was 338,900 at 2016-08."), cell]
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("release")
    rel = tmp_path / "2016-08"
    (rel / "html").mkdir(parents=True)
    (rel / "notebooks").mkdir()
    published = publish_tidy(measures(), POLICY)
    write_csv(published, rel)
    write_spreadsheet(publication_tables(published, POLICY), rel / "tables.xlsx", period="2016-08", is_synthetic=True)
    write_ods(rel / "tables.xlsx", rel / "tables.ods", title="CMS", created=datetime(2016, 8, 31))
    data = tmp_path / "data"
    data.mkdir()
    (data / "extract.json").write_text("{}")
    write_manifest(rel / "manifest.json", period="2016-08", parameters={"period": "2016-08"}, input_files=data)
    (rel / "html" / "caseload.html").write_text(
        "<html><body><h1>Caseload</h1><p>Caseload stood at 338,900 at the end of August 2016.</p>"
        "<table><tr><th>Month end</th><th>Caseload</th></tr><tr><td>2016-08</td><td>338,900</td></tr></table>"
        '<img src="data:image/png;base64,iVBORw0KGgoC12345678AAAA"/></body></html>'
    )
    _notebook(rel / "notebooks" / "caseload.ipynb", "Caseload: 338,900\n")
    _pdf(rel / "book.pdf", "Caseload stood at 338,900 at the end of August 2016.")
    return rel


@pytest.fixture
def release(template, tmp_path):
    """A fresh copy of the clean fake release for each test to spoil."""
    return shutil.copytree(template, tmp_path / "2016-08")


def test_clean_release_passes(release):
    assert check_release(release, POLICY) == []
    assert_release_clean(release, POLICY)


def test_case_identifier_in_html(release):
    page = release / "html" / "caseload.html"
    page.write_text(page.read_text().replace("</body>", "<p>See case C12345678.</p></body>"))
    problems = check_release(release, POLICY)
    assert problems == ["html/caseload.html: case identifier 'C12345678'"]
    with pytest.raises(DisclosureError, match="case identifier") as err:
        assert_release_clean(release, POLICY)
    assert err.value.problems == problems


@pytest.mark.parametrize(
    "ident, kind",
    [("G00012345", "case group"), ("A12345678", "application"), ("P12345678", "paying parent"),
     ("R12345678", "receiving parent"), ("Y123456789", "payment"), ("L123456789", "calculation"),
     ("S123456789", "service request"), ("M12345678", "reconsideration"), ("K1234567", "accuracy check")],
)
def test_every_identifier_kind_in_notebook_output(release, ident, kind):
    _notebook(release / "notebooks" / "caseload.ipynb", f"largest arrears: {ident}\n")
    assert check_release(release, POLICY) == [
        f"notebooks/caseload.ipynb cell 2 output 1: {kind} identifier '{ident}'"
    ]


def test_not_identifiers(release):
    # wrong length, or part of a longer word: not an identifier
    _notebook(release / "notebooks" / "caseload.ipynb", "C1234567 XC12345678 C123456789 c12345678\n")
    assert check_release(release, POLICY) == []


def test_identifier_in_notebook_source(release):
    _notebook(release / "notebooks" / "caseload.ipynb", "ok\n", source="case = 'C00000042'")
    assert check_release(release, POLICY) == ["notebooks/caseload.ipynb cell 2 source: case identifier 'C00000042'"]


def test_raw_extract_row_in_notebook_output(release):
    _notebook(release / "notebooks" / "caseload.ipynb", "17  2016-08-14  123.45  collect_and_pay\n")
    problems = check_release(release, POLICY)
    assert problems == ["notebooks/caseload.ipynb cell 2 output 1: extract-like row (date and money) '2016-08-14  123.45'"]


def test_printed_extract_frame_header(release):
    _notebook(release / "notebooks" / "caseload.ipynb", "   snapshot_month  weekly_liability  arrears_closing\n")
    (problem,) = check_release(release, POLICY)
    assert "names extract columns" in problem and "arrears_closing" in problem


def test_extract_column_in_csv(release):
    path = release / "csv" / "T2.csv"
    path.write_text(path.read_text().replace("breakdown", "case_id"))
    assert check_release(release, POLICY) == ["csv/T2.csv header: extract column name 'case_id' in a published table"]


def test_extract_column_in_html_table(release):
    page = release / "html" / "caseload.html"
    page.write_text(page.read_text().replace("<th>Caseload</th>", "<th>arrears_closing</th>"))
    assert check_release(release, POLICY) == ["html/caseload.html: extract column name 'arrears_closing' in a published table"]


def test_unsuppressed_count_in_csv(release):
    path = release / "csv" / "T11.csv"
    text = path.read_text()
    assert "[c]" in text
    path.write_text(text.replace("[c]", "7", 1))
    assert check_release(release, POLICY) == ["csv/T11.csv row 2: unsuppressed count 7 below 10"]


def test_unsuppressed_count_in_spreadsheet(release):
    path = release / "tables.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Table_11"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == "[c]"]
    assert cells
    cells[0].value = 7
    # a small money figure is not a count and is fine
    money = [c for row in wb["Table_8"].iter_rows() for c in row if isinstance(c.value, float)]
    money[0].value = 3.5
    wb.save(path)
    assert check_release(release, POLICY) == [f"tables.xlsx Table_11!{cells[0].coordinate}: unsuppressed count 7 below 10"]


def test_identifier_in_spreadsheet(release):
    path = release / "tables.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Notes"]["B4"] = "Worst case G12345678"
    wb.save(path)
    assert check_release(release, POLICY) == ["tables.xlsx Notes!B4: case group identifier 'G12345678'"]


def test_unsuppressed_count_and_identifier_in_ods(release, tmp_path):
    """The OpenDocument spreadsheet is checked like the xlsx: made here from a spoiled copy."""
    wb = openpyxl.load_workbook(release / "tables.xlsx")
    cells = [c for row in wb["Table_11"].iter_rows() for c in row if c.value == "[c]"]
    cells[0].value = 7
    money = [c for row in wb["Table_8"].iter_rows() for c in row if isinstance(c.value, float)]
    money[0].value = 3.5  # a small money figure is not a count
    wb["Notes"]["B4"] = "Worst case G12345678"
    wb.save(tmp_path / "spoiled.xlsx")
    write_ods(tmp_path / "spoiled.xlsx", release / "tables.ods", title="CMS", created=datetime(2016, 8, 31))
    assert check_release(release, POLICY) == [
        "tables.ods Notes!R4C2: case group identifier 'G12345678'",
        f"tables.ods Table_11!R{cells[0].row}C{cells[0].column}: unsuppressed count 7 below 10"]


@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="pdftotext (poppler-utils) not installed")
def test_identifier_in_pdf(release):
    _pdf(release / "book.pdf", "Example case C12345678 paid.")
    assert check_release(release, POLICY) == ["book.pdf: case identifier 'C12345678'"]


def test_identifier_in_json(release):
    path = release / "manifest.json"
    m = json.loads(path.read_text())
    m["extra"] = {"example": "Y123456789"}
    path.write_text(json.dumps(m))
    assert check_release(release, POLICY) == ["manifest.json: payment identifier 'Y123456789'"]


def test_vendored_mathjax_is_not_screened_but_other_static_text_is(release):
    # MathJax is copied unchanged into every release: screening its 8 MB took most of the
    # check. Any other text file under _static is still ours to screen.
    for rel in ("html/_static/mathjax/sre/mathmaps/en.json", "html/_static/notes.json"):
        (release / rel).parent.mkdir(parents=True, exist_ok=True)
        (release / rel).write_text('{"example": "Y123456789"}')
    assert check_release(release, POLICY) == [
        "html/_static/notes.json: payment identifier 'Y123456789'"]


def test_missing_release_folder(tmp_path):
    assert check_release(tmp_path / "nope", POLICY) == [f"{tmp_path / 'nope'}: release folder not found"]


def _design_identifiers() -> list[tuple[str, str, int]]:
    """(kind, prefix letter, digits) of every identifier DESIGN.md lists, read from its words."""
    text = (paths.PROJECT_ROOT / "DESIGN.md").read_text(encoding="utf-8")
    para = text.split("Identifiers (pseudonymous, never published):", 1)[1].split("Dates are", 1)[0]
    para = " ".join(para.split())
    found = re.findall(r"(?:^|, )([a-z][a-z ]*) `([A-Z])` \+ (\d+) digits", para)
    return [(kind, letter, int(n)) for kind, letter, n in found]


def test_every_identifier_kind_in_design_is_screened(release):
    kinds = _design_identifiers()
    assert len(kinds) == 11  # the paragraph was read
    assert [k for k, _, _ in kinds] == [k.replace("_", " ") for k in contract.identifier_patterns()]
    idents = [letter + "".join(str((i + 3) % 10) for i in range(n)) for _, letter, n in kinds]
    _notebook(release / "notebooks" / "caseload.ipynb", "examples: " + ", ".join(idents) + "\n")
    assert check_release(release, POLICY) == [
        f"notebooks/caseload.ipynb cell 2 output 1: {kind} identifier {ident!r}"
        for (kind, _, _), ident in zip(kinds, idents)
    ]


def test_every_identifier_column_is_an_extract_column():
    assert set(contract.identifier_columns()) <= set(extract_columns())
    assert "case_id" in extract_columns() and "calls_received" not in extract_columns()


def test_new_identifier_in_the_contract_is_screened(release, monkeypatch):
    """A new identifier kind and column in (a copy of) the contract is screened, unchanged code."""
    _notebook(release / "notebooks" / "caseload.ipynb", "court order O12345678\n")
    path = release / "csv" / "T2.csv"
    path.write_text(path.read_text().replace("breakdown", "court_order_id"))
    assert check_release(release, POLICY) == []  # not (yet) an identifier of the contract

    monkeypatch.setattr(contract, "ID_PATTERNS", {**contract.ID_PATTERNS, "court_order": r"O[0-9]{8}"})
    spec = contract.CONTRACT["applications"]
    court_order = contract.Column("court_order_id", "id", id_kind="court_order")
    spec = dataclasses.replace(spec, columns=spec.columns + (court_order,))
    monkeypatch.setattr(contract, "CONTRACT", {**contract.CONTRACT, "applications": spec})
    assert check_release(release, POLICY) == [
        "csv/T2.csv header: extract column name 'court_order_id' in a published table",
        "notebooks/caseload.ipynb cell 2 output 1: court order identifier 'O12345678'",
    ]


# --- screened while the PDF prints (cms_stats.release.outputs.screen_ahead) ----------------------

def _spoil_html(release):
    page = release / "html" / "caseload.html"
    page.write_text(page.read_text().replace("</body>", "<p>See case C12345678.</p></body>"))


def _spoil_csv(release):
    path = release / "csv" / "T11.csv"
    path.write_text(path.read_text().replace("[c]", "7", 1))


@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="pdftotext (poppler-utils) not installed")
def test_what_the_release_writes_after_screening_ahead_is_screened(release):
    """The release screens its folder while the PDF prints, then what came or changed since:
    the PDF written meanwhile, a file changed after the first pass, a problem found ahead."""
    from cms_stats.release import ReleaseError
    from cms_stats.release.outputs import check_disclosure, screen_ahead

    (release / "book.pdf").unlink()  # still printing
    ahead = screen_ahead(release)
    assert ahead["problems"] == [] and "book.pdf" not in ahead["files"]
    _pdf(release / "book.pdf", "Example case C12345678 paid.")
    with pytest.raises(ReleaseError, match=r"book.pdf: case identifier 'C12345678'"):
        check_disclosure(release, ahead=ahead)

    _pdf(release / "book.pdf", "Caseload stood at 338,900.")
    ahead = screen_ahead(release)
    check_disclosure(release, ahead=ahead)  # nothing changed: clean
    _spoil_html(release)  # changed after the first pass
    with pytest.raises(ReleaseError, match=r"html/caseload.html: case identifier"):
        check_disclosure(release, ahead=ahead)
    with pytest.raises(ReleaseError, match=r"html/caseload.html: case identifier"):
        check_disclosure(release, ahead=screen_ahead(release))  # found ahead, reported


@pytest.mark.parametrize("spoil, audited", [(_spoil_csv, True), (_spoil_html, False)])
def test_the_audit_runs_again_when_a_file_it_reads_changed(release, monkeypatch, spoil, audited):
    from cms_stats.release import ReleaseError, outputs
    from cms_stats.release.outputs import check_disclosure, screen_ahead

    calls = []
    real = outputs.audit_tables
    monkeypatch.setattr(outputs, "audit_tables", lambda *a: calls.append(1) or real(*a))
    ahead = screen_ahead(release)
    assert len(calls) == 1
    spoil(release)
    with pytest.raises(ReleaseError):
        check_disclosure(release, ahead=ahead)
    assert len(calls) == (2 if audited else 1)


def test_the_audit_is_kept_with_the_files_it_reads(release, tmp_path, monkeypatch):
    """Reused when the release's and the earlier editions' CSV files are those it was computed
    from; computed again when one of them changed."""
    from cms_stats.release import outputs

    calls = []
    real = outputs.audit_tables
    monkeypatch.setattr(outputs, "audit_tables", lambda *a: calls.append(1) or real(*a))
    earlier = shutil.copytree(release, tmp_path / "earlier" / "2016-05")
    kept = tmp_path / "kept"

    def screen():
        return outputs.screen_ahead(release, [earlier], kept=kept)

    assert screen()["audit"] == "computed" and len(calls) == 1
    assert screen() == {**screen(), "audit": "reused"} and len(calls) == 1
    path = release / "csv" / "T2.csv"
    path.write_text(path.read_text().replace("338,900", "338,800").replace("338900", "338800"))
    assert screen()["audit"] == "computed" and len(calls) == 2
    path = earlier / "csv" / "T11.csv"
    path.write_text(path.read_text().replace("[c]", "[x]", 1))
    found = screen()
    assert found["audit"] == "computed" and len(calls) == 3
    assert screen() == {**found, "audit": "reused"} and len(calls) == 3


def test_each_file_s_screening_is_kept_with_its_content(release, tmp_path, monkeypatch):
    """A file of the same path and content is not screened again; an identifier planted in a
    changed file is found, a problem of an unchanged file is still reported, and a change to
    the screens (the contract) screens every file again."""
    from cms_stats.publish import disclosure
    from cms_stats.release import outputs

    screened = []
    real = disclosure._check_html
    monkeypatch.setattr(disclosure, "_check_html",
                        lambda path, rel, screen: screened.append(rel) or real(path, rel, screen))
    kept = tmp_path / "screened"

    def screen():
        screened.clear()
        return outputs.screen_ahead(release, screened=kept)

    first = screen()
    pages = sorted(screened)
    assert pages and first["problems"] == [] and first["screening"]["reused"] == 0
    again = screen()
    assert screened == [] and again["screening"] == {"screened": 0,
                                                     "reused": first["screening"]["screened"]}
    _spoil_html(release)  # a changed file: screened again, its identifier found
    spoiled = screen()
    assert screened == ["html/caseload.html"]
    assert any("html/caseload.html: case identifier 'C12345678'" in p
               for p in spoiled["problems"])
    assert screen()["problems"] == spoiled["problems"] and screened == []  # kept, reported
    assert spoiled["problems"] == outputs.screen_ahead(release)["problems"]  # as unkept
    monkeypatch.setattr(contract, "ID_PATTERNS", {**contract.ID_PATTERNS, "court_order": r"O[0-9]{8}"})
    spec = contract.CONTRACT["applications"]
    court_order = contract.Column("court_order_id", "id", id_kind="court_order")
    spec = dataclasses.replace(spec, columns=spec.columns + (court_order,))
    monkeypatch.setattr(contract, "CONTRACT", {**contract.CONTRACT, "applications": spec})
    screen()
    assert sorted(screened) == pages  # other screens: every file screened again
