"""The engine's own scan of an event file gives the loader's rows and values, and the folder's
bookkeeping a read would give (``cms_stats.extracts.scan``, ``Engine.scan``).

The comparison is against the loader's validated Arrow table of the same file (the pandas
accessors' rows), on a folder with quarantined rows, with and without a cut-off that leaves
rows recorded later out and clearances made later unmade.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cms_stats.extracts import checked, open_extracts
from cms_stats.extracts.contract import CONTRACT, EVENT_FILES, OPTIONAL_FILES
from cms_stats.measures.engine import Engine

EVENTS = (*EVENT_FILES, *OPTIONAL_FILES)
#: Rows of the service requests moved before the scheme start: quarantined, not fatal.
EARLY_ROWS = [0, 5, 17]


@pytest.fixture(scope="module")
def folder_with_quarantine(small_data, tmp_path_factory):
    """``small_data`` with three service requests dated before the scheme start."""
    folder = tmp_path_factory.mktemp("scan") / "data"
    shutil.copytree(small_data, folder)
    path = folder / CONTRACT["service_requests"].path
    table = pq.read_table(path)
    i = table.schema.get_field_index("received_date")
    days = table.column(i).to_pylist()
    for row in EARLY_ROWS:
        days[row] = dt.date(2011, 1, 3)
    pq.write_table(table.set_column(i, "received_date", pa.array(days, pa.date32())), path)
    return folder


@pytest.fixture
def settled(monkeypatch):
    """Files written by the fixtures a moment ago count as settled (remembered when checked)."""
    monkeypatch.setattr(checked, "SETTLED_NS", 0)
    checked.forget()
    yield
    checked.forget()


@pytest.fixture(scope="module")
def duckdb():
    return Engine("duckdb")


def _rows(engine: Engine, table) -> pd.DataFrame:
    frame = engine.con.to_pyarrow(table).to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("known_at", [None, dt.date(2015, 6, 30)])
def test_scan_gives_the_loaders_rows(folder_with_quarantine, known_at, duckdb, settled):
    scanned_folder = open_extracts(folder_with_quarantine, known_at=known_at)
    read_folder = open_extracts(folder_with_quarantine, known_at=known_at)
    quarantined, cut, cleared = set(EARLY_ROWS), 0, 0
    for key in EVENTS:
        scan = scanned_folder.event_scan(key)
        if key in OPTIONAL_FILES and CONTRACT[key].path in scanned_folder.absent_files:
            assert scan is None
            continue
        assert scan is not None, key
        scanned = _rows(duckdb, duckdb.scan(scan))
        read = _rows(duckdb, duckdb.arrow(read_folder.event_table(key)))
        pd.testing.assert_frame_equal(scanned, read[scanned.columns], check_dtype=False)
        assert list(scanned.columns) == [c.name for c in CONTRACT[key].columns]
        if key == "service_requests":
            quarantined = set(EARLY_ROWS) - set(scan.taken.tolist())
        cut += scan.recorded_by is not None
        cleared += scan.cleared is not None
    # the bookkeeping a read gives, file by file
    for what in ("rows_in", "rows_quarantined", "rows_not_yet_known", "rows_used"):
        assert getattr(scanned_folder, what) == getattr(read_folder, what), what
    pd.testing.assert_frame_equal(scanned_folder.quarantine, read_folder.quarantine)
    # what the comparison covered: quarantined rows, and with a cut-off rows left out
    assert not quarantined, "the early service requests were not quarantined"
    if known_at is not None:
        assert cut and cleared and sum(scanned_folder.rows_not_yet_known.values()) > 0
    else:
        assert not cut and not cleared


def test_the_comparison_can_fail(folder_with_quarantine, duckdb, settled):
    """A scan that kept the quarantined rows would not equal the loader's rows."""
    folder = open_extracts(folder_with_quarantine)
    scan = folder.event_scan("service_requests")
    unfiltered = type(scan)(**{**scan.__dict__, "taken": scan.taken[:0]})
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(
            _rows(duckdb, duckdb.scan(unfiltered)),
            _rows(duckdb, duckdb.arrow(folder.event_table("service_requests"))))


def test_a_converted_type_is_not_scanned(folder_with_quarantine, tmp_path, duckdb, settled):
    """Dates stored as timestamps are converted by the loader: the engine takes its table."""
    folder = tmp_path / "data"
    shutil.copytree(folder_with_quarantine, folder)
    path = folder / CONTRACT["applications"].path
    table = pq.read_table(path)
    i = table.schema.get_field_index("received_date")
    table = table.set_column(i, "received_date", pc.cast(table.column(i), pa.timestamp("us")))
    pq.write_table(table, path)
    opened = open_extracts(folder)
    assert opened.event_scan("applications") is None
    assert opened.event_scan("payments") is not None


def test_an_unsettled_file_is_not_scanned(folder_with_quarantine, duckdb):
    """A file written in the last seconds is not remembered as checked: no scan of it."""
    checked.forget()
    folder = open_extracts(folder_with_quarantine)
    path = folder.path / CONTRACT["closures"].path
    path.touch()  # changed now
    assert open_extracts(folder_with_quarantine).event_scan("closures") is None


def test_a_bad_file_stops_the_scan_with_one_line(folder_with_quarantine, tmp_path, settled):
    from cms_stats.extracts import ExtractError

    folder = tmp_path / "data"
    shutil.copytree(folder_with_quarantine, folder)
    path = folder / CONTRACT["payments"].path
    table = pq.read_table(path)
    i = table.schema.get_field_index("amount")
    amounts = table.column(i).to_pylist()
    amounts[3] = None
    pq.write_table(table.set_column(i, "amount", pa.array(amounts, pa.float64())), path)
    with pytest.raises(ExtractError, match=r"^events/payments\.parquet: column .amount., row 4: missing value$"):
        open_extracts(folder).event_scan("payments")


@pytest.mark.parametrize("known_at", [None, dt.date(2015, 6, 30)])
def test_one_column_is_the_loaders_column(folder_with_quarantine, known_at, settled):
    """``event_column`` reads one column alone and gives the loader's rows of it."""
    scanned = open_extracts(folder_with_quarantine, known_at=known_at)
    read = open_extracts(folder_with_quarantine, known_at=known_at)
    for key, column in (("service_requests", "received_date"), ("applications", "received_date"),
                        ("applications", "cleared_date"), ("payments", "amount")):
        assert scanned.event_column(key, column).equals(read.event_table(key).column(column)), (key, column)


def test_applications_without_clearances_with_a_cut_off(folder_with_quarantine, tmp_path, duckdb,
                                                        settled):
    """The clearance columns are optional: absent, a cut-off has no clearance to unmake."""
    folder = tmp_path / "data"
    shutil.copytree(folder_with_quarantine, folder)
    path = folder / CONTRACT["applications"].path
    pq.write_table(pq.read_table(path).drop_columns(["cleared_date", "clearance_type"]), path)
    scanned = open_extracts(folder, known_at=dt.date(2015, 6, 30))
    read = open_extracts(folder, known_at=dt.date(2015, 6, 30))
    scan = scanned.event_scan("applications")
    assert scan is not None and {"cleared_date", "clearance_type"} <= set(scan.absent)
    rows = _rows(duckdb, duckdb.scan(scan))
    assert len(rows) and rows["cleared_date"].isna().all()
    pd.testing.assert_frame_equal(rows, _rows(duckdb, duckdb.arrow(read.event_table("applications")))[rows.columns],
                                  check_dtype=False)


def test_an_absent_column_under_a_cut_off(folder_with_quarantine, settled):
    """One absent optional column has the loader's rows' length (rows recorded later out)."""
    known_at = dt.date(2015, 6, 30)
    scanned = open_extracts(folder_with_quarantine, known_at=known_at)
    read = open_extracts(folder_with_quarantine, known_at=known_at)
    assert "paid_to_arrears" in scanned.event_scan("payments").absent
    column = scanned.event_column("payments", "paid_to_arrears")
    assert column.null_count == len(column) == read.event_table("payments").num_rows


def test_a_column_named_again_in_another_case_is_not_scanned(folder_with_quarantine, tmp_path,
                                                            settled):
    """``AMOUNT`` beside ``amount``: the engine's reader would rename one; the loader's table."""
    folder = tmp_path / "data"
    shutil.copytree(folder_with_quarantine, folder)
    path = folder / CONTRACT["payments"].path
    table = pq.read_table(path)
    pq.write_table(table.add_column(0, "AMOUNT", table.column("amount")), path)
    opened = open_extracts(folder)
    assert opened.event_scan("payments") is None
    assert opened.event_table("payments").num_rows > 0


def test_a_file_changed_while_the_measures_read_it_stops_them(folder_with_quarantine, tmp_path,
                                                              settled):
    """The engine reads a scanned file when its queries run: a file rewritten after the check
    (here with a missing amount the check would refuse) stops the measures with one line."""
    from cms_stats.extracts import ExtractError
    from cms_stats.measures.context import Context

    folder = tmp_path / "data"
    shutil.copytree(folder_with_quarantine, folder)
    ctx = Context(open_extracts(folder), "2016-08")
    ctx.engine_payments  # scanned from the file as checked
    ctx.check_unchanged()  # nothing changed yet
    path = folder / CONTRACT["payments"].path
    table = pq.read_table(path).slice(0, 100)
    amounts = table.column("amount").to_pylist()
    amounts[3] = None
    i = table.schema.get_field_index("amount")
    pq.write_table(table.set_column(i, "amount", pa.array(amounts, pa.float64())), path)
    with pytest.raises(ExtractError, match=r"^events/payments\.parquet: changed while the measures read it"):
        ctx.check_unchanged()
