"""An event file checked in batches (``extracts.streamed``) gives what a check of the whole file
gives: the same report, the same quarantine, and on bad input the same line (file, column, row),
whatever the batch size; a key repeated in another batch names the later row."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from test_extracts_checked import _report, nothing_remembered  # noqa: F401 (autouse)

from cms_stats.extracts import CONTRACT, ExtractError, checked, keys, open_extracts, streamed, validate
from cms_stats.extracts.spec import ID_PATTERNS

SMALL_BATCH = 4096
REQUESTS = "service_requests"


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setenv(streamed.BATCH_ROWS_SETTING, str(SMALL_BATCH))


@pytest.fixture
def folder(small_data, tmp_path) -> Path:
    return shutil.copytree(small_data, tmp_path / "extract")


def _rows(folder: Path, key: str) -> int:
    return pq.ParquetFile(folder / CONTRACT[key].path).metadata.num_rows


def _edit(folder: Path, key: str, changes: dict[tuple[str, int], object]) -> int:
    """Set ``(column, row)`` (1-based data rows) of an event file (a column it lacks is added,
    zero in every row); returns its row count."""
    path = folder / CONTRACT[key].path
    table = pq.read_table(path)
    for column in {c for c, _ in changes} - set(table.column_names):
        table = table.append_column(column, pa.array([0.0] * table.num_rows))
    for (column, row), value in changes.items():
        values = table.column(column).to_pylist()
        values[row - 1] = value
        i = table.column_names.index(column)
        table = table.set_column(i, column, pa.array(values, table.schema.field(column).type))
    pq.write_table(table, path)
    return table.num_rows


def _whole_file_error(folder: Path, key: str) -> str | None:
    """The loader's check of the whole file in one table (its first fault), or None."""
    checked.forget()
    try:
        open_extracts(folder)._load(key)
    except ExtractError as exc:
        return str(exc)
    return None


def _batched_error(folder: Path, key: str) -> str | None:
    checked.forget()
    try:
        streamed.check_event(open_extracts(folder), key)
    except ExtractError as exc:
        return str(exc)
    return None


def test_setting_is_a_whole_number(monkeypatch):
    monkeypatch.setenv(streamed.BATCH_ROWS_SETTING, "many")
    with pytest.raises(ValueError, match="whole number of rows"):
        streamed.batch_rows()
    monkeypatch.setenv(streamed.BATCH_ROWS_SETTING, "")
    assert streamed.batch_rows() == 1 << 20


def test_batch_size_does_not_change_the_report(small_data, monkeypatch):
    for known_at in (None, dt.date(2015, 6, 30)):
        whole = _report(validate(small_data, known_at=known_at))
        checked.forget()
        monkeypatch.setenv(streamed.BATCH_ROWS_SETTING, "999")
        batched = _report(validate(small_data, known_at=known_at))
        monkeypatch.delenv(streamed.BATCH_ROWS_SETTING)
        checked.forget()
        assert batched == whole
        assert whole["quarantine"]["row"], "the small folder quarantines some rows"


def test_the_folder_keeps_no_rows_of_a_checked_file(small_data, small_batches):
    f = open_extracts(small_data)
    streamed.check_event(f, REQUESTS)
    rel = CONTRACT[REQUESTS].path
    assert f._frames == {} and f.rows_in[rel] == pq.ParquetFile(small_data / rel).metadata.num_rows
    again = open_extracts(small_data)
    streamed.check_event(again, REQUESTS)  # remembered: counted, not checked
    assert again.rows_used == f.rows_used and again.quarantine.equals(f.quarantine)


def test_key_repeated_in_a_later_batch_names_the_later_row(folder, small_batches):
    first = pq.read_table(folder / CONTRACT[REQUESTS].path, columns=["request_id"]).column(0)[1].as_py()
    rows = _edit(folder, REQUESTS, {("request_id", SMALL_BATCH * 2 + 5): first})
    assert rows > SMALL_BATCH * 3
    error = _batched_error(folder, REQUESTS)
    assert error == (f"events/service_requests.parquet: column 'request_id', row {SMALL_BATCH * 2 + 5}: "
                     f"duplicate key '{first}' (first at row 2)")
    assert error == _whole_file_error(folder, REQUESTS)


def test_keys_out_of_order_but_unique_pass(folder, small_batches):
    ids = pq.read_table(folder / CONTRACT[REQUESTS].path, columns=["request_id"]).column(0)
    a, b = ids[10].as_py(), ids[SMALL_BATCH + 10].as_py()
    _edit(folder, REQUESTS, {("request_id", 11): b, ("request_id", SMALL_BATCH + 11): a})  # swapped
    assert _batched_error(folder, REQUESTS) is None is _whole_file_error(folder, REQUESTS)


def test_hashed_keys_are_checked_again_on_their_text(folder, small_batches, monkeypatch):
    """A key without a fixed width is hashed; keys sharing a hash are compared exactly."""
    monkeypatch.setitem(ID_PATTERNS, "service_request", r"S[0-9]{9}|T[0-9]+")
    ids = pq.read_table(folder / CONTRACT[REQUESTS].path, columns=["request_id"]).column(0)
    col = CONTRACT[REQUESTS].column("request_id")
    codes = keys.key_codes(pa.chunked_array([pa.array([ids[0].as_py(), ids[1].as_py(), ids[0].as_py()])]), col)
    assert codes.dtype == "uint64" and codes[0] == codes[2] != codes[1]
    _edit(folder, REQUESTS, {("request_id", 3): "T7"})  # out of order: the whole key column is checked
    real = keys.key_codes
    monkeypatch.setattr(keys, "key_codes", lambda arr, c: real(arr, c) % 7)  # many collisions
    assert _batched_error(folder, REQUESTS) is None
    _edit(folder, REQUESTS, {("request_id", SMALL_BATCH + 3): "T7"})
    assert _batched_error(folder, REQUESTS) == (
        f"events/service_requests.parquet: column 'request_id', row {SMALL_BATCH + 3}: "
        "duplicate key 'T7' (first at row 3)")


def test_fault_in_the_last_batch_names_its_row(folder, small_batches):
    rows = _edit(folder, REQUESTS, {("request_type", _rows(folder, REQUESTS)): "appeal"})
    error = _batched_error(folder, REQUESTS)
    assert error.startswith(f"events/service_requests.parquet: column 'request_type', row {rows}: "
                            "unknown code 'appeal'")
    assert error == _whole_file_error(folder, REQUESTS)


def test_earlier_column_in_a_later_batch_comes_first(folder, small_batches):
    """The whole file's order: each column over every row, in the contract's order."""
    rows = _edit(folder, REQUESTS, {("request_type", 3): "appeal", ("case_id", _rows(folder, REQUESTS)): "C1"})
    error = _batched_error(folder, REQUESTS)
    assert f"column 'case_id', row {rows}:" in error
    assert error == _whole_file_error(folder, REQUESTS)


def test_a_columns_checks_in_the_whole_files_order(folder, small_batches):
    """Within a column, a later check failing in an early batch gives way to an earlier
    check failing in a later one (here: pence, then a missing amount)."""
    rows = _edit(folder, "payments", {("amount", 2): 10.005, ("amount", _rows(folder, "payments")): None})
    error = _batched_error(folder, "payments")
    assert error == f"events/payments.parquet: column 'amount', row {rows}: missing value"
    assert error == _whole_file_error(folder, "payments")


def test_rules_in_the_whole_files_order(folder, small_batches):
    """The recording dates' rule before the contract's rule; the key before both."""
    table = pq.read_table(folder / CONTRACT["payments"].path)
    rows = table.num_rows
    paid = table.column("payment_date")[rows - 1].as_py()
    _edit(folder, "payments", {("paid_to_arrears", 2): 1e6})
    assert "paid_to_arrears" in _batched_error(folder, "payments")  # a fault in that order, alone
    _edit(folder, "payments", {("recorded_date", rows): paid - dt.timedelta(days=1)})
    error = _batched_error(folder, "payments")
    assert f"column 'recorded_date', row {rows}: recorded" in error
    assert error == _whole_file_error(folder, "payments")
    first = table.column("payment_id")[0].as_py()
    _edit(folder, "payments", {("payment_id", rows - 1): first})
    error = _batched_error(folder, "payments")
    assert f"row {rows - 1}: duplicate key" in error
    assert error == _whole_file_error(folder, "payments")


def test_quarantine_reads_the_snapshots_once(folder, small_batches, monkeypatch):
    """The payments' rule asks the snapshots about every case_id of the file at once."""
    from cms_stats.extracts.folder import ExtractFolder

    calls = []
    real = ExtractFolder._snapshot_case_ids
    monkeypatch.setattr(ExtractFolder, "_snapshot_case_ids",
                        lambda self, wanted: calls.append(len(wanted)) or real(self, wanted))
    f = open_extracts(folder)
    streamed.check_event(f, "payments")
    batched = f.quarantine
    checked.forget()
    whole = open_extracts(folder)
    whole.payments()
    assert batched.equals(whole.quarantine) and len(batched)
    assert calls[0] == calls[-1] == len(pq.read_table(folder / CONTRACT["payments"].path).column("case_id").unique())


@pytest.mark.parametrize("pattern", [None, r"C[0-9]{8}|D[0-9]+"])
def test_a_population_held_as_digits_answers_as_its_text(small_data, monkeypatch, pattern):
    """A sample's population (``KeySet``): the same size and members as the distinct text."""
    if pattern:
        monkeypatch.setitem(ID_PATTERNS, "case", pattern)
    col = CONTRACT["snapshot"].column("case_id")
    ids = pq.read_table(small_data / CONTRACT["snapshot"].path.format(month="2016-03"), columns=["case_id"]).column(0)
    population = keys.KeySet(ids.slice(0, len(ids) // 2), col)
    assert len(population) == len(ids.slice(0, len(ids) // 2).unique())
    expected = pc.is_in(ids, value_set=ids.slice(0, len(ids) // 2).unique())
    assert population.contains(ids).to_pylist() == expected.to_pylist()
    assert isinstance(population._values, pa.Array) == bool(pattern)  # digits, or else the text


def test_a_file_unreadable_in_a_later_batch_gives_the_whole_files_line(folder, monkeypatch):
    """A data page damaged in the last row group: the batches read well at first, then fail;
    the check falls back to reading the whole file, so the line is the loader's own."""
    monkeypatch.setenv(streamed.BATCH_ROWS_SETTING, "2000")
    path = folder / CONTRACT["payments"].path
    pq.write_table(pq.read_table(path), path, row_group_size=2000, compression="none")
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups > 2
    offset = metadata.row_group(metadata.num_row_groups - 1).column(0).data_page_offset
    damaged = bytearray(path.read_bytes())
    damaged[offset + 30:offset + 400] = b"\xff" * 370
    path.write_bytes(bytes(damaged))
    error = _batched_error(folder, "payments")
    assert error is not None and error.startswith("events/payments.parquet")
    assert error == _whole_file_error(folder, "payments")
