"""A file read again in the same process is not checked again while the folder is unchanged
(``extracts.checked``): same frames, same quarantine, and every change is checked."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from test_extracts import _set, default_content, error_of, quarantined_content, write_folder
from test_extracts_vintage import vintage_content

from cms_stats.extracts import CONTRACT, ExtractError, open_extracts, validate
from cms_stats.extracts import checked, columns, rules

D = dt.date
SNAP = "snapshots/cases_2013-09.parquet"


@pytest.fixture(autouse=True)
def nothing_remembered(monkeypatch):
    """Nothing remembered before or after; files written by the test count as settled."""
    monkeypatch.setattr(checked, "SETTLED_NS", 0)
    checked.forget()
    yield
    checked.forget()


def _report(report) -> dict:
    """Every field of a validation report but its timing."""
    fields = {k: v for k, v in vars(report).items() if k != "seconds"}
    fields["quarantine"] = fields["quarantine"].to_dict("list")
    return fields


def _everything(folder) -> dict:
    """Every accessor's frame and the quarantine of a folder opened afresh."""
    f = open_extracts(folder)
    frames = {m: f.snapshot(m) for m in f.months}
    frames |= {name: getattr(f, name)() for name in ("applications", "payments", "liabilities",
                                                     "service_requests", "reconsiderations")}
    frames |= {f"mi {name}": f.mi(name) for name in ("telephony", "complaints", "appeals",
                                                       "accuracy_checks")}
    frames["quarantine"] = f.quarantine.sort_values(["file", "row"], ignore_index=True)
    return frames


def _no_checks_allowed(monkeypatch):
    """Any value check, rule or quarantine rule run from now on fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a file was checked again")
    monkeypatch.setattr(columns, "_check_column", refuse)
    monkeypatch.setattr(columns, "_check_key", refuse)
    monkeypatch.setattr(columns, "_check_utf8", refuse)
    monkeypatch.setattr(rules, "_rule_month_matches", refuse)
    monkeypatch.setattr("cms_stats.extracts.folder.apply_quarantine", refuse)
    monkeypatch.setattr("cms_stats.extracts.folder.read_xlsx", refuse)


def test_a_second_read_is_not_checked_and_gives_the_same_frames(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "x", quarantined_content())
    first_report = validate(folder)
    first = _everything(folder)
    checked.forget()
    fresh = _everything(folder)  # everything checked again: the reference
    validate(folder)
    _no_checks_allowed(monkeypatch)
    again = validate(folder)
    pd.testing.assert_frame_equal(again.quarantine, first_report.quarantine)
    assert _report(again) == _report(first_report)
    assert again.absent_columns  # the MI workbooks have no delivered_date: absent, remembered
    remembered = _everything(folder)
    assert list(remembered) == list(fresh)
    for name in fresh:
        pd.testing.assert_frame_equal(remembered[name], fresh[name], obj=name)
        pd.testing.assert_frame_equal(first[name], fresh[name], obj=name)
    assert len(remembered["quarantine"]) == 6  # the six faults of quarantined_content()


def test_the_checks_can_fail_a_remembered_folder(tmp_path, monkeypatch):
    """The test above would see a check run again (it is not vacuous)."""
    folder = write_folder(tmp_path / "x")
    validate(folder)
    checked.forget()
    _no_checks_allowed(monkeypatch)
    with pytest.raises(AssertionError, match="checked again"):
        validate(folder)


def test_a_file_changed_after_it_was_checked_is_checked_again(tmp_path):
    folder = write_folder(tmp_path / "x")
    validate(folder)
    bad = _set(default_content(), SNAP, 2, arrears_paid=-3.2)
    write_folder(folder, bad)
    err = error_of(folder)
    assert (err.file, err.column, err.row) == (SNAP, "arrears_paid", 2)
    assert "negative money (-3.20)" in str(err)
    # a file that failed is not remembered: it fails again, with the same line
    assert str(error_of(folder)) == str(err)


def test_a_change_to_another_file_redoes_the_quarantine_that_reads_it(tmp_path):
    """Payments are quarantined against the snapshots: a snapshot changed moves that
    quarantine although the payments file is untouched."""
    content = default_content()
    content["events/payments.parquet"].append(
        dict(payment_id="Y000000003", case_id="C00000004", case_group_id="G00000003",
             payment_date=D(2013, 9, 9), amount=5.0))
    folder = write_folder(tmp_path / "x", content)
    before = validate(folder)
    assert before.quarantine["reason"].tolist() == ["case never in a snapshot"]
    content[SNAP].append(dict(content[SNAP][1], case_id="C00000004", case_group_id="G00000003"))
    write_folder(folder, {SNAP: content[SNAP]}, meta=None)
    after = validate(folder)
    assert len(after.quarantine) == 0
    assert after.rows_used["events/payments.parquet"] == 3


def test_a_changed_contract_checks_again(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "x")
    validate(folder)
    spec = CONTRACT["liabilities"]
    stricter = tuple(dataclasses.replace(c, codes=tuple(x for x in c.codes if x != "initial"))
                     if c.name == "reason" else c for c in spec.columns)
    monkeypatch.setitem(CONTRACT, "liabilities", dataclasses.replace(spec, columns=stricter))
    with pytest.raises(ExtractError, match="unknown code 'initial'"):
        validate(folder)


def test_the_cutoff_still_applies_to_remembered_files(tmp_path):
    """Checks are the same at every cut-off; what is known is not (applications and a
    re-delivered MI feed, read first at extraction, then as known at 30 September)."""
    folder = write_folder(tmp_path / "x", vintage_content())
    cut = D(2013, 9, 30)
    late = open_extracts(folder)
    late_frames = (late.applications(), late.mi("telephony"))
    early = open_extracts(folder, known_at=cut)  # remembered, then cut
    early_frames = (early.applications(), early.mi("telephony"))
    checked.forget()
    fresh = open_extracts(folder, known_at=cut)
    for remembered, checked_again in zip(early_frames, (fresh.applications(), fresh.mi("telephony"))):
        pd.testing.assert_frame_equal(remembered, checked_again)
    assert (early.rows_not_yet_known, early.rows_superseded) == (
        fresh.rows_not_yet_known, fresh.rows_superseded)
    assert len(early_frames[0]) < len(late_frames[0])
    assert early_frames[1][["month", "calls_received"]].values.tolist() == [["2013-08", 100]]


def test_a_sample_read_first_reads_its_snapshot_as_a_fresh_check_does(tmp_path, monkeypatch):
    """The children sample's rule reads its month's snapshot (the sample's population): a
    remembered sample does too, so the folder's counts are those of a fresh check."""
    folder = write_folder(tmp_path / "x")
    validate(folder)

    def counts(f):
        return (f.rows_in, f.rows_used, f.rows_quarantined, f.rows_not_yet_known,
                f.rows_superseded, f.absent_columns)

    checked.forget()
    fresh = open_extracts(folder)
    fresh_sample = fresh.children_sample("2013-09")
    validate(folder)
    _no_checks_allowed(monkeypatch)
    remembered = open_extracts(folder)
    pd.testing.assert_frame_equal(remembered.children_sample("2013-09"), fresh_sample)
    assert counts(remembered) == counts(fresh)
    assert "snapshots/cases_2013-09.parquet" in remembered.rows_in


def test_a_file_just_written_is_not_remembered(tmp_path, monkeypatch):
    """A file changed in the last two seconds could be rewritten within the same tick of a
    coarse clock keeping its identity: it is checked every time until it has settled."""
    monkeypatch.setattr(checked, "SETTLED_NS", 2_000_000_000)
    folder = write_folder(tmp_path / "x")
    validate(folder)
    _no_checks_allowed(monkeypatch)
    with pytest.raises(AssertionError, match="checked again"):
        validate(folder)


def _snapshot_bookkeeping(f) -> dict:
    """What a folder reports of its snapshots (rows in, used, quarantined, absent columns)."""
    snaps = {rel for rel in f.files() if rel.startswith("snapshots/")}
    return {name: {rel: n for rel, n in getattr(f, name).items() if rel in snaps}
            for name in ("rows_in", "rows_used", "rows_quarantined", "rows_not_yet_known",
                         "rows_superseded")} | {
        "absent": {rel: cols for rel, cols in f._absent.items() if rel in snaps}}


def test_checking_a_snapshot_validated_already_reads_nothing(tmp_path, monkeypatch):
    """The measures engine scans the snapshots itself: after the release's validation the
    check before it reads no snapshot, and the folder reports what reading them reports."""
    folder = write_folder(tmp_path / "x")
    reading = open_extracts(folder)
    for month in reading.months:
        reading.snapshot(month)
    validate(folder)
    f = open_extracts(folder)
    _no_checks_allowed(monkeypatch)

    def refuse(*args, **kwargs):
        raise AssertionError("a snapshot was read again")
    monkeypatch.setattr("cms_stats.extracts.folder.read_parquet", refuse)
    for month in f.months:
        f.check_snapshot(month)
    assert _snapshot_bookkeeping(f) == _snapshot_bookkeeping(reading)
    assert _snapshot_bookkeeping(f)["rows_in"] and all(_snapshot_bookkeeping(f)["rows_in"].values())


def test_checking_a_snapshot_not_checked_yet_checks_it(tmp_path):
    folder = write_folder(tmp_path / "x", _set(default_content(), SNAP, 2, arrears_paid=-3.2))
    f = open_extracts(folder)
    f.check_snapshot("2013-08")  # a good one passes
    with pytest.raises(ExtractError) as info:
        f.check_snapshot("2013-09")
    err = info.value
    assert (err.file, err.column, err.row) == (SNAP, "arrears_paid", 2)
    assert str(err) == str(error_of(folder))  # the line validation gives
    with pytest.raises(ExtractError, match="no snapshot for"):
        f.check_snapshot("2020-01")
