"""The quarterly series built for real on the small data: an archive of three issues.

A small calendar (2016-05, 2016-08 and its correction) keeps the CI time modest. Every issue
is built from one extract folder, each from the data as known at its own cut-off (the folder's
recording and delivery dates): MI months re-delivered between two cut-offs are real revisions
against the earlier edition as published.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from cms_stats.calendar import CALENDAR_FILE, load_calendar
from cms_stats.files import hash_files

pytestmark = pytest.mark.slow


def _calendar(tmp: Path, corrections: bool) -> Path:
    data = yaml.safe_load(CALENDAR_FILE.read_text(encoding="utf-8"))
    eds = [e for e in data["editions"] if e["period"] in ("2016-05", "2016-08", "2016-11")]
    if not corrections:
        eds[1].pop("corrections")
    path = tmp / f"calendar-{int(corrections)}.yaml"
    path.write_text(yaml.safe_dump({"editions": eds}, sort_keys=False), encoding="utf-8")
    return path


def _redeliver(folder: Path, month: str, factor: float, day: dt.date) -> int:
    """Re-deliver one month of the telephony MI on ``day`` with calls received scaled from its
    latest delivery (a row appended, as a feed is; the Total row kept the sum of each month's
    latest delivery); returns the new calls received."""
    path = folder / "mi" / "telephony.xlsx"
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    total = rows.pop()
    latest = [r for r in rows if r[0] == month][-1]
    again = list(latest)
    again[header.index("calls_received")] = int(round(latest[header.index("calls_received")] * factor))
    again[header.index("delivered_date")] = day
    rows.append(again)
    final = {r[0]: r for r in rows}  # rows in delivery order: the last of a month is its latest
    for j in range(1, header.index("delivered_date")):
        total[j] = sum(r[j] for r in final.values())
    ws.delete_rows(2, ws.max_row)
    for r in [*rows, total]:
        ws.append(r)
    wb.save(path)
    return again[header.index("calls_received")]


@pytest.fixture(scope="module")
def series(small_data, tmp_path_factory):
    """Three issues built from ONE extract folder, each from the data as known at its own
    cut-off: the vintages of the folder make the revisions."""
    from cms_stats.editions import build_editions

    tmp = tmp_path_factory.mktemp("series")
    root = tmp / "build"
    first, second = (load_calendar(_calendar(tmp, c)) for c in (False, True))
    # The small folder as generated carries MI re-deliveries (a telephony month revised by less
    # than 5%, found below from the folder itself); two more re-deliveries make a revision of 5%
    # or more between the editions and a change for the correction to make: April 2016 calls
    # re-delivered +25% on 12 September 2016 (after the 2016-05 cut-off, before 2016-08's), and
    # August 2016 +50% on 14 November 2016 (after 2016-08's cut-off, before the correction's).
    folder = tmp / "extract"
    shutil.copytree(small_data, folder)
    revised = {"2016-04": _redeliver(folder, "2016-04", 1.25, dt.date(2016, 9, 12)),
               "2016-08": _redeliver(folder, "2016-08", 1.5, dt.date(2016, 11, 14))}
    build_editions("2016-05", "2016-05", folder, root, progress=None, calendar=first)
    site = root / "site"
    before = hash_files(site / "2016-05")
    build_editions("2016-08", "2016-08", folder, root, progress=None, calendar=first)
    build_editions("2016-08", "2016-08", folder, root, progress=None, calendar=second)
    return {"root": root, "site": site, "before": before, "revised": revised,
            "calendar": second, "data": folder}


def _csv(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / "csv" / f"{table}.csv", dtype=str, keep_default_na=False)


def _value(frame: pd.DataFrame, period: str, measure: str) -> str:
    rows = frame[(frame["period"] == period) & (frame["measure"] == measure)]
    assert len(rows) == 1
    return rows["value"].iloc[0]


def _text(page: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


def test_building_later_editions_never_changes_a_byte_of_an_earlier_one(series):
    assert hash_files(series["site"] / "2016-05") == series["before"]
    assert sorted(p.name for p in series["site"].iterdir()) == [
        "2016-05", "2016-08", "2016-08-correction-1", "index.html", "latest"]


def _calls_as_known(folder: Path, known_at: dt.date) -> pd.Series:
    from cms_stats.extracts import open_extracts

    return open_extracts(folder, known_at=known_at).mi("telephony").set_index("month")["calls_received"]


def test_revisions_are_made_against_the_earlier_edition_as_published(series):
    site = series["site"]
    old, new = _csv(site / "2016-05", "T13"), _csv(site / "2016-08", "T13")
    log = pd.read_csv(site / "2016-08" / "revisions.csv", dtype=str, keep_default_na=False)
    calls = log[(log["table"] == "T13") & (log["measure"] == "calls_received")]
    by_month = calls.set_index("period")
    # April: re-delivered +25% after the 2016-05 cut-off: revised; the figure is the new data's
    april = by_month.loc["2016-04"]
    assert april["is_revised"] == "True"
    assert april["previous"] == _value(old, "2016-04", "calls_received")
    assert april["revised"] == _value(new, "2016-04", "calls_received")
    assert int(april["revised"]) == round(series["revised"]["2016-04"] / 100) * 100
    # The generated folder's own re-deliveries between the two cut-offs (from the loader): each
    # month whose published calls changed is logged; under 5%, the published figure is kept.
    then = _calls_as_known(series["data"], dt.date(2016, 6, 30))
    now = _calls_as_known(series["data"], dt.date(2016, 9, 30)).loc[then.index]
    def r100(x: float) -> int:  # to the table's base, halves up
        return int(x / 100 + 0.5) * 100

    changed = [m for m in then.index if m != "2016-04" and r100(then[m]) != r100(now[m])]
    assert changed, "the small folder has no telephony re-delivery between the two cut-offs"
    small = [m for m in changed if abs(now[m] - then[m]) / then[m] < 0.05]
    assert small  # the 5% rule meets a real re-delivery
    for m in changed:
        row = by_month.loc[m]
        assert row["previous"] == str(r100(then[m]))
        assert row["revised"] == str(r100(now[m]))
        if m in small:
            assert row["is_revised"] == "False" and "less than 5%" in row["reason"]
            assert _value(new, m, "calls_received") == _value(old, m, "calls_received")
    assert set(by_month.index) == {"2016-04", *changed}


def test_a_table_new_in_a_later_edition_is_absent_before_it(series):
    site = series["site"]
    assert not (site / "2016-05" / "csv" / "T15.csv").exists()
    assert (site / "2016-08" / "csv" / "T15.csv").exists()
    meta = json.loads((site / "2016-05" / "csv" / "metadata.json").read_text())
    assert not any(m["table"] == "T15" for m in meta["measures"])
    assert "Table_15" not in load_workbook(site / "2016-05" / "tables.xlsx").sheetnames
    assert "Table 15" not in _text(site / "2016-05" / "html" / "notebooks" / "compliance.html")
    assert "Table 15" in _text(site / "2016-08" / "html" / "notebooks" / "compliance.html")
    # a chapter whose tables all start later is not in the earlier book (nor its contents)
    assert not (site / "2016-05" / "html" / "notebooks" / "enforcement.html").exists()
    assert "enforcement.html" not in _text(site / "2016-05" / "html" / "notebooks" / "arrears.html")
    assert (site / "2016-08" / "html" / "notebooks" / "enforcement.html").is_file()


def test_whats_changed_lists_revisions_new_tables_and_methodology(series):
    page = _text(series["site"] / "2016-08" / "html" / "notebooks" / "methodology.html")
    section = page[page.index("What’s changed in this edition"):]
    log = pd.read_csv(series["site"] / "2016-08" / "revisions.csv", dtype=str)
    revised = int((log["is_revised"] == "True").sum())
    assert (f"{revised:,} figures revised and {len(log) - revised:,} changes kept at the "
            "previously published figure") in section
    assert "Tables new in this edition: Table 15:" in section
    assert "duplicated new applications have been removed" in section
    assert "Data to May 2016, published 20 July 2016" in section
    assert "published on 26 October 2016" in section
    early = _text(series["site"] / "2016-05" / "html" / "notebooks" / "methodology.html")
    assert "there is no earlier edition to revise against" in early
    assert "No table is new in this edition." in early


def test_the_correction_is_kept_beside_the_original_with_notices(series):
    site = series["site"]
    fixed = site / "2016-08-correction-1"
    pages = fixed / "html" / "notebooks"
    notice = "Following the initial publication on 26 October 2016, an update was required"
    assert notice in _text(pages / "intake.html") and notice in _text(pages / "fee_exemptions.html")
    assert notice not in _text(pages / "arrears.html")
    assert notice not in _text(site / "2016-08" / "html" / "notebooks" / "intake.html")
    section = _text(pages / "methodology.html")
    old = _value(_csv(site / "2016-08", "T13"), "2016-08", "calls_received")
    new = _value(_csv(fixed, "T13"), "2016-08", "calls_received")
    assert old != new
    assert re.search(rf"T13 August 2016 calls received {old} {new}", section)
    assert "Corrected edition, re-issued 8 December 2016 (first published 26 October 2016)" \
        in _text(pages / "intake.html")
    assert json.loads((site / "latest" / "manifest.json").read_text())["extra"]["edition"]["id"] \
        == "2016-08-correction-1"
    landing = _text(site / "index.html")
    assert "superseded by the correction of 8 December 2016" in landing


def test_dates_come_from_the_calendar_everywhere(series):
    ed = series["site"] / "2016-08"
    assert "Last updated on 26 October 2016." in _text(ed / "html" / "notebooks" / "intake.html")
    cover = [c.value for row in load_workbook(ed / "tables.xlsx")["Cover"].iter_rows()
             for c in row if c.value]
    assert "Published: 26 October 2016." in cover
    assert "Next edition: January 2017 (data to November 2016)." in cover
    assert any(str(v).startswith("Previous edition: data to May 2016, published 20 July 2016: "
                                 "../2016-05/tables.xlsx") for v in cover)
    meta = json.loads((ed / "csv" / "metadata.json").read_text())["edition"]
    assert meta["published"] == "2016-10-26" and meta["next_edition"] == "January 2017"
    assert meta["previous_editions"] == [{"id": "2016-05", "published": "2016-07-20",
                                          "csv": "../2016-05/csv/"}]
    manifest = json.loads((ed / "manifest.json").read_text())
    assert manifest["parameters"]["known_at"] == "2016-09-30"
    assert manifest["extra"]["edition"]["cutoff"] == "2016-09-30"
    assert manifest["build_time"].startswith("2016-10-26")
    assert "known_at" in manifest["extra"]["vintage"]
    # The PDF's title page gives the same facts (issue 11).
    title = subprocess.run(["pdftotext", "-l", "1", str(ed / "book.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    title = " ".join(title.split())
    assert "Published 26 October 2016" in title
    assert "Next edition: January 2017 (data to November 2016)" in title
    assert "Data as known on 30 September 2016" in title


def test_chapter_downloads_resolve_inside_the_published_site(series):
    """Issue 11: the chapter links climb out of html/ to the edition's spreadsheet and CSV;
    in the site those files are there, so a web server publishing the site serves them."""
    for issue in ("2016-05", "2016-08", "latest"):
        page = series["site"] / issue / "html" / "notebooks" / "intake.html"
        links = re.findall(r'href="(\.\./\.\./[^"#]+)"', page.read_text(encoding="utf-8"))
        assert links
        for link in links:
            assert (page.parent / link).resolve().is_file(), link
        assert (page.parent / link).resolve().is_relative_to(series["site"].resolve())


def test_a_published_edition_rebuilds_byte_identically(series, tmp_path):
    """From the extract folder and its cut-off alone, in a fresh build root (every chapter
    executed again): every file equals the archive's, manifest included."""
    from cms_stats.editions import build_editions

    cal = load_calendar(_calendar(tmp_path, False))
    build_editions("2016-05", "2016-05", series["data"], tmp_path / "b", progress=None,
                   calendar=cal)
    again = hash_files(tmp_path / "b" / "site" / "2016-05")
    original = hash_files(series["site"] / "2016-05")
    assert [k for k in sorted(set(again) | set(original)) if again.get(k) != original.get(k)] == []


def test_a_tampered_edition_stops_the_build_in_one_line(series, tmp_path):
    from cms_stats.editions import EditionError, build_editions

    root = tmp_path / "copy"
    shutil.copytree(series["root"] / "site", root / "site", symlinks=True)
    csv = root / "site" / "2016-05" / "csv" / "T13.csv"
    csv.write_text(csv.read_text().replace("calls_received,all,", "calls_received,all,1", 1))
    landing = (root / "site" / "index.html").read_bytes()
    with pytest.raises(EditionError) as err:
        build_editions("2016-08", "2016-08", series["data"], root, progress=None,
                       calendar=series["calendar"])
    assert "\n" not in str(err.value)
    assert "edition 2016-05 in the archive" in str(err.value)
    assert "csv/T13.csv changed" in str(err.value)
    assert (root / "site" / "index.html").read_bytes() == landing


def test_an_edition_passes_the_browser_checks_inside_the_site(series):
    """Served as the site is published: on every page its links to the previous editions and
    its downloads resolve, and no console error; axe-core (light, dark, phone) finds nothing
    serious on the pages the site adds to a release's (the edition line, the correction notice,
    what's changed; the release's pages are checked with axe by ``test_browser``)."""
    from cms_stats.qa.site import check_site

    report = check_site(series["site"] / "2016-08-correction-1" / "html", axe=True,
                        axe_pages=["index.html", "notebooks/intake.html",
                                   "notebooks/methodology.html"])
    assert report.ok, report.format()
    assert report.broken_links == []


def test_a_figure_withheld_in_an_edition_stays_withheld_in_the_next(series):
    """Issue 13 across editions: every figure 2016-05 withheld as [c] is [c] in 2016-08 and in
    its correction (a reader of the archive has both editions), and the release audit of each
    later issue, given the issue before it, finds nothing."""
    from cms_stats.publish.disclosure import audit_tables
    from cms_stats.publish.tidy_csv import read_csv

    site = series["site"]

    def shown(issue):
        frame = read_csv(site / issue)
        return dict(zip(zip(frame["table"], frame["period"], frame["measure"], frame["breakdown"]),
                        frame["value"]))

    first = shown("2016-05")
    withheld = [k for k, v in first.items() if v == "[c]"]
    assert withheld
    for later, before in (("2016-08", "2016-05"), ("2016-08-correction-1", "2016-08")):
        now = shown(later)
        assert [k for k in withheld if k in now and now[k] != "[c]"] == []
        assert audit_tables(site / later, earlier=[site / before])[0] == []


def test_each_edition_has_its_own_table_builder_over_its_own_figures(series):
    """Issue 16: every issue of the site carries the table builder's data, built from its own
    published CSV files (their hashes), holding exactly their figures; editions differ."""
    import hashlib

    from cms_stats.publish.explore import EXPLORE_DATA, explore_data_problems, read_explore_data

    sources = {}
    for issue, period in (("2016-05", "2016-05"), ("2016-08", "2016-08"),
                          ("2016-08-correction-1", "2016-08"), ("latest", "2016-08")):
        folder = series["site"] / issue
        data = read_explore_data(folder / EXPLORE_DATA)
        assert data["publication"]["period"] == period
        assert max(p for t in data["tables"] for p in t["periods"]) == period
        own = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in (folder / "csv").glob("*.csv")}
        assert data["sources"] == own, issue
        assert explore_data_problems(folder) == [], issue
        assert (folder / "html" / "notebooks" / "explore.html").is_file()
        sources[issue] = data["sources"]
    assert sources["2016-05"] != sources["2016-08"] != sources["2016-08-correction-1"]
    assert sources["latest"] == sources["2016-08-correction-1"]
