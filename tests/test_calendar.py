"""The release calendar, the edition facts, the registry's first_edition, the archive checks:
no book is built here (the series itself is in tests/test_editions.py, slow)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cms_stats.calendar import CALENDAR_FILE, CalendarError, date_words, load_calendar

D = dt.date


def test_the_calendar_holds_every_edition_from_2014_02_and_the_next_planned_one():
    cal = load_calendar()
    periods = [e.period for e in cal.editions]
    assert periods == ["2014-02", "2014-05", "2014-08", "2014-11", "2015-02", "2015-05",
                       "2015-08", "2015-11", "2016-02", "2016-05", "2016-08", "2016-11"]
    assert [e.status for e in cal.editions] == ["published"] * 11 + ["planned"]
    # the cut-off rule: the last day of the month after the period
    assert cal.edition("2016-08").cutoff == D(2016, 9, 30)
    assert cal.edition("2014-02").cutoff == D(2014, 3, 31)
    assert cal.edition("2015-11").cutoff == D(2015, 12, 31)
    # the real date, from the reference edition; the next one announced for January 2017
    real = cal.edition("2016-08")
    assert (real.published, real.published_basis) == (D(2016, 10, 26), "reference")
    nxt = cal.next_edition("2016-08")
    assert (nxt.period, nxt.published.year, nxt.published.month) == ("2016-11", 2017, 1)
    assert all(e.published_basis == "assumed" for e in cal.editions if e.period != "2016-08")
    # the pattern: eight weeks after the period ends, on the Wednesday on or before
    for e in cal.editions:
        assert e.published.weekday() == 2, e.period
        assert 0 <= (dt.date.fromisoformat(e.period + "-01").replace(day=28)
                     + dt.timedelta(days=60) - e.published).days < 40


def test_the_2016_08_correction_is_an_issue_of_its_own():
    ed = load_calendar().edition("2016-08")
    original, corrected = ed.issues
    assert (original.id, original.known_at, original.published) == ("2016-08", D(2016, 9, 30),
                                                                     D(2016, 10, 26))
    assert (corrected.id, corrected.known_at, corrected.published) == (
        "2016-08-correction-1", D(2016, 11, 30), D(2016, 12, 8))
    assert corrected.correction.tables == ("T1", "T3") and corrected.correction.basis == "assumed"
    assert "Arrears Only applications intake" in corrected.correction.reason


def test_date_words_is_the_uk_form():
    assert date_words(D(2016, 10, 26)) == "26 October 2016"
    assert date_words(D(2016, 12, 8)) == "8 December 2016"


def _calendar_with(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(CALENDAR_FILE.read_text(encoding="utf-8"))
    change(data["editions"])
    path = tmp_path / "calendar.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda eds: eds[0].update(cutoff="2014-03-30"),
     "edition 2014-02: cutoff 2014-03-30 is not the last day of the month after the period"),
    (lambda eds: eds[0].update(period="2014-03"), "edition 1: period '2014-03' is not a quarter-end"),
    (lambda eds: eds[1].update(status="draft"), "edition 2014-05: status 'draft' is not one of"),
    (lambda eds: eds[1].update(colour="red"), "edition 1", ),
    (lambda eds: eds.pop(3), "edition 2015-02: does not follow 2014-08 by one quarter"),
    (lambda eds: eds[2].update(published="2014-09-01"),
     "edition 2014-08: published 2014-09-01 is not after the cut-off 2014-09-30"),
    (lambda eds: eds[10]["corrections"][0].update(known_at="2016-09-01"),
     "edition 2016-08, correction 1: known_at 2016-09-01 is not after the edition's cut-off"),
    (lambda eds: eds[10]["corrections"][0].update(reissued="someday"),
     "edition 2016-08, correction 1, reissued: 'someday' is not a date"),
])
def test_a_malformed_calendar_stops_in_one_line(tmp_path, change, message):
    path = _calendar_with(tmp_path, change)
    with pytest.raises(CalendarError) as err:
        load_calendar(path)
    text = str(err.value)
    assert "\n" not in text and text.startswith("calendar.yaml: ")
    if message != "edition 1":
        assert message in text
    else:
        assert "unknown key 'colour'" in text


def test_an_edition_missing_from_the_calendar_is_one_line():
    with pytest.raises(CalendarError, match=r"^edition 2016-09 is not in the release calendar"):
        load_calendar().edition("2016-09")


def test_no_publication_date_is_typed_in_the_notebooks_texts_or_templates():
    """Publication dates reach readers from the calendar only: none of them (nor the next
    edition's month) is typed in a notebook, the book's texts, the outputs or the config."""
    from cms_stats import paths
    from cms_stats.editions import published_issues

    cal = load_calendar()
    dates = {date_words(i.published) for i in published_issues(cal)}
    dates |= {e.published.strftime("%B %Y") for e in cal.editions if e.status == "planned"}
    sources = list(paths.NOTEBOOKS_DIR.glob("*.md"))
    for part in ("book", "publish", "editions", "release"):
        sources += list((paths.PACKAGE_DIR / part).rglob("*.py"))
    sources += [paths.PROJECT_ROOT / "_config.yml", paths.RESOURCES_DIR / "measures_metadata.yaml"]
    found = [(p.name, d) for p in sources for d in sorted(dates) if d in p.read_text()]
    assert len(dates) == 13 and found == []


# -- the registry's first_edition and the chapters ------------------------------------------
def test_a_table_first_published_later_is_absent_from_earlier_editions():
    from cms_stats.registry import load_registry

    reg = load_registry()
    assert reg.table("T15").first_edition == "2016-08"
    assert "T15" not in reg.tables_in_edition("2016-05")
    assert "T15" in reg.tables_in_edition("2016-08")
    assert reg.new_tables("2016-08") == ("T15", "T16", "T17", "T18", "T19", "T20", "T21", "T22") and reg.new_tables("2016-05") == ()
    assert reg.tables_in_edition("2014-02")[:14] == tuple(f"T{i}" for i in range(1, 15))


def test_the_cells_of_a_later_table_are_left_out_of_an_earlier_chapter():
    from cms_stats import paths
    from cms_stats.release.workers import read_notebook

    source = paths.NOTEBOOKS_DIR / "compliance.md"
    full, early = read_notebook(source, "2016-08"), read_notebook(source, "2016-05")
    t15 = [c for c in full.cells if "table-T15" in c.metadata.get("tags", [])]
    assert len(t15) == 6  # the transfers section (3 cells) and the Table 15 section (3)
    assert len(early.cells) == len(full.cells) - 6
    assert not any("T15" in c.source for c in early.cells)
    assert any("Table 15" in c.source for c in full.cells)


def test_first_edition_must_be_a_period(tmp_path):
    from cms_stats.registry import REGISTRY_FILE, RegistryError, load_registry

    text = REGISTRY_FILE.read_text(encoding="utf-8").replace(
        "first_edition: '2016-08'", "first_edition: 'August'")
    path = tmp_path / "tables.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match="table T15: first_edition 'August' must be an edition"):
        load_registry(path)


# -- corrections, facts, the archive --------------------------------------------------------
def test_corrections_log_lists_every_changed_figure_hand_worked():
    from cms_stats.work import corrections_log

    cols = ["table", "period", "measure", "breakdown", "value", "unit"]
    original = pd.DataFrame([["T1", "2016-08", "arrears_only", "all", "1200", "count"],
                             ["T3", "2016-08", "exempt_share", "all", "32", "percent"],
                             ["T3", "2016-07", "exempt_share", "all", "31", "percent"]], columns=cols)
    corrected = original.copy()
    corrected.loc[0, "value"] = "1300"
    corrected.loc[1, "value"] = "33"   # a 3% change: corrected all the same (no 5% rule)
    log = corrections_log(corrected, original, "late arrears only applications")
    expected = pd.DataFrame({
        "table": ["T1", "T3"], "period": ["2016-08", "2016-08"],
        "measure": ["arrears_only", "exempt_share"], "breakdown": ["all", "all"],
        "previous": ["1200", "32"], "revised": ["1300", "33"],
        "reason": ["late arrears only applications"] * 2})
    pd.testing.assert_frame_equal(log, expected)


def test_issue_facts_come_from_the_calendar():
    from cms_stats.editions import issue_facts

    cal = load_calendar()
    facts = issue_facts(cal, cal.issue("2016-08-correction-1"))
    assert facts["published_words"] == "8 December 2016"
    assert facts["known_at"] == "2016-11-30" and facts["cutoff"] == "2016-09-30"
    assert facts["next"]["published_month_words"] == "January 2017"
    assert facts["correction"]["original_published_words"] == "26 October 2016"
    assert [p["id"] for p in facts["previous_editions"]][:3] == ["2016-08", "2016-05", "2016-02"]
    assert facts["previous_editions"][0]["href"] == "../2016-08/"
    first = issue_facts(cal, cal.issue("2014-02"))
    assert first["previous_editions"] == [] and first["next"]["period"] == "2014-05"
    assert "Application fees" in issue_facts(cal, cal.issue("2014-08"))["methodology"][0]["text"]


def _fake_issue(folder: Path) -> Path:
    from cms_stats.editions import output_hashes

    (folder / "csv").mkdir(parents=True)
    (folder / "csv" / "T1.csv").write_text("table,period\nT1,2016-05\n")
    (folder / "book.pdf").write_bytes(b"%PDF-1.4 fake")
    manifest = {"extra": {"outputs": output_hashes(folder)}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize("tamper, what", [
    (lambda f: (f / "csv" / "T1.csv").write_text("table,period\nT1,2016-06\n"), "csv/T1.csv changed"),
    (lambda f: (f / "book.pdf").unlink(), "book.pdf missing"),
    (lambda f: (f / "extra.html").write_text("x"), "extra.html added"),
])
def test_a_tampered_issue_is_found_in_one_line(tmp_path, tamper, what):
    from cms_stats.editions import EditionError, check_issue

    folder = _fake_issue(tmp_path / "2016-05")
    check_issue(folder, "2016-05")  # as published: fine
    tamper(folder)
    with pytest.raises(EditionError) as err:
        check_issue(folder, "2016-05")
    assert "\n" not in str(err.value)
    assert str(err.value).startswith("edition 2016-05 in the archive")
    assert f"does not match its manifest: {what}" in str(err.value)


def test_build_editions_refuses_before_building_anything(tmp_path, small_data):
    from cms_stats.editions import EditionError, build_editions

    root = tmp_path / "build"
    with pytest.raises(EditionError, match=r"^edition 2016-09 is not in the release calendar"):
        build_editions("2016-05", "2016-09", small_data, root, progress=None)
    with pytest.raises(EditionError, match=r"^edition 2016-11 is planned, not published"):
        build_editions("2016-08", "2016-11", small_data, root, progress=None)
    with pytest.raises(EditionError, match=r"^edition 2016-05: the previous edition 2016-02 is "
                                           r"not in the archive"):
        build_editions("2016-05", "2016-08", small_data, root, progress=None)
    site = root / "site"
    assert sorted(p.name for p in site.iterdir()) == ["index.html"] or not any(site.iterdir())
    # a tampered issue in the archive stops the build before anything is built
    _fake_issue(site / "2016-02")
    (site / "2016-02" / "book.pdf").write_bytes(b"changed")
    with pytest.raises(EditionError, match=r"^edition 2016-02 in the archive .* book.pdf changed"):
        build_editions("2016-05", "2016-05", small_data, root, progress=None)
    assert not (site / "2016-05").exists()


def test_a_cut_off_before_the_folders_first_month_is_one_line(small_data):
    from cms_stats.work import ReleaseError, validate_folder

    with pytest.raises(ReleaseError, match=r"^cut-off 2013-07-31 is before the first month of "
                                           r"the extract folder .* \(2013-08\)$"):
        validate_folder(small_data, "2013-08", D(2013, 7, 31))


def test_the_landing_page_lists_every_edition_with_its_status(tmp_path):
    from cms_stats.editions.site import landing_html

    cal = load_calendar()
    site = tmp_path
    present = [cal.issue("2016-05"), cal.issue("2016-08"), cal.issue("2016-08-correction-1")]
    page = landing_html(site, cal, present)
    text = re.sub(r"<[^>]+>", " ", page)
    assert "26 October 2016" in text and "8 December 2016" in text and "20 July 2016" in text
    assert "superseded by the correction of 8 December 2016" in text
    assert "corrected edition (latest)" in text
    assert "planned (assumed date)" in text and "January 2017" in text
    assert 'href="2016-08/book.pdf"' in page and 'href="2016-08-correction-1/tables.xlsx"' in page
    assert 'href="latest/html/index.html"' in page
    assert "2016-02" not in page  # not in the archive: not listed
