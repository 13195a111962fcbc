"""The release end to end on small synthetic data: folder layout, web book, PDF, headline numbers,
offline reading, and failures that leave the previous release intact."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from cms_stats import paths
from cms_stats.months import add_months
from cms_stats.registry import load_registry
from cms_stats.release import ReleaseError, book_chapters, release

pytestmark = pytest.mark.slow

# The chapters, in order, with their page titles (the specification of the book).
CHAPTERS = [
    ("summary", "Summary"),
    ("intake", "Intake"),
    ("caseload", "Caseload"),
    ("fee_exemptions", "Application fee exemptions"),
    ("clearances", "Applications cleared and time to clear"),
    ("children", "Children benefiting"),
    ("compliance", "Compliance and service type"),
    ("arrears", "Arrears and liability"),
    ("enforcement", "Enforcement"),
    ("areas", "Areas"),
    ("service_standards", "Service standards"),
    ("explore", "Create your own table"),
    ("methodology", "Methodology"),
    ("about", "About these statistics"),
]


def _page(release_dir: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((release_dir / "html" / "notebooks" / f"{name}.html").read_text(), "html.parser")


def _tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_toc_lists_the_chapters_in_order():
    chapters = book_chapters()
    assert [c.name for c in chapters] == [name for name, _ in CHAPTERS]
    assert [c.title for c in chapters] == [title for _, title in CHAPTERS]


def test_release_folder_layout(small_release, small_work):
    assert small_release.name == "2016-08"
    top = {p.name for p in small_release.iterdir()}
    assert top == {"html", "book.pdf", "notebooks", "tables.xlsx", "tables.ods", "csv", "manifest.json",
                   "cms-statistics-2016-08.zip"}
    assert (small_release / "html" / "index.html").is_file()
    assert sorted(p.name for p in (small_release / "notebooks").iterdir()) == sorted(
        f"{name}.ipynb" for name, _ in CHAPTERS)
    csv_files = {p.name for p in (small_release / "csv").iterdir()}
    assert "metadata.json" in csv_files
    assert {f"{t}.csv" for t in load_registry().table_order if t != "DQ"} <= csv_files
    # Unrounded working files stay out of the release.
    assert not list(small_release.rglob("*.parquet"))
    assert not list(small_release.rglob("validation.json"))
    for name in ("measures.parquet", "published.parquet", "validation.json", "extract.json"):
        assert (small_work / name).is_file(), name
    # Nothing half-written left next to it.
    assert [p.name for p in small_release.parent.iterdir()] == ["2016-08"]


def test_the_data_files_a_user_loads(small_release):
    """The release's own files: EES files pass the screener's rules, the ODS equals the xlsx cell
    by cell, the CSV metadata says what the files are, and the archive holds them all."""
    import zipfile

    from test_publish_ees import screen
    from test_publish_ods import _xlsx_cells

    ees = sorted(p for p in (small_release / "csv" / "ees").glob("*.csv") if not p.name.endswith(".meta.csv"))
    assert {p.stem for p in ees} == {f"table_{t[1:]}" for t in load_registry().tables_in_edition("2016-08")
                                     if t != "DQ"}
    for path in ees:
        assert screen(path) == [], path.name
    xlsx = _xlsx_cells(small_release / "tables.xlsx")
    ods = pd.read_excel(small_release / "tables.ods", sheet_name=None, header=None, engine="odf")
    assert list(ods) == list(xlsx)
    for name, rows in xlsx.items():
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                other = ods[name].iat[r, c]
                assert (pd.isna(other) if value is None else other == value), (name, r, c, value, other)
    meta = json.loads((small_release / "csv" / "metadata.json").read_text())
    assert meta["publication"]["synthetic"] is True and meta["publication"]["geography"]["code"] == "K03000001"
    with zipfile.ZipFile(small_release / "cms-statistics-2016-08.zip") as archive:
        names = set(archive.namelist())
    assert {"tables.ods", "csv/metadata.json", "csv/ees/table_1.csv", "csv/ees/table_1.meta.csv"} <= names


def test_manifest_records_the_parameters_and_data_hash(small_release, small_data, small_work):
    from cms_stats.publish.manifest import hash_folder

    manifest = json.loads((small_release / "manifest.json").read_text())
    params = manifest["parameters"]
    assert params["period"] == "2016-08"
    assert params["engine"] == "duckdb"  # the default measures engine, recorded
    assert params["data_hash"] == hash_folder(small_data) == manifest["inputs"]["combined_sha256"]
    # relative to the build root: no path of the build machine's scratch space
    assert small_release.parent.parent / params["work_dir"] == small_work
    # Each chapter ran with the hash of exactly the inputs it declares as its data_hash.
    from cms_stats.release import chapter_input_hashes

    names = [p.stem for p in (small_release / "notebooks").glob("*.ipynb")]
    expected = chapter_input_hashes(small_work, names)
    assert params["chapter_data_hashes"] == expected
    for name in names:
        nb = json.loads((small_release / "notebooks" / f"{name}.ipynb").read_text())
        assert nb["metadata"]["papermill"]["parameters"]["data_hash"] == expected[name], name
    # chapters that declare different inputs read different things (the table builder's page
    # and About declare the same: no table, the extract's and the edition's facts)
    from cms_stats.registry import load_registry

    declared = {n: (load_registry().chapter(n).tables, load_registry().chapter(n).files)
                for n in names}
    for a in names:
        for b in names:
            assert (expected[a] == expected[b]) == (declared[a] == declared[b]), (a, b)
    assert len(set(expected.values())) == len(set(declared.values())) >= len(names) - 1
    # The manifest names the files checked and the quarantine reasons, never exact row counts
    # (a snapshot's row count is that month's unrounded caseload).
    assert set(manifest["extra"]["validation"]) == {"files_checked", "quarantine_reasons"}
    assert all(isinstance(f, str) for f in manifest["extra"]["validation"]["files_checked"])


def test_every_chapter_page_exists_with_its_title(small_release):
    for name, title in CHAPTERS:
        page = _page(small_release, name)
        h1 = page.find("article").find("h1")
        assert h1 is not None and h1.get_text(" ", strip=True).rstrip("#").strip() == title, name


def test_every_page_says_the_data_is_synthetic(small_release, small_work):
    assert json.loads((small_work / "extract.json").read_text())["source"] == "synthetic"
    for name, _ in CHAPTERS:
        banner = _page(small_release, name).find(class_="bd-header-announcement")
        assert banner is not None and "SYNTHETIC" in banner.get_text(), name


def test_injected_parameters_are_hidden(small_release):
    for name, _ in CHAPTERS:
        text = (small_release / "html" / "notebooks" / f"{name}.html").read_text()
        assert "work_dir" not in text and "data_hash" not in text, name
    nb = json.loads((small_release / "notebooks" / "summary.ipynb").read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "remove-cell" in injected[0]["metadata"]["tags"]


def test_released_notebooks_carry_no_path_of_the_build_machine(small_release, small_data):
    """The chapters find their working files through the build root; papermill's record of its
    input and output paths is dropped. A reader's copy names no folder of ours."""
    build_root = small_release.parent.parent
    for nb_path in (small_release / "notebooks").glob("*.ipynb"):
        text = nb_path.read_text()
        for folder in (build_root, small_data, Path(paths.PROJECT_ROOT)):
            assert str(folder) not in text, (nb_path.name, str(folder))
        params = json.loads(text)["metadata"]["papermill"]["parameters"]
        assert set(params) == {"period", "chapter", "data_hash", "previous"}
        assert params["chapter"] == nb_path.stem


def test_nothing_is_fetched_from_the_internet(small_release):
    remote = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["'](https?:)?//""", re.I)
    pages = list((small_release / "html").rglob("*.html"))
    assert len(pages) >= len(CHAPTERS)
    for page in pages:
        for m in remote.finditer(page.read_text()):
            tag = page.read_text()[m.start():m.end() + 200]
            # <link rel="canonical"> and the like are not fetched; stylesheets and icons are.
            assert m.group(1).lower() == "link" and not re.search(r'rel="(stylesheet|icon|preload)', tag), \
                f"{page}: {tag[:120]}"
    for css in (small_release / "html").rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//(?!www\.w3\.org)", css.read_text()), css
    # MathJax is served from the book itself.
    summary = (small_release / "html" / "notebooks" / "summary.html").read_text()
    if "mathjax" in summary.lower():
        assert re.search(r'src="\.\./_static/mathjax/tex-chtml\.js', summary)
    assert (small_release / "html" / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_pdf_is_a4_and_holds_every_chapter_title(small_release):
    pdf = small_release / "book.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    for _, title in CHAPTERS:
        assert title in flat, title
    assert "SYNTHETIC" in flat
    # Navigation is not printed.
    assert "Skip to main content" not in flat and "Ctrl+K" not in flat


# --- the headline numbers shown equal the measures, rounded by the publication policy -------

def _expected(measures: pd.DataFrame, policy, table: str, measure: str, month: str,
              breakdown: str = "all") -> str:
    """The published text of one measure, rounded here from ``measures.parquet``."""
    from cms_stats.publish.rounding import round_value

    row = measures[(measures.table == table) & (measures.measure == measure)
                   & (measures.breakdown == breakdown) & (measures.period == month)]
    assert len(row) == 1, (table, measure, breakdown, month)
    unit = row.unit.iloc[0]
    value = round_value(float(row.value.iloc[0]), table, measure, unit, policy)
    if unit == "count":
        return f"{int(value):,}"
    if unit == "gbp":
        return f"£{float(value):.1f}m"
    if unit == "share":
        return f"{int(value)}%"
    raise AssertionError(unit)


# (words that identify the headline, table, measure, breakdown, month offset)
HEADLINE_FIGURES = [
    ("Caseload stood at", "T2", "caseload", "all", 0),
    ("Outstanding maintenance arrears", "T8", "outstanding_arrears", "all", 0),
    ("Changes of circumstances", "T9", "changes_of_circumstances_received", "all", -1),
    ("Changes of circumstances", "T9", "cleared_within_28_days_share", "all", -1),
    ("Total intake", "T1", "total_intake", "all", 0),
    ("case groups with a current liability", "T5", "case_groups_contributing_share", "all", 0),
    ("case groups with a current liability", "T6", "cash_paid_share", "all", 0),
    ("children benefited", "T4", "children_benefiting", "estimate", 0),
    ("children benefited", "T4", "children_benefiting", "lower_95", 0),
    ("children benefited", "T4", "children_benefiting", "upper_95", 0),
    ("Accuracy", "T14", "accuracy_share", "all", 0),
]


def test_summary_headlines_equal_the_rounded_measures(small_release, small_work):
    from cms_stats.publish.policy import load_policy

    measures = pd.read_parquet(small_work / "measures.parquet")
    published = pd.read_parquet(small_work / "published.parquet")
    policy = load_policy()
    section = _page(small_release, "summary").find("section", id="headlines")
    items = [" ".join(li.get_text(" ", strip=True).split()) for li in section.find_all("li")]
    assert len(items) >= 5
    for words, table, measure, breakdown, offset in HEADLINE_FIGURES:
        month = add_months("2016-08", offset)
        shown = _expected(measures, policy, table, measure, month, breakdown)
        symbol = published[(published.table == table) & (published.measure == measure)
                           & (published.breakdown == breakdown) & (published.period == month)]
        if symbol.value.iloc[0] in ("[c]", "[low]"):
            # withheld by the disclosure control (a share of a suppressed count, a small sample):
            # the headline says so instead of the figure the rounding alone would give
            shown = symbol.value.iloc[0]
        matching = [t for t in items if words in t]
        assert matching, f"no headline about {words!r}: {items}"
        assert any(re.search(rf"(?<![\d,.]){re.escape(shown)}(?!\d|[,.]\d)", t) for t in matching), \
            f"{measure} {breakdown} {month}: expected {shown} in {matching}"


# --- failures --------------------------------------------------------------------------------

@pytest.fixture
def build_copy(small_release, tmp_path) -> Path:
    """A copy of the small release's build root, so a failing release cannot harm the fixture."""
    root = tmp_path / "build"
    shutil.copytree(small_release.parent.parent, root, symlinks=True)
    return root


def _broken_notebooks(tmp_path: Path, name: str, cell: str) -> Path:
    notebooks = tmp_path / "notebooks"
    shutil.copytree(paths.NOTEBOOKS_DIR, notebooks)
    page = notebooks / f"{name}.md"
    page.write_text(page.read_text() + f"\n```{{code-cell}} ipython3\n{cell}\n```\n")
    return notebooks


def test_a_failing_chapter_fails_the_release_and_keeps_the_previous_one(
        small_data, build_copy, tmp_path):
    final = build_copy / "release" / "2016-08"
    before = _tree_digest(final)
    notebooks = _broken_notebooks(tmp_path, "summary", 'raise ValueError("boom in the summary")')
    with pytest.raises(ReleaseError) as err:
        release("2016-08", data_dir=small_data, progress=None, build_dir=build_copy,
                notebooks_dir=notebooks)
    message = str(err.value)
    assert "\n" not in message
    assert "Summary" in message and "ValueError" in message and "boom in the summary" in message
    assert _tree_digest(final) == before
    assert [p.name for p in final.parent.iterdir()] == ["2016-08"]


def test_a_book_warning_fails_the_release_naming_the_chapter(small_release, tmp_path):
    """A broken cross-reference in a chapter's prose is a Sphinx warning: the build fails."""
    import nbformat

    from cms_stats.release.website import build_books

    cache = tmp_path / "cache"
    shutil.copytree(small_release.parent.parent / "cache" / "2016-08" / "book", cache / "book")
    target = cache / "book" / "notebooks" / "caseload.ipynb"
    nb = nbformat.read(target, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("See {doc}`a chapter that does not exist <nowhere>`."))
    nbformat.write(nb, target)
    with pytest.raises(ReleaseError) as err:
        build_books(cache / "book", cache, book_chapters())
    message = str(err.value)
    assert "\n" not in message
    assert "Caseload" in message and "nowhere" in message


# --- working files and revisions ---------------------------------------------------------------

def test_prepare_work_with_previous_writes_revisions(small_data, tmp_path, monkeypatch):
    """Figures of the previous edition (as published in its csv/) are revised by the policy."""
    from cms_stats.publish.tidy_csv import write_csv
    from cms_stats.release import prepare_work

    monkeypatch.setenv("CMS_STATS_BUILD_DIR", str(tmp_path))
    work_may = prepare_work("2016-05", small_data)
    assert work_may == tmp_path / "work" / "2016-05"
    assert not (work_may / "revisions.csv").exists()
    published_may = pd.read_parquet(work_may / "published.parquet")
    # The previous edition as published, with two figures altered: caseload in 2016-05 by far
    # (revised) and total intake in 2016-05 by under 5% (not revised: the old figure is kept).
    prev = published_may.copy()
    row_big = (prev.table == "T2") & (prev.measure == "caseload") & (prev.breakdown == "all") & (
        prev.period == "2016-05")
    row_small = (prev.table == "T1") & (prev.measure == "total_intake") & (prev.period == "2016-05")
    assert row_big.sum() == 1 and row_small.sum() == 1
    big_now = int(str(prev.loc[row_big, "value"].iloc[0]).replace(",", ""))
    small_now = int(str(prev.loc[row_small, "value"].iloc[0]).replace(",", ""))
    prev.loc[row_big, "value"] = str(big_now * 2)
    prev.loc[row_small, "value"] = str(round(small_now * 1.03))
    write_csv(prev, tmp_path / "release" / "2016-05")

    work = prepare_work("2016-08", small_data, tmp_path / "work-aug", previous="2016-05")
    revisions = pd.read_csv(work / "revisions.csv", dtype=str, keep_default_na=False)
    published = pd.read_parquet(work / "published.parquet")

    def pick(frame, mask_frame):
        return frame[(frame.table == mask_frame[0]) & (frame.measure == mask_frame[1])
                     & (frame.breakdown == "all") & (frame.period == "2016-05")]

    big = pick(revisions, ("T2", "caseload"))
    assert len(big) == 1 and big.is_revised.iloc[0] == "True"
    assert str(pick(published, ("T2", "caseload")).value.iloc[0]).replace(",", "") == str(big_now)
    if small_now * 0.03 >= 1:  # the altered figure differs once rounded
        small = pick(revisions, ("T1", "total_intake"))
        assert len(small) == 1 and small.is_revised.iloc[0] == "False"
        assert str(pick(published, ("T1", "total_intake")).value.iloc[0]).replace(",", "") == \
            str(round(small_now * 1.03))


def test_previous_period_without_a_release_is_a_clear_error(small_data, tmp_path, monkeypatch):
    from cms_stats.release import prepare_work

    monkeypatch.setenv("CMS_STATS_BUILD_DIR", str(tmp_path))
    with pytest.raises(ReleaseError, match="previous period 2016-05: no published release"):
        prepare_work("2016-08", small_data, previous="2016-05")


def test_period_outside_the_data_is_a_clear_error(small_data, tmp_path):
    from cms_stats.extracts import ExtractError

    with pytest.raises(ExtractError, match="outside the data"):
        release("2017-02", data_dir=small_data, progress=None, build_dir=tmp_path)
    assert not (tmp_path / "release" / "2017-02").exists()


def test_period_outside_the_data_fails_on_the_command_line_in_one_line(small_data, tmp_path):
    """The CLI: exit 2, one line naming the file, no traceback, no release folder written."""
    import os
    import sys

    env = dict(os.environ, CMS_STATS_BUILD_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "cms_stats.cli", "release", "--period", "2013-02",
                           "--data", str(small_data)], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "extract.json" in lines[0] and "outside the data" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "release").exists() or not any((tmp_path / "release").iterdir())


def test_the_earliest_edition_releases(small_data, tmp_path):
    """Any edition: the first quarter end the default data covers (2014-02) comes before fees,
    service type and arrears-only applications; its chapters say so instead of failing."""
    out = release("2014-02", data_dir=small_data, build_dir=tmp_path, progress=None)
    in_book = load_registry().chapters_in_edition("2014-02")
    for name, title in CHAPTERS:
        # clearances, enforcement and areas (tables first published in 2016-08): not in this book
        assert (out / "html" / "notebooks" / f"{name}.html").is_file() == (name in in_book), name
    assert {"clearances", "enforcement", "areas"} == {n for n, _ in CHAPTERS} - set(in_book)
    fees = _page(out, "fee_exemptions").get_text(" ", strip=True)
    assert "Application fees were introduced on 30 June 2014" in fees
    assert "no fee-paying applications or exemptions to report" in fees
    compliance = _page(out, "compliance").get_text(" ", strip=True)
    assert "no service type split to report" in compliance
    summary = _page(out, "summary").get_text(" ", strip=True)
    assert "February 2014" in summary and "November 2013" in summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["period"] == "2014-02"


@pytest.mark.parametrize("corrupt", ["missing_month", "negative_money"])
def test_bad_data_fails_the_release_in_one_line_and_keeps_the_previous_one(
        small_data, build_copy, tmp_path, corrupt):
    """Bad input on the command line: exit 2, one line naming the file, no traceback; the
    previous release is untouched and nothing half-written is left beside it."""
    import os
    import sys

    import pyarrow.parquet as pq

    data = tmp_path / "data"
    shutil.copytree(small_data, data)
    if corrupt == "missing_month":
        (data / "snapshots" / "cases_2015-06.parquet").unlink()
        names = "snapshots/cases_2015-06.parquet"
    else:
        path = data / "events" / "payments.parquet"
        table = pq.read_table(path)
        amounts = table.column("amount").to_pylist()
        amounts[2] = -amounts[2]
        idx = table.schema.get_field_index("amount")
        pq.write_table(table.set_column(idx, table.schema.field(idx), [amounts]), path)
        names = "events/payments.parquet"
    final = build_copy / "release" / "2016-08"
    before = _tree_digest(final)
    env = dict(os.environ, CMS_STATS_BUILD_DIR=str(build_copy))
    done = subprocess.run([sys.executable, "-m", "cms_stats.cli", "release", "--period", "2016-08",
                           "--data", str(data)], capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert _tree_digest(final) == before
    assert [p.name for p in final.parent.iterdir()] == ["2016-08"]
