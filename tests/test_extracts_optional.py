"""Optional columns of the contract: absent -> all-null and recorded; present -> checked."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from test_extracts import default_content, error_of, write_folder

from cms_stats.extracts import CONTRACT, Column, contract_markdown, open_extracts, validate

D = dt.date
APPS = "events/applications.parquet"
TEL = "mi/telephony.xlsx"
#: The contract's own optional column (the payments split), absent from a folder written
#: without it.
PAY = {"events/payments.parquet": ["paid_to_arrears"]}


@pytest.fixture
def optional_contract(monkeypatch):
    """The contract with an optional date column on applications and an optional count on
    telephony (the mechanism is tested independently of which columns the contract makes
    optional)."""
    apps = CONTRACT["applications"]
    monkeypatch.setitem(CONTRACT, "applications", dataclasses.replace(apps, columns=(
        *apps.columns,
        Column("noted_date", "date", "on or after `received_date`", optional=True,
               absent="the date was not recorded"),
    )))
    tel = CONTRACT["telephony"]
    monkeypatch.setitem(CONTRACT, "telephony", dataclasses.replace(tel, columns=(
        *tel.columns,
        Column("calls_abandoned", "count", "", min=0, optional=True, absent="not measured"),
    )))


def test_absent_optional_columns_validate_and_load_as_null(tmp_path, optional_contract):
    root = write_folder(tmp_path / "x")  # written to today's contract
    report = validate(root)
    absent = {APPS: ["recorded_date", "cleared_date", "clearance_type", "noted_date"],
              TEL: ["delivered_date", "calls_abandoned"]}
    assert {f: report.absent_columns[f] for f in absent} == absent
    assert ("optional columns absent from events/applications.parquet: recorded_date, "
            "cleared_date, clearance_type, noted_date") in report.format()
    folder = open_extracts(root)
    assert {f: folder.absent_columns[f] for f in absent} == absent
    apps = folder.applications()
    assert list(apps.columns)[-1] == "noted_date"
    assert apps["noted_date"].dtype == "datetime64[us]" and apps["noted_date"].isna().all()
    tel = folder.mi("telephony")
    expected = pd.DataFrame({
        "month": pd.Series(["2013-08", "2013-09", "2013-10"], dtype="str"),
        "calls_received": [100, 110, 120], "calls_answered": [90, 100, 118],
        "calls_answered_within_30_seconds": [80, 85, 100],
        "delivered_date": pd.Series([pd.NaT] * 3, dtype="datetime64[us]"),
        "calls_abandoned": pd.Series([None] * 3, dtype="float64"),
    })
    pd.testing.assert_frame_equal(tel, expected)


def test_present_optional_columns_are_read(tmp_path, optional_contract):
    content = default_content()
    for i, row in enumerate(content[APPS]):
        row["noted_date"] = D(2013, 8, 10 + i)
    content[TEL] = [(*r, x) for r, x in zip(content[TEL], ("calls_abandoned", 5, 6, 7, 18))]
    root = write_folder(tmp_path / "x", content)
    report = validate(root)
    # the contract's own optional ones
    assert report.absent_columns[APPS] == ["recorded_date", "cleared_date", "clearance_type"]
    assert report.absent_columns[TEL] == ["delivered_date"]
    folder = open_extracts(root)
    assert folder.absent_columns == report.absent_columns
    assert folder.applications()["noted_date"].tolist() == [
        pd.Timestamp(2013, 8, 10), pd.Timestamp(2013, 8, 11), pd.Timestamp(2013, 8, 12)]
    assert folder.mi("telephony")["calls_abandoned"].tolist() == [5, 6, 7]


def test_present_optional_column_bad_value_is_one_line(tmp_path, optional_contract):
    content = default_content()
    for row in content[APPS]:
        row["noted_date"] = D(2013, 9, 1)
    content[APPS][1]["noted_date"] = None  # not nullable: present means checked
    err = error_of(write_folder(tmp_path / "a", content))
    assert (err.file, err.column, err.row) == (APPS, "noted_date", 2)
    assert "\n" not in str(err)

    content = default_content()
    content[TEL] = [(*r, x) for r, x in zip(content[TEL], ("calls_abandoned", 5, -6, 7, 6))]
    err = error_of(write_folder(tmp_path / "b", content))
    assert (err.file, err.column, err.row) == (TEL, "calls_abandoned", 3)
    assert "negative count" in str(err)


def test_present_optional_column_in_total_row_is_checked(tmp_path, optional_contract):
    content = default_content()
    content[TEL] = [(*r, x) for r, x in zip(content[TEL], ("calls_abandoned", 5, 6, 7, 99))]
    err = error_of(write_folder(tmp_path / "x", content))
    assert (err.file, err.column, err.row) == (TEL, "calls_abandoned", 5)
    assert "Total row contradicts" in str(err)


def test_readme_says_which_columns_are_optional_and_what_absence_means(optional_contract):
    text = contract_markdown()
    assert "| `noted_date` (optional) | date | no |" in text
    assert "`noted_date`: absent means the date was not recorded" in text
    assert "`calls_abandoned`: absent means not measured" in text


def test_optional_column_must_say_what_absence_means():
    with pytest.raises(ValueError, match="absence"):
        Column("x", "date", optional=True)
