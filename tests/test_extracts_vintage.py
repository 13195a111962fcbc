"""Vintages: the folder as known at a cut-off, on a small hand-worked folder."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_extracts import default_content, error_of, write_folder

from cms_stats.extracts import ExtractError, PeriodError, open_extracts, validate

D = dt.date
APPS = "events/applications.parquet"
TEL = "mi/telephony.xlsx"
TEL_HEADER = ("month", "calls_received", "calls_answered", "calls_answered_within_30_seconds",
              "delivered_date")


def vintage_content() -> dict:
    """The tiny folder with recording dates: A1 recorded on the day, A2 on 15 September, A3
    on 20 October; telephony August delivered 10 September and re-delivered (revised) on 20
    October, September delivered 10 October, October delivered 10 November."""
    c = default_content()
    for row, day in zip(c[APPS], (D(2013, 8, 2), D(2013, 9, 15), D(2013, 10, 20))):
        row["recorded_date"] = day
    c[TEL] = [
        TEL_HEADER,
        ("2013-08", 100, 90, 80, D(2013, 9, 10)),
        ("2013-09", 110, 100, 85, D(2013, 10, 10)),
        ("2013-08", 105, 95, 82, D(2013, 10, 20)),
        ("2013-10", 120, 118, 100, D(2013, 11, 10)),
        ("Total", 335, 313, 267, None),  # the latest delivery of each month
    ]
    return c


def _apps(ids: list[int], recorded: list[dt.date]) -> pd.DataFrame:
    """The applications of the tiny folder (by number), written out by hand."""
    received = {1: D(2013, 8, 2), 2: D(2013, 8, 3), 3: D(2013, 8, 4)}
    return pd.DataFrame({
        "application_id": pd.Series([f"A0000000{i}" for i in ids], dtype="str"),
        "received_date": pd.Series([pd.Timestamp(received[i]) for i in ids], dtype="datetime64[us]"),
        "application_type": pd.Series(["arrears_only" if i == 2 else "new_application" for i in ids],
                                      dtype="str"),
        "paying_parent_id": pd.Series(["P00000001"] * len(ids), dtype="str"),
        "receiving_parent_id": pd.Series([f"R0000000{i}" for i in ids], dtype="str"),
        "fee_status": pd.Series(["no_fee"] * len(ids), dtype="str"),
        "case_id": pd.Series([f"C0000000{i}" for i in ids], dtype="str"),
        "recorded_date": pd.Series([pd.Timestamp(d) for d in recorded], dtype="datetime64[us]"),
        "cleared_date": pd.Series([pd.NaT] * len(ids), dtype="datetime64[us]"),  # absent: null
        "clearance_type": pd.Series([None] * len(ids), dtype="str"),
    })


def _tel(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame({
        "month": pd.Series([r[0] for r in rows], dtype="str"),
        "calls_received": [r[1] for r in rows], "calls_answered": [r[2] for r in rows],
        "calls_answered_within_30_seconds": [r[3] for r in rows],
        "delivered_date": pd.Series([pd.Timestamp(r[4]) for r in rows], dtype="datetime64[us]"),
    })


@pytest.fixture
def vfolder(tmp_path):
    return write_folder(tmp_path / "v", vintage_content(), meta={
        "source": "administrative", "first_month": "2013-08", "last_month": "2013-10",
        "extracted": "2013-12-31"})


@pytest.mark.parametrize("known_at, apps, tel, not_yet_known", [
    (D(2013, 8, 31), [1], [], {APPS: 2, TEL: 4}),
    (D(2013, 9, 30), [1, 2], [("2013-08", 100, 90, 80, D(2013, 9, 10))], {APPS: 1, TEL: 3}),
    (D(2013, 10, 31), [1, 2, 3], [("2013-08", 105, 95, 82, D(2013, 10, 20)),
                                   ("2013-09", 110, 100, 85, D(2013, 10, 10))], {TEL: 1}),
    (None, [1, 2, 3], [("2013-08", 105, 95, 82, D(2013, 10, 20)),
                       ("2013-09", 110, 100, 85, D(2013, 10, 10)),
                       ("2013-10", 120, 118, 100, D(2013, 11, 10))], {}),
])
def test_folder_as_known_at(vfolder, known_at, apps, tel, not_yet_known):
    recorded = {1: D(2013, 8, 2), 2: D(2013, 9, 15), 3: D(2013, 10, 20)}
    folder = open_extracts(vfolder, known_at=known_at)
    pd.testing.assert_frame_equal(folder.applications(), _apps(apps, [recorded[i] for i in apps]))
    if tel:
        pd.testing.assert_frame_equal(folder.mi("telephony"), _tel(tel))
    else:
        assert len(folder.mi("telephony")) == 0
    v = folder.vintage
    superseded = {TEL: 1} if known_at is None or known_at >= D(2013, 10, 20) else {}
    assert v == {"known_at": known_at, "extracted": D(2013, 12, 31), "recording_dates": True,
                 "not_yet_known": not_yet_known, "superseded": superseded}
    report = validate(vfolder, known_at=known_at)
    assert report.vintage == v
    assert report.rows_in[APPS] == 3 and report.rows_in[TEL] == 4
    assert report.rows_used[APPS] == len(apps) and report.rows_used[TEL] == len(tel)
    assert report.rows_not_yet_known[APPS] == not_yet_known.get(APPS, 0)


def test_a_folder_without_recording_dates_is_the_same_at_every_cutoff(tmp_path):
    root = write_folder(tmp_path / "plain")
    everything = open_extracts(root)
    for known_at in (D(2013, 8, 1), D(2013, 9, 30), D(2020, 1, 1)):
        early = open_extracts(root, known_at=known_at)
        pd.testing.assert_frame_equal(early.applications(), everything.applications())
        pd.testing.assert_frame_equal(early.payments(), everything.payments())
        pd.testing.assert_frame_equal(early.mi("appeals"), everything.mi("appeals"))
        assert early.vintage == {"known_at": known_at, "extracted": None,
                                 "recording_dates": False, "not_yet_known": {}, "superseded": {}}
    assert "the same at every cut-off" in validate(root, known_at=D(2013, 9, 30)).format()


def test_known_at_before_the_first_month_is_refused(vfolder):
    with pytest.raises(PeriodError) as info:
        open_extracts(vfolder, known_at=D(2013, 7, 31))
    assert str(info.value) == ("extract.json: known_at 2013-07-31 is before the folder's first "
                               "month (2013-08): nothing was known then")
    open_extracts(vfolder, known_at=D(2013, 8, 1))  # the first day is fine


def _bad(tmp_path, change) -> ExtractError:
    content = vintage_content()
    change(content)
    return error_of(write_folder(tmp_path / "bad", content))


def test_recorded_before_the_event_is_one_line(tmp_path):
    def change(c):
        c[APPS][2]["recorded_date"] = D(2013, 8, 3)  # received 2013-08-04
    err = _bad(tmp_path, change)
    assert (err.file, err.column, err.row) == (APPS, "recorded_date", 3)
    assert "recorded 2013-08-03, before its received_date 2013-08-04" in str(err)


def test_redelivery_before_the_first_delivery_is_one_line(tmp_path):
    def change(c):
        c[TEL][3] = ("2013-08", 105, 95, 82, D(2013, 9, 5))  # first delivered 2013-09-10 (row 2)
    err = _bad(tmp_path, change)
    assert (err.file, err.column, err.row) == (TEL, "delivered_date", 4)
    assert "2013-08 re-delivered with a date (2013-09-05) before its first delivery (2013-09-10, row 2)" in str(err)


def test_duplicate_delivery_is_one_line(tmp_path):
    def change(c):
        c[TEL][3] = ("2013-08", 105, 95, 82, D(2013, 9, 10))
    err = _bad(tmp_path, change)
    assert (err.file, err.column, err.row) == (TEL, "delivered_date", 4)
    assert "duplicate delivery: 2013-08 delivered 2013-09-10 twice (first at row 2)" in str(err)


def test_delivery_before_the_month_ends_is_one_line(tmp_path):
    def change(c):
        c[TEL][2] = ("2013-09", 110, 100, 85, D(2013, 9, 29))
    err = _bad(tmp_path, change)
    assert (err.file, err.column, err.row) == (TEL, "delivered_date", 3)
    assert "before the end of its month 2013-09" in str(err)


def test_total_row_is_the_latest_deliveries(tmp_path):
    def change(c):
        c[TEL][-1] = ("Total", 440, 403, 347, None)  # the sum of every row: double counts August
    err = _bad(tmp_path, change)
    assert (err.file, err.column, err.row) == (TEL, "calls_received", 6)
    assert "sum of rows 335" in str(err)


def test_extracted_must_be_a_day(tmp_path):
    root = write_folder(tmp_path / "x", meta={
        "source": "administrative", "first_month": "2013-08", "last_month": "2013-10",
        "extracted": "2013-31-12"})
    err = error_of(root)
    assert str(err) == "extract.json: field 'extracted': not a date YYYY-MM-DD ('2013-31-12')"


@pytest.mark.parametrize("known_at, cleared, kind", [
    (D(2013, 9, 19), [None, None, None], [None, None, None]),          # cleared the day after
    (D(2013, 9, 20), [D(2013, 9, 20), None, None], ["calculation_made", None, None]),
    (D(2013, 10, 31), [D(2013, 9, 20), None, D(2013, 10, 31)],
     ["calculation_made", None, "closed_without_calculation"]),
    (None, [D(2013, 9, 20), None, D(2013, 10, 31)],
     ["calculation_made", None, "closed_without_calculation"]),
])
def test_a_clearance_after_the_cutoff_is_not_yet_known(tmp_path, known_at, cleared, kind):
    """A1 cleared on 20 September, A3 on 31 October (both recorded when received): as known at
    a cut-off before its clearance an application reads as not yet cleared, its type too; the
    rows themselves are known (nothing is counted as not yet known)."""
    c = default_content()
    for row, day, how in zip(c[APPS], (D(2013, 9, 20), None, D(2013, 10, 31)),
                             ("calculation_made", None, "closed_without_calculation")):
        row["cleared_date"], row["clearance_type"] = day, how
    root = write_folder(tmp_path / "c", c)
    folder = open_extracts(root, known_at=known_at)
    apps = folder.applications()
    assert apps["cleared_date"].tolist() == [pd.Timestamp(d) if d else pd.NaT for d in cleared]
    assert [x if isinstance(x, str) else None for x in apps["clearance_type"]] == kind
    assert folder.vintage["not_yet_known"] == {}
    assert validate(root, known_at=known_at).rows_used[APPS] == 3
