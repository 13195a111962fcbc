"""The "Create your own table" page (issue 16): a table builder over the published figures.

Its data (``html/_static/explore/data.js``) are built from the release's ``csv/`` files and
nothing else (a hand-worked folder; the disclosure check refuses a figure that differs from the
CSV). In Chromium, the builder's own script and data are driven like a reader would: every
cell it can show is compared with the published CSV files, rows and columns are swapped, the
CSV download is a set of published rows, the permanent link reproduces the table, axe finds
nothing at 1280 and 390 px, and it works opened from a copy of the folder (``file://``).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from cms_stats.book.cells import symbol_links
from cms_stats.book.downloads import EXPLORE_CHAPTER, downloads_bar
from cms_stats.publish import load_metadata, load_policy
from cms_stats.publish.disclosure import check_release
from cms_stats.publish.explore import (EXPLORE_DATA, explore_data, explore_data_problems,
                                       read_explore_data, write_explore_data)
from cms_stats.publish.rounding import publication_tables
from cms_stats.publish.tidy_csv import CSV_COLUMNS, read_csv
from cms_stats.qa.site import CHROMIUM

# -- the data, from a hand-made csv/ folder ---------------------------------------------------

T2_ROWS = [  # (period, measure, breakdown, value, unit)
    ("2016-07", "caseload", "new_application", "12300", "count"),
    ("2016-07", "caseload", "arrears_only", "[c]", "count"),
    ("2016-07", "caseload", "all", "12400", "count"),
    ("2016-08", "caseload", "new_application", "12500", "count"),
    ("2016-08", "caseload", "arrears_only", "200", "count"),
    ("2016-08", "caseload", "all", "12700", "count"),
]
T3_ROWS = [
    ("2016-08", "fee_paying_applications", "all", "1230", "count"),
    ("2016-08", "fee_exemption_share", "all", "34", "share"),
]


def _write(folder: Path, table: str, rows) -> None:
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for p, m, b, v, u in rows:
            number = not v.startswith("[")
            w.writerow([table, p, m, b, v, u, v if number else "", "" if number else v])


@pytest.fixture()
def hand_release(tmp_path) -> Path:
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    _write(csv_dir, "T2", T2_ROWS)
    _write(csv_dir, "T3", T3_ROWS)
    (csv_dir / "metadata.json").write_text(json.dumps(
        {"publication": {"title": "CMS", "period": "2016-08", "period_words": "August 2016",
                         "synthetic": True}}), encoding="utf-8")
    (tmp_path / "html").mkdir()
    return tmp_path


def test_the_data_are_the_csv_figures_with_the_book_tables_headers(hand_release):
    data = explore_data(hand_release / "csv", symbol_links=symbol_links())
    assert [t["id"] for t in data["tables"]] == ["T2", "T3"]
    t2 = data["tables"][0]
    assert t2["periods"] == ["2016-07", "2016-08"]
    assert t2["period_labels"] == ["Jul 2016", "Aug 2016"]
    assert t2["period_header"] == "Month end"
    # worked by hand from the rows above, columns in the file's order
    assert [(c["measure"], c["breakdown"], c["values"]) for c in t2["columns"]] == [
        ("caseload", "new_application", ["12300", "12500"]),
        ("caseload", "arrears_only", ["[c]", "200"]),
        ("caseload", "all", ["12400", "12700"]),
    ]
    # T3 has one month only: a figure the CSV does not have is null (shown as [x])
    t3 = data["tables"][1]
    assert [(c["measure"], c["values"], c["decimals"]) for c in t3["columns"]] == [
        ("fee_paying_applications", ["1230"], 0), ("fee_exemption_share", ["34"], 0)]
    assert data["symbols"]["[c]"]["href"] == "methodology.html#protecting-confidentiality"
    # headers, decimals and period headers are the book's own tables' (publication_tables)
    book = publication_tables(read_csv(hand_release), load_policy(), load_metadata())
    for t in data["tables"]:
        wide = book[t["id"]]
        assert [c["header"] for c in t["columns"]] == list(wide.columns[1:])
        assert [c["decimals"] for c in t["columns"]] == [
            wide.attrs["columns"][c["header"]]["decimals"] for c in t["columns"]]
        assert t["period_header"] == wide.columns[0]
    assert data["tables"][0]["notes"] == [load_metadata()["notes"][n]
                                           for n in load_metadata()["tables"]["T2"]["notes"]]


def test_a_figure_that_is_not_the_published_one_stops_the_release(hand_release):
    write_explore_data(hand_release, symbol_links=symbol_links())
    assert explore_data_problems(hand_release) == []
    path = hand_release / EXPLORE_DATA
    clean = path.read_bytes()
    data = read_explore_data(path)
    data["tables"][0]["columns"][1]["values"][0] = "7"  # a [c] figure un-suppressed
    path.write_text("window.CMS_EXPLORE_DATA = " + json.dumps(data) + ";\n", encoding="utf-8")
    problems = explore_data_problems(hand_release)
    assert problems == ["html/_static/explore/data.js: T2 2016-07 caseload arrears_only: "
                        "shows '7', csv/T2.csv has '[c]'"]
    assert any("shows '7'" in p for p in check_release(hand_release))
    # a published row the builder does not have is reported as well
    path.write_bytes(clean)
    _write(hand_release / "csv", "T3", T3_ROWS + [("2016-08", "fee_exemptions", "all", "600",
                                                   "count")])
    assert explore_data_problems(hand_release) == [
        "html/_static/explore/data.js: T3 2016-08 fee_exemptions all: shows None, "
        "csv/T3.csv has '600'"]


def test_every_chapter_but_the_builder_links_it():
    html, text = downloads_bar("2016-08", "2016-08", "intake")
    assert '<a href="explore.html">create your own table</a>' in html and "explore.html" in text
    assert "explore.html" not in downloads_bar("2016-08", "2016-08", EXPLORE_CHAPTER)[0]


# -- in Chromium, over the small release ---------------------------------------------------------

browser_only = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")


@pytest.fixture(scope="module")
def base(small_release):
    from cms_stats.qa import serve

    with serve(small_release) as url:
        yield url


def _open(browser, url: str, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    errors = []
    # (the browser's own request for /favicon.ico is not the page's)
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url', '')}")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    page.wait_for_selector("#cms-explore[data-ready]")
    page.errors = errors
    return page


_GRID_JS = """() => {
  const t = document.querySelector('#cms-explore-result table');
  return [...t.rows].map(r => [...r.cells].map(c => {
    const a = c.querySelector('a');
    return [c.tagName, c.textContent, a ? a.getAttribute('href') : null, c.getAttribute('scope')];
  }));
}"""


def _shown(value: str) -> str:
    """The book's own formatting of a published figure (thousands separators, its decimals)."""
    if value.startswith("["):
        return value
    decimals = len(value.split(".")[1]) if "." in value else 0
    return f"{float(value):,.{decimals}f}" if decimals else f"{int(value):,}"


#: Ticks every breakdown box not ticked yet (as a reader would, one by one); returns how many.
_TICK_EVERY_BREAKDOWN_JS = """() => {
  const box = document.querySelector('#cms-explore-breakdowns');
  const off = [...box.querySelectorAll('input:not(:checked)')];
  off.forEach((i) => { i.checked = true; });
  if (off.length) box.dispatchEvent(new Event('change'));
  return off.length;
}"""


@browser_only
@pytest.mark.slow
def test_every_cell_the_builder_can_show_is_the_published_figure(small_release, browser, base):
    published = read_csv(small_release)
    links = symbol_links()
    page = _open(browser, base + "html/notebooks/explore.html")
    tables = page.evaluate("() => CMS_EXPLORE_DATA.tables.map(t => [t.id, t.periods])")
    assert [t for t, _ in tables] == sorted(published["table"].unique(),
                                            key=lambda t: (t == "DQ", int(t[1:]) if t != "DQ" else 0))
    seen = set()
    for table, periods in tables:
        # the whole table: every figure, every breakdown, every month (the default choice, but
        # for a table of many areas, whose others the reader ticks)
        page.select_option("#cms-explore-table", table)
        ticked = page.evaluate(_TICK_EVERY_BREAKDOWN_JS)
        assert (ticked > 0) == (table == "T22"), table
        page.select_option("#cms-explore-from", periods[0])
        page.select_option("#cms-explore-to", periods[-1])
        grid = page.evaluate(_GRID_JS)
        headers = [h for _, h, _, _ in grid[0][1:]]
        book = publication_tables(published[published["table"] == table], load_policy(),
                                  load_metadata())[table]
        assert headers == list(book.columns[1:]), table  # every column the book's table has
        keys = {h: (v["measure"], v["breakdown"]) for h, v in book.attrs["columns"].items()}
        part = published[published["table"] == table].set_index(["period", "measure", "breakdown"])
        assert len(grid) - 1 == len(periods)
        for period, row in zip(periods, grid[1:]):
            assert row[0][0] == "TH" and row[0][3] == "row"
            for header, (tag, text, href, _) in zip(headers, row[1:]):
                key = (period, *keys[header])
                value = part["value"].get(key, "[x]")  # absent from the CSV: [x], as the book
                assert (tag, text) == ("TD", _shown(value)), (table, key)
                assert href == links.get(value), (table, key)
                seen.add((table, *key))
    # every published figure was shown
    assert seen >= set(published[["table", "period", "measure", "breakdown"]].itertuples(
        index=False, name=None))
    assert page.errors == []
    page.close()


@browser_only
@pytest.mark.slow
def test_choose_swap_download_and_reload_the_permanent_link(small_release, browser, base, tmp_path):
    published = read_csv(small_release)
    page = _open(browser, base + "html/notebooks/explore.html")
    # choose: Table 2, the arrears-only caseload only, March to August 2016
    page.select_option("#cms-explore-table", "T2")
    page.uncheck("#cms-explore-breakdowns input[value='all']")
    page.uncheck("#cms-explore-breakdowns input[value='new_application']")
    page.select_option("#cms-explore-from", "2016-03")
    page.select_option("#cms-explore-to", "2016-08")
    status = page.inner_text("#cms-explore-status")
    assert status.startswith("Showing Table 2") and "1 figure for 6 periods, months in rows" in status
    grid = page.evaluate(_GRID_JS)
    assert [r[0][1] for r in grid] == ["Month end", "Mar 2016", "Apr 2016", "May 2016",
                                       "Jun 2016", "Jul 2016", "Aug 2016"]
    # swap rows and columns: the same figures, transposed
    page.click("#cms-explore-swap")
    assert page.get_attribute("#cms-explore-swap", "aria-pressed") == "true"
    swapped = page.evaluate(_GRID_JS)
    texts = [[c[1] for c in r] for r in grid]
    texts[0][0] = "Figure"  # the corner names what the rows are
    assert [[c[1] for c in r] for r in swapped] == [list(x) for x in zip(*texts)]
    assert "figures in rows" in page.inner_text("#cms-explore-status")
    # the chart of the time series, with its text alternative
    assert page.locator("#cms-explore-chart svg[role=img] title").count() == 1
    # download: one row per figure, each a row of the published CSV, byte for byte
    with page.expect_download() as got:
        page.click("#cms-explore-download")
    target = tmp_path / got.value.suggested_filename
    got.value.save_as(target)
    assert target.name == "T2-2016-03-to-2016-08.csv"
    lines = target.read_text(encoding="utf-8").splitlines()
    csv_lines = (small_release / "csv" / "T2.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == csv_lines[0]
    assert len(lines) == 7 and set(lines[1:]) <= set(csv_lines[1:])
    frame = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)
    want = published[(published["table"] == "T2") & (published["breakdown"] == "arrears_only")
                     & (published["period"] >= "2016-03")].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame[want.columns], want)
    # the permanent link: a new page at that address shows the same table, swapped
    link = page.evaluate("() => document.getElementById('cms-explore-permalink').href")
    assert "table=T2" in link and "rows=figures" in link and page.url == link
    html = page.inner_html("#cms-explore-result")
    again = _open(browser, link)
    assert again.inner_html("#cms-explore-result") == html
    again.reload()
    again.wait_for_selector("#cms-explore[data-ready]")
    assert again.inner_html("#cms-explore-result") == html
    assert page.errors == [] and again.errors == []
    page.close()
    again.close()


@browser_only
@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_nothing_and_focus_is_visible(browser, base, width):
    from cms_stats.qa.axe import AXE_JS, AXE_RUN_JS, AXE_TAGS

    page = _open(browser, base + "html/notebooks/explore.html?table=T8&rows=figures", width)
    assert page.locator("#cms-explore-chart svg[role=img]").count() == 1  # a chart is on the page too
    page.add_script_tag(path=str(AXE_JS))
    assert page.evaluate(AXE_RUN_JS, list(AXE_TAGS)) == []
    # every control of the builder takes focus by keyboard, with a visible ring
    page.focus("#cms-explore-table")
    seen = []
    for _ in range(40):
        got = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
            return [e.id || e.tagName, s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; }""")
        seen.append(got)
        page.keyboard.press("Tab")
    ids = [i for i, _ in seen]
    for control in ("cms-explore-table", "cms-explore-figure-0", "cms-explore-breakdown-0",
                    "cms-explore-from", "cms-explore-to", "cms-explore-swap",
                    "cms-explore-download", "cms-explore-permalink"):
        assert control in ids, (control, ids)
    assert all(ring for i, ring in seen if i.startswith("cms-explore")), seen
    page.close()


@browser_only
@pytest.mark.slow
def test_it_works_from_a_copy_of_the_folder_and_is_small(small_release, browser, tmp_path):
    """Opened as a file (a copy on a laptop, no server): the same table. JS and data under
    1 MB compressed (the figures are printed)."""
    copy = tmp_path / "copy"
    shutil.copytree(small_release, copy)
    start = time.perf_counter()
    page = _open(browser, (copy / "html" / "notebooks" / "explore.html").as_uri())
    took = time.perf_counter() - start
    assert page.locator("#cms-explore-result td").count() > 0 and page.errors == []
    page.close()
    static = small_release / "html" / "_static" / "explore"
    sizes = {p.name: (p.stat().st_size, len(gzip.compress(p.read_bytes(), 9)))
             for p in sorted(static.iterdir())}
    print(f"table builder files (bytes, gzip -9): {sizes}; opened from file:// in {took:.2f} s")
    assert sum(gz for _, gz in sizes.values()) < 1_000_000
