"""Unit tests of the data contract and the validating loader on small hand-built folders."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cms_stats import paths
from cms_stats.extracts import (
    CONTRACT,
    ID_PATTERNS,
    QUARANTINE_REASONS,
    Column,
    ExtractError,
    PeriodError,
    check_period,
    contract_markdown,
    open_extracts,
    validate,
)
from cms_stats.extracts.contract import TYPES

D = dt.date
MONTHS = ["2013-08", "2013-09", "2013-10"]


# ----------------------------------------------------------------------------- a tiny folder
def _snapshot_rows(month: str) -> list[dict]:
    base = dict(snapshot_month=month, arrears_adjustment=0.0)
    return [
        dict(base, case_id="C00000001", case_group_id="G00000001", origin="new_application",
             opened_date=D(2013, 8, 5), service_type="collect_and_pay", weekly_liability=10.0,
             liability_due=43.33, arrears_opening=0.0, arrears_accrued=0.0, arrears_paid=0.0,
             arrears_closing=0.0),
        dict(base, case_id="C00000002", case_group_id="G00000001", origin="arrears_only",
             opened_date=D(2013, 8, 10), service_type="no_liability", weekly_liability=0.0,
             liability_due=0.0, arrears_opening=100.0, arrears_accrued=0.0, arrears_paid=0.0,
             arrears_closing=100.0),
        dict(base, case_id="C00000003", case_group_id="G00000002", origin="new_application",
             opened_date=D(2013, 8, 20), service_type="direct_pay", weekly_liability=20.0,
             liability_due=86.67, arrears_opening=0.0, arrears_accrued=0.0, arrears_paid=0.0,
             arrears_closing=0.0),
    ]


def default_content() -> dict:
    """rel path -> rows (list of dicts for parquet; list of tuples incl. header for xlsx)."""
    c = {f"snapshots/cases_{m}.parquet": _snapshot_rows(m) for m in MONTHS}
    c["events/applications.parquet"] = [
        dict(application_id=f"A0000000{i}", received_date=D(2013, 8, 1 + i),
             application_type="new_application" if i != 2 else "arrears_only",
             paying_parent_id="P00000001", receiving_parent_id=f"R0000000{i}", fee_status="no_fee",
             case_id=f"C0000000{i}")
        for i in (1, 2, 3)
    ]
    c["events/payments.parquet"] = [
        dict(payment_id="Y000000001", case_id="C00000001", case_group_id="G00000001",
             payment_date=D(2013, 9, 3), amount=43.33),
        dict(payment_id="Y000000002", case_id="C00000001", case_group_id="G00000001",
             payment_date=D(2013, 10, 3), amount=43.33),
    ]
    c["events/liabilities.parquet"] = [
        dict(calculation_id="L000000001", case_id="C00000001", effective_date=D(2013, 8, 5),
             weekly_amount=10.0, service_type="collect_and_pay", reason="initial"),
        dict(calculation_id="L000000002", case_id="C00000003", effective_date=D(2013, 8, 20),
             weekly_amount=20.0, service_type="direct_pay", reason="initial"),
    ]
    c["events/service_requests.parquet"] = [
        dict(request_id="S000000001", case_id="C00000001", request_type="change_of_circumstances",
             received_date=D(2013, 9, 1), cleared_date=D(2013, 9, 20)),
        dict(request_id="S000000002", case_id="C00000003", request_type="change_of_circumstances",
             received_date=D(2013, 10, 10), cleared_date=None),
    ]
    c["events/reconsiderations.parquet"] = [
        dict(reconsideration_id="M00000001", case_id="C00000001", received_date=D(2013, 9, 2),
             cleared_date=D(2013, 9, 12), outcome="revised"),
        dict(reconsideration_id="M00000002", case_id="C00000003", received_date=D(2013, 10, 2),
             cleared_date=None, outcome=None),
    ]
    c["samples/children_2013-09.parquet"] = [
        dict(sample_month="2013-09", case_id="C00000001", qualifying_children=2),
        dict(sample_month="2013-09", case_id="C00000003", qualifying_children=1),
    ]
    c["mi/telephony.xlsx"] = [
        ("month", "calls_received", "calls_answered", "calls_answered_within_30_seconds"),
        ("2013-08", 100, 90, 80), ("2013-09", 110, 100, 85), ("2013-10", 120, 118, 100),
        ("Total", 330, 308, 265),
    ]
    c["mi/complaints.xlsx"] = [
        ("month", "complaints_resolution", "complaints_review", "complaints_total"),
        ("2013-08", 3, 1, 4), ("2013-09", 5, 0, 5), ("2013-10", 2, 2, 4), ("Total", 10, 3, 13),
    ]
    c["mi/appeals.xlsx"] = [
        ("month", "appeals_received", "appeals_cleared_tribunal_outcome",
         "appeals_cleared_cms_outcome", "appeals_cleared"),
        ("2013-08", 1, 0, 0, 0), ("2013-09", 2, 1, 0, 1), ("2013-10", 0, 0, 1, 1),
        ("Total", 3, 1, 1, 2),
    ]
    c["mi/accuracy_checks.xlsx"] = [
        ("check_id", "check_month", "case_id", "calculated_weekly_amount", "correct_weekly_amount"),
        ("K0000001", "2013-09", "C00000001", 10.0, 10.0),
        ("K0000002", "2013-10", "C00000003", 20.5, 20.0),
    ]
    return c


_ARROW = {"month": pa.string(), "id": pa.string(), "code": pa.string(), "date": pa.date32(),
          "money": pa.float64(), "count": pa.int64(), "integer": pa.int64()}


def _spec_of(rel: str):
    for spec in CONTRACT.values():
        if spec.path == rel or ("{month}" in spec.path and rel.startswith(spec.path.split("{")[0])):
            return spec
    raise KeyError(rel)


def contract_table(rel: str, rows: list[dict]) -> pa.Table:
    """The rows as the file's table; an optional column is written only if some row has it."""
    spec = _spec_of(rel)
    schema = pa.schema([(c.name, _ARROW[c.type]) for c in spec.columns
                        if not c.optional or any(c.name in r for r in rows)])
    return pa.Table.from_pylist(rows, schema=schema)


def write_folder(root: Path, content: dict | None = None, meta: dict | None = None) -> Path:
    content = default_content() if content is None else content
    root.mkdir(parents=True, exist_ok=True)
    meta = meta or {"source": "synthetic", "first_month": MONTHS[0], "last_month": MONTHS[-1],
                    "generator": {"name": "test", "version": "0", "seed": 0, "scale": 0}}
    (root / "extract.json").write_text(json.dumps(meta), encoding="utf-8")
    for rel, rows in content.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".parquet"):
            table = rows if isinstance(rows, pa.Table) else contract_table(rel, rows)
            pq.write_table(table, path)
        else:
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = _spec_of(rel).sheet
            for r in rows:
                ws.append(list(r))
            wb.save(path)
    return root


@pytest.fixture
def folder(tmp_path) -> Path:
    return write_folder(tmp_path / "extract")


def error_of(path: Path) -> ExtractError:
    with pytest.raises(ExtractError) as info:
        validate(path)
    return info.value


# ----------------------------------------------------------------------------- the contract
def test_contract_is_complete_and_consistent():
    assert set(CONTRACT) == {
        "snapshot", "applications", "payments", "liabilities", "service_requests",
        "reconsiderations", "closures", "enforcement_actions", "children_sample", "telephony",
        "complaints", "appeals",
        "accuracy_checks",
    }
    for spec in CONTRACT.values():
        names = spec.column_names
        assert len(names) == len(set(names))
        assert set(spec.primary_key) <= set(names)
        assert (spec.kind == "xlsx") == (spec.sheet is not None)
        for col in spec.columns:
            assert col.type in TYPES
            if col.type == "code":
                assert col.codes
            if col.type == "id":
                assert col.id_kind in ID_PATTERNS
    nullable = {(k, c.name) for k, s in CONTRACT.items() for c in s.columns if c.nullable}
    assert nullable == {("snapshot", "shared_care_nights"), ("snapshot", "constituency_code"),
                        ("service_requests", "cleared_date"), ("reconsiderations", "cleared_date"),
                        ("reconsiderations", "outcome"), ("applications", "cleared_date"),
                        ("applications", "clearance_type")}


def test_readme_agrees_with_contract():
    readme = (paths.PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN CONTRACT TABLES", "<!-- END CONTRACT TABLES -->"
    section = readme.split(begin, 1)[1].split("-->", 1)[1].split(end, 1)[0]
    assert section.strip() == contract_markdown().strip(), (
        "data/README.md is out of date: regenerate with "
        "`python -m cms_stats.extracts.readme`"
    )
    for reason in QUARANTINE_REASONS:
        assert reason in readme


# ----------------------------------------------------------------------------- a valid folder
def test_valid_folder_loads_with_contract_types(folder):
    f = open_extracts(folder)
    assert f.months == MONTHS and f.sample_months == ["2013-09"] and f.is_synthetic
    snap = f.snapshot("2013-09")
    assert len(snap) == 3
    assert snap["opened_date"].dtype == "datetime64[us]"
    assert snap["case_id"].dtype == "str" and snap["service_type"].dtype == "str"
    assert snap["weekly_liability"].dtype == "float64"
    sr = f.service_requests()
    assert sr["cleared_date"].isna().tolist() == [False, True]
    rec = f.reconsiderations()
    assert rec["outcome"].isna().tolist() == [False, True]
    children = f.children_sample("2013-09")
    assert children["qualifying_children"].dtype == "int64"
    tel = f.mi("telephony")
    expected = pd.DataFrame({
        "month": pd.Series(["2013-08", "2013-09", "2013-10"], dtype="str"),
        "calls_received": [100, 110, 120], "calls_answered": [90, 100, 118],
        "calls_answered_within_30_seconds": [80, 85, 100],
        "delivered_date": pd.Series([pd.NaT] * 3, dtype="datetime64[us]"),  # optional, absent
    })
    pd.testing.assert_frame_equal(tel, expected)  # Total row checked and removed
    assert len(f.quarantine) == 0
    assert list(f.quarantine.columns) == ["file", "row", "column", "reason"]


def test_validate_report(folder):
    report = validate(folder)
    assert len(report.files) == 3 + 5 + 1 + 4
    assert report.rows_in["snapshots/cases_2013-08.parquet"] == 3
    assert report.rows_in["mi/telephony.xlsx"] == 3  # Total row is a check, not data
    assert report.rows_quarantined == {f: 0 for f in report.files}
    text = report.format()
    assert "events/payments.parquet" in text and "no rows quarantined" in text


def test_administrative_folder_needs_no_generator(tmp_path):
    meta = {"source": "administrative", "first_month": MONTHS[0], "last_month": MONTHS[-1]}
    f = open_extracts(write_folder(tmp_path / "x", meta=meta))
    assert not f.is_synthetic


def test_other_physical_types_are_accepted(tmp_path):
    """Real extracts: dictionary/large strings, midnight timestamps, ISO text dates, int money."""
    content = default_content()
    rel = "events/payments.parquet"
    t = contract_table(rel, content[rel])
    t = t.set_column(0, "payment_id", t.column("payment_id").cast(pa.large_string()))
    t = t.set_column(1, "case_id", t.column("case_id").dictionary_encode())
    t = t.set_column(3, "payment_date", t.column("payment_date").cast(pa.timestamp("ns")))
    t = t.set_column(4, "amount", pa.array([43, 44], pa.int32()))
    content[rel] = t
    rel = "events/liabilities.parquet"
    t = contract_table(rel, content[rel])
    t = t.set_column(2, "effective_date", pa.array(["2013-08-05", "2013-08-20"]))
    content[rel] = t
    f = open_extracts(write_folder(tmp_path / "x", content))
    pay = f.payments()
    assert pay["payment_date"].tolist() == [pd.Timestamp("2013-09-03"), pd.Timestamp("2013-10-03")]
    assert pay["amount"].dtype == "float64" and pay["case_id"].dtype == "str"
    assert f.liabilities()["effective_date"].dt.day.tolist() == [5, 20]


# ----------------------------------------------------------------------------- the message
def test_error_is_one_line_with_file_column_row():
    err = ExtractError("snapshots/cases_2016-08.parquet", "negative money (-3.20)",
                       column="weekly_liability", row=17)
    assert str(err) == (
        "snapshots/cases_2016-08.parquet: column 'weekly_liability', row 17: negative money (-3.20)"
    )
    assert (err.file, err.column, err.row, err.message) == (
        "snapshots/cases_2016-08.parquet", "weekly_liability", 17, "negative money (-3.20)")
    assert "\n" not in str(ExtractError("a.parquet", "two\nlines"))
    assert str(ExtractError("mi/x.xlsx", "m", column="c", row=3, sheet="S")) == (
        "mi/x.xlsx: sheet 'S', column 'c', row 3: m")


# ----------------------------------------------------------------------------- fatal rules
def _set(content, rel, row, **values):
    content[rel][row - 1] = dict(content[rel][row - 1], **values)
    return content


FATAL = [
    # (name, change to the default content, file, column, row, words)
    ("negative money", lambda c: _set(c, "snapshots/cases_2013-09.parquet", 2, arrears_paid=-3.2),
     "snapshots/cases_2013-09.parquet", "arrears_paid", 2, "negative money (-3.20)"),
    ("unknown code", lambda c: _set(c, "events/liabilities.parquet", 2, reason="appeal"),
     "events/liabilities.parquet", "reason", 2, "unknown code 'appeal'"),
    ("duplicate key", lambda c: _set(c, "events/payments.parquet", 2, payment_id="Y000000001"),
     "events/payments.parquet", "payment_id", 2, "duplicate key 'Y000000001' (first at row 1)"),
    ("missing value", lambda c: _set(c, "events/applications.parquet", 3, received_date=None),
     "events/applications.parquet", "received_date", 3, "missing value"),
    ("bad identifier", lambda c: _set(c, "events/payments.parquet", 1, case_group_id="G1"),
     "events/payments.parquet", "case_group_id", 1, "identifier does not match"),
    ("month mismatch", lambda c: _set(c, "snapshots/cases_2013-10.parquet", 3, snapshot_month="2013-09"),
     "snapshots/cases_2013-10.parquet", "snapshot_month", 3, "does not match the month in the file name"),
    ("opened later", lambda c: _set(c, "snapshots/cases_2013-08.parquet", 1, opened_date=D(2013, 9, 1)),
     "snapshots/cases_2013-08.parquet", "opened_date", 1, "after the month end (2013-08-31)"),
    ("no liability but weekly amount",
     lambda c: _set(c, "snapshots/cases_2013-08.parquet", 2, weekly_liability=1.0),
     "snapshots/cases_2013-08.parquet", "weekly_liability", 2, "must be 0 when service_type is no_liability"),
    ("outcome but not cleared", lambda c: _set(c, "events/reconsiderations.parquet", 2, outcome="revised"),
     "events/reconsiderations.parquet", "outcome", 2, "outcome must be given exactly when"),
    ("children out of range", lambda c: _set(c, "samples/children_2013-09.parquet", 2, qualifying_children=0),
     "samples/children_2013-09.parquet", "qualifying_children", 2, "out of range 1..10 (0)"),
    ("case not in population", lambda c: _set(c, "samples/children_2013-09.parquet", 1, case_id="C00000002"),
     "samples/children_2013-09.parquet", "case_id", 1, "not in the population"),
    ("zero payment", lambda c: _set(c, "events/payments.parquet", 2, amount=0.0),
     "events/payments.parquet", "amount", 2, "must be > 0"),
    ("not a number", lambda c: _set(c, "events/payments.parquet", 2, amount=float("nan")),
     "events/payments.parquet", "amount", 2, "missing value"),
    ("sub-penny amount", lambda c: _set(c, "events/liabilities.parquet", 1, weekly_amount=10.005),
     "events/liabilities.parquet", "weekly_amount", 1, "more than 2 decimal places (10.005)"),
    ("infinite", lambda c: _set(c, "events/payments.parquet", 2, amount=float("inf")),
     "events/payments.parquet", "amount", 2, "not a finite amount"),
]


@pytest.mark.parametrize("name,change,file,column,row,words", FATAL, ids=[f[0] for f in FATAL])
def test_fatal_rule(tmp_path, name, change, file, column, row, words):
    err = error_of(write_folder(tmp_path / "x", change(default_content())))
    assert (err.file, err.column, err.row) == (file, column, row), str(err)
    assert words in str(err)
    assert str(err).startswith(f"{file}: column '{column}', row {row}: ")


def _xlsx_change(rel, sheet_row, index, value):
    def change(c):
        rows = [list(r) for r in c[rel]]
        rows[sheet_row - 1][index] = value
        c[rel] = rows
        return c
    return change


XLSX_FATAL = [
    ("total contradicts", _xlsx_change("mi/complaints.xlsx", 5, 2, 4),
     "mi/complaints.xlsx", "complaints_review", 5, "Total row contradicts the rows above it (Total 4, sum of rows 3)"),
    ("sum rule", _xlsx_change("mi/appeals.xlsx", 3, 4, 9),
     "mi/appeals.xlsx", "appeals_cleared", 3, "is not appeals_cleared_tribunal_outcome"),
    ("wrong cell type", _xlsx_change("mi/telephony.xlsx", 2, 1, "100"),
     "mi/telephony.xlsx", "calls_received", 2, "wrong type: expected whole number, found text '100'"),
    ("month as a date", _xlsx_change("mi/telephony.xlsx", 3, 0, dt.datetime(2013, 9, 1)),
     "mi/telephony.xlsx", "month", 3, "found a date"),
    ("header renamed", _xlsx_change("mi/telephony.xlsx", 1, 2, "answered"),
     "mi/telephony.xlsx", "calls_answered", 1, "missing column"),
    ("total not last", _xlsx_change("mi/complaints.xlsx", 3, 0, "Total"),
     "mi/complaints.xlsx", "month", 3, "Total row is not the last row"),
]


@pytest.mark.parametrize("name,change,file,column,row,words", XLSX_FATAL, ids=[f[0] for f in XLSX_FATAL])
def test_fatal_rule_excel_uses_sheet_rows(tmp_path, name, change, file, column, row, words):
    err = error_of(write_folder(tmp_path / "x", change(default_content())))
    assert (err.file, err.column, err.row) == (file, column, row), str(err)
    assert words in str(err)


def test_missing_month_is_a_gap(folder):
    (folder / "snapshots/cases_2013-09.parquet").unlink()
    err = error_of(folder)
    assert err.file == "snapshots/cases_2013-09.parquet"
    assert "gap in the monthly snapshots between 2013-08 and 2013-10" in str(err)


def test_missing_sample(folder):
    (folder / "samples/children_2013-09.parquet").unlink()
    assert "no children sample for 2013-09" in str(error_of(folder))


def test_sample_in_a_month_that_is_not_march_or_september(folder):
    (folder / "samples/children_2013-10.parquet").write_bytes(
        (folder / "samples/children_2013-09.parquet").read_bytes())
    assert "not a March or September" in str(error_of(folder))


def test_sample_larger_than_population(tmp_path):
    c = default_content()
    c["samples/children_2013-09.parquet"].append(
        dict(sample_month="2013-09", case_id="C00000002", qualifying_children=1))
    err = error_of(write_folder(tmp_path / "x", c))
    assert "sample of 3 cases is larger than its population of 2" in str(err)


def test_missing_column_and_wrong_type(tmp_path):
    c = default_content()
    rel = "events/service_requests.parquet"
    c[rel] = contract_table(rel, c[rel]).drop_columns(["request_type"])
    err = error_of(write_folder(tmp_path / "a", c))
    assert str(err) == "events/service_requests.parquet: column 'request_type': missing column"
    c = default_content()
    rel = "samples/children_2013-09.parquet"
    t = contract_table(rel, c[rel])
    c[rel] = t.set_column(2, "qualifying_children", t.column(2).cast(pa.float64()))
    err = error_of(write_folder(tmp_path / "b", c))
    assert err.column == "qualifying_children" and "wrong type: expected whole number, found double" in str(err)


def test_unparseable_and_timed_dates(tmp_path):
    c = default_content()
    rel = "events/liabilities.parquet"
    t = contract_table(rel, c[rel])
    c[rel] = t.set_column(2, "effective_date", pa.array(["2013-08-05", "05/08/2013"]))
    err = error_of(write_folder(tmp_path / "a", c))
    assert (err.column, err.row) == ("effective_date", 2) and "unparseable date '05/08/2013'" in str(err)
    c = default_content()
    t = contract_table(rel, c[rel])
    ts = pa.array([dt.datetime(2013, 8, 5), dt.datetime(2013, 8, 20, 14, 30)], pa.timestamp("us"))
    c[rel] = t.set_column(2, "effective_date", ts)
    err = error_of(write_folder(tmp_path / "b", c))
    assert (err.column, err.row) == ("effective_date", 2) and "time of day" in str(err)


def test_not_utf8(tmp_path, folder):
    (folder / "extract.json").write_bytes(b'{"source": "\xff"}')
    assert str(error_of(folder)).startswith("extract.json: not UTF-8 text (byte 0xff")
    c = default_content()
    rel = "events/applications.parquet"
    t = contract_table(rel, c[rel])
    bad = pa.array([b"R00000001", b"R\xe900000002", b"R00000003"], pa.binary()).view(pa.string())
    c[rel] = t.set_column(4, "receiving_parent_id", bad)
    err = error_of(write_folder(tmp_path / "b", c))
    assert (err.file, err.column, err.row) == (rel, "receiving_parent_id", 2)
    assert "not valid UTF-8" in str(err)


def test_unreadable_file(folder, monkeypatch):
    """Permission denied (simulated: the tests may run as root, who can read anything)."""
    real_open = builtins.open
    target = str(folder / "events/payments.parquet")

    def fake_open(file, *args, **kwargs):
        if str(file) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    assert str(error_of(folder)) == "events/payments.parquet: unreadable file (permission denied)"


def test_empty_and_truncated(folder):
    p = folder / "events/liabilities.parquet"
    data = p.read_bytes()
    p.write_bytes(data[:-40])
    assert "not a readable parquet file" in str(error_of(folder))
    p.write_bytes(b"")
    assert str(error_of(folder)) == "events/liabilities.parquet: empty file (0 bytes)"


def test_zero_rows(tmp_path):
    c = default_content()
    c["events/liabilities.parquet"] = []
    err = error_of(write_folder(tmp_path / "x", c))
    assert str(err) == "events/liabilities.parquet: no rows (at least one data row is required)"


def test_payments_may_have_no_rows(tmp_path):
    """Every case on Direct Pay: no payment through Collect and Pay is exactly right."""
    c = default_content()
    c["events/payments.parquet"] = []
    report = validate(write_folder(tmp_path / "x", c))
    assert report.rows_in["events/payments.parquet"] == 0
    assert report.rows_used["events/payments.parquet"] == 0


def test_sheet_renamed_and_header_moved(tmp_path):
    c = default_content()
    c["mi/appeals.xlsx"] = [(None,) * 5] + c["mi/appeals.xlsx"]
    err = error_of(write_folder(tmp_path / "a", c))
    assert err.row == 2 and "header moved" in str(err)
    folder = write_folder(tmp_path / "b")
    wb = openpyxl.load_workbook(folder / "mi/telephony.xlsx")
    wb.active.title = "Telephony 2016"
    wb.save(folder / "mi/telephony.xlsx")
    assert str(error_of(folder)) == (
        "mi/telephony.xlsx: sheet 'Telephony' not found (the workbook has 'Telephony 2016')")


def test_bad_metadata(folder):
    meta = json.loads((folder / "extract.json").read_text())
    for change, words in [
        ({"first_month": "2013-07"}, "before the scheme start"),
        ({"last_month": "2013-07", "first_month": "2013-08"}, "before first_month"),
        ({"generator": None}, "field 'generator'"),
    ]:
        (folder / "extract.json").write_text(json.dumps(dict(meta, **change)))
        assert words in str(error_of(folder))
    with pytest.raises(ExtractError, match="extract folder not found"):
        open_extracts(folder / "nowhere")


# ----------------------------------------------------------------------------- quarantine
def quarantined_content():
    c = default_content()
    _set(c, "events/payments.parquet", 1, payment_date=D(2013, 7, 31))            # before start
    c["events/payments.parquet"].append(
        dict(payment_id="Y000000003", case_id="C00000099", case_group_id="G00000009",
             payment_date=D(2013, 9, 9), amount=5.0))                              # unknown case
    _set(c, "events/service_requests.parquet", 1, cleared_date=D(2013, 8, 30))    # before received
    _set(c, "events/reconsiderations.parquet", 1, received_date=D(2013, 11, 1))   # after last month
    c["mi/accuracy_checks.xlsx"].append(("K0000003", "2013-10", "C00000001", 1.0, 0.0))
    c["mi/telephony.xlsx"].insert(1, ("2013-07", 10, 10, 10))                      # before start
    c["mi/telephony.xlsx"][-1] = ("Total", 340, 318, 275)
    return c


def test_quarantine_table_and_identity(tmp_path):
    folder = write_folder(tmp_path / "x", quarantined_content())
    report = validate(folder)
    expected = pd.DataFrame({
        "file": pd.Series(["events/payments.parquet", "events/payments.parquet",
                           "events/service_requests.parquet", "events/reconsiderations.parquet",
                           "mi/telephony.xlsx", "mi/accuracy_checks.xlsx"], dtype="str"),
        "row": pd.Series([1, 3, 1, 1, 2, 4], dtype="int64"),
        "column": pd.Series(["payment_date", "case_id", "cleared_date", "received_date", "month",
                             "correct_weekly_amount"], dtype="str"),
        "reason": pd.Series(["dated before scheme start", "case never in a snapshot",
                             "cleared before received", "dated after last month",
                             "dated before scheme start", "non-positive correct amount"], dtype="str"),
    })
    pd.testing.assert_frame_equal(report.quarantine, expected)
    for f in report.files:
        assert report.rows_in[f] == report.rows_used[f] + report.rows_quarantined[f], f
    assert report.rows_in["events/payments.parquet"] == 3
    assert report.rows_used["events/payments.parquet"] == 1
    assert "events/payments.parquet: case never in a snapshot: 1" in report.format()
    # the folder's accessors agree with validate()
    f = open_extracts(folder)
    assert f.payments()["payment_id"].tolist() == ["Y000000002"]
    assert f.mi("telephony")["month"].tolist() == MONTHS
    assert len(f.mi("accuracy_checks")) == 2
    assert len(f.service_requests()) == 1 and len(f.reconsiderations()) == 1
    pd.testing.assert_frame_equal(
        f.quarantine.sort_values(["file", "row"], ignore_index=True),
        expected.sort_values(["file", "row"], ignore_index=True))
    f.payments()  # read again: nothing counted twice
    assert len(f.quarantine) == len(expected)



def test_below_min_reason_names_the_rule():
    money = dict(type="money")
    assert Column("amount", min=0.0, min_inclusive=False, **money).below_min_reason == "non-positive amount"
    assert Column("weekly_amount", min=0.0, **money).below_min_reason == "negative weekly_amount"
    assert Column("n", "integer", min=1).below_min_reason == "n below 1"
    assert Column("x", min=1.5, min_inclusive=False, **money).below_min_reason == "x not above 1.5"
    labelled = CONTRACT["accuracy_checks"].column("correct_weekly_amount")
    assert labelled.below_min_reason == "non-positive correct amount"  # the published label


def test_every_quarantine_reason_of_the_contract_is_documented():
    for spec in CONTRACT.values():
        for col in spec.columns:
            if col.below_min == "quarantine":
                assert col.below_min_reason in QUARANTINE_REASONS, (spec.key, col.name)


def test_below_min_quarantine_says_which_rule_fired(tmp_path, monkeypatch):
    """A payment amount <= 0 quarantined (in a contract that says so) is not a "correct amount"."""
    spec = CONTRACT["payments"]
    columns = tuple(dataclasses.replace(c, below_min="quarantine") if c.name == "amount" else c
                    for c in spec.columns)
    monkeypatch.setitem(CONTRACT, "payments", dataclasses.replace(spec, columns=columns))
    c = default_content()
    _set(c, "events/payments.parquet", 2, amount=0.0)
    c["mi/accuracy_checks.xlsx"].append(("K0000003", "2013-10", "C00000001", 1.0, 0.0))
    report = validate(write_folder(tmp_path / "x", c))
    expected = pd.DataFrame({
        "file": pd.Series(["events/payments.parquet", "mi/accuracy_checks.xlsx"], dtype="str"),
        "row": pd.Series([2, 4], dtype="int64"),
        "column": pd.Series(["amount", "correct_weekly_amount"], dtype="str"),
        "reason": pd.Series(["non-positive amount", "non-positive correct amount"], dtype="str"),
    })
    pd.testing.assert_frame_equal(report.quarantine, expected)
    assert report.rows_used["events/payments.parquet"] == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(-40, 140), st.booleans()), min_size=1, max_size=12))
def test_rows_in_equals_used_plus_quarantined(tmp_path_factory, payments):
    """Any mix of good and bad payments: every row is used or quarantined, exactly once."""
    c = default_content()
    start = D(2013, 8, 1)
    c["events/payments.parquet"] = [
        dict(payment_id=f"Y{i:09d}", case_id="C00000001" if known else "C00000077",
             case_group_id="G00000001", payment_date=start + dt.timedelta(days=offset), amount=1.0)
        for i, (offset, known) in enumerate(payments)
    ]
    folder = write_folder(tmp_path_factory.mktemp("h") / "x", c)
    report = validate(folder)
    rel = "events/payments.parquet"
    in_window = [0 <= off <= (D(2013, 10, 31) - start).days for off, _ in payments]
    expected_used = sum(w and k for w, (_, k) in zip(in_window, payments))
    assert report.rows_in[rel] == len(payments)
    assert report.rows_used[rel] == expected_used
    assert report.rows_used[rel] + report.rows_quarantined[rel] == report.rows_in[rel]
    q = report.quarantine[report.quarantine["file"] == rel]
    assert q["row"].is_unique
    assert len(open_extracts(folder).payments()) == expected_used


# ----------------------------------------------------------------------------- the xlsx reader
def _trimmed(rows):
    out = []
    for r in rows:
        r = list(r)
        while r and r[-1] is None:
            r.pop()
        out.append(tuple(r))
    while out and not out[-1]:
        out.pop()
    return out


def test_xlsx_reader_agrees_with_openpyxl(tmp_path):
    from cms_stats.extracts.xlsx import read_sheet

    wb = openpyxl.Workbook()
    wb.active.title = "Other"
    ws = wb.create_sheet("Data")
    ws.append(["month", "n", "x", "flag", "when"])
    ws.append(["2013-08", 3, 2.5, True, dt.datetime(2013, 8, 1)])
    ws.append([])
    ws.append(["Total", -7, 1e-3, False, dt.date(2016, 2, 29)])
    ws["G6"] = "far away"
    ws["B7"] = "=B2+1"  # a formula without a cached value reads as empty, as with data_only
    ws["C8"].value = 12345678901
    ws["D8"].number_format = "0.00%"
    ws["D8"].value = 0.25
    path = tmp_path / "w.xlsx"
    wb.save(path)
    ref = openpyxl.load_workbook(path, read_only=True, data_only=True)
    expected = _trimmed(ref["Data"].iter_rows(values_only=True))
    ref.close()
    assert _trimmed(read_sheet(path, "Data")) == expected
    assert expected[1][4] == dt.datetime(2013, 8, 1)


# ----------------------------------------------------------------------------- periods
def test_check_period(folder):
    f = open_extracts(folder)
    assert check_period(f, "2013-10") == "2013-10"
    assert f.check_period("2013-08") == "2013-08"
    with pytest.raises(PeriodError) as info:
        check_period(f, "2016-08")
    assert isinstance(info.value, ExtractError)
    assert str(info.value) == (
        "extract.json: release period 2016-08 is outside the data: the extract covers 2013-08 to 2013-10")
    with pytest.raises(PeriodError, match="not a month"):
        check_period(f, "2016-8")
    with pytest.raises(PeriodError, match="no snapshot for '2014-01'"):
        f.snapshot("2014-01")
    with pytest.raises(PeriodError, match="no children sample"):
        f.children_sample("2013-10")
    with pytest.raises(ValueError, match="unknown MI feed"):
        f.mi("calls")


def test_quarantine_reasons_are_the_documented_ones(tmp_path):
    report = validate(write_folder(tmp_path / "x", quarantined_content()))
    assert set(report.quarantine["reason"]) <= set(QUARANTINE_REASONS)
    assert np.all(report.quarantine["row"].to_numpy() >= 1)


def test_months_are_ascii(folder):
    """The loader's months come from cms_stats.months, still with ASCII digits only."""
    f = open_extracts(folder)
    with pytest.raises(PeriodError, match="is not a month YYYY-MM"):
        check_period(f, "\u0662\u0660\u0661\u0663-08")  # Arabic-Indic digits: 2013-08
    meta = json.loads((folder / "extract.json").read_text())
    meta["first_month"] = "\u0662\u0660\u0661\u0663-08"
    (folder / "extract.json").write_text(json.dumps(meta))
    assert str(error_of(folder)).startswith("extract.json: field 'first_month': not a month YYYY-MM")
