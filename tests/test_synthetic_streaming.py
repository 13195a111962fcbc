"""The generator's streamed writing: what it writes a part at a time equals writing it whole.

The service requests (the largest event file) wait on disk a month at a time
(``SpilledEvents``), get their recording days part by part (``RecordedInParts``) and are
written a row group at a time (``StreamedParquet``). Each is compared here with the whole-array
way it replaced, to the byte and to the random generator's state after it.
"""

from __future__ import annotations

import copy
import filecmp

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from extract_digest import content_digest

from cms_stats.synthetic import _vintages as vin
from cms_stats.synthetic import _writer as w
from cms_stats.synthetic import generate
from cms_stats.synthetic._model import SPILL_FOLDER
from cms_stats.synthetic._spill import SpilledEvents

SPEC = {"share": 0.06, "min_days": 5, "max_days": 42}
EXTRACTED = 17_000


def split(n: int, sizes) -> list[slice]:
    """Slices of ``range(n)`` of the given sizes (the last takes the rest)."""
    cuts = np.cumsum([0, *sizes])
    return [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:])] + [slice(cuts[-1], n)]


def stream_state(rng: np.random.Generator) -> dict:
    return rng.bit_generator.state


# --- recording days in parts -----------------------------------------------------------------
@pytest.mark.parametrize("spare_bits", [False, True])
def test_recorded_in_parts_equals_the_whole_draw_and_leaves_the_stream_where_it_would(spare_bits):
    rng = np.random.default_rng([2012, 10])
    if spare_bits:  # a bounded 32-bit draw leaves half of a 64-bit output spare in the state
        rng.integers(0, 10, 1)
        assert stream_state(rng)["has_uint32"] == 1
    days = np.random.default_rng(1).integers(15_000, 16_000, 2_500_123)  # > two skipped pieces
    whole_rng = copy.deepcopy(rng)
    whole = vin.recorded_days(whole_rng, days, SPEC, EXTRACTED)
    assert (whole != days).any() and (whole > days).mean() == pytest.approx(0.06, abs=0.005)

    parts = vin.RecordedInParts(rng, SPEC, len(days), EXTRACTED)
    got = np.concatenate([parts.days(days[s]) for s in split(len(days), [0, 1, 999_999, 7, 0, 1_300_001])])
    np.testing.assert_array_equal(got, whole)
    assert stream_state(rng) == stream_state(whole_rng)
    # the comparison can fail: parts drawn each from the stream in turn give other days
    naive_rng = np.random.default_rng([2012, 10])
    naive = np.concatenate([vin.recorded_days(naive_rng, days[s], SPEC, EXTRACTED)
                            for s in split(len(days), [1_000_000])])
    assert not np.array_equal(naive, whole)


@pytest.mark.parametrize("spec", [None, {"share": 0}])
def test_recorded_in_parts_without_late_rows_draws_nothing(spec):
    rng = np.random.default_rng(5)
    before = stream_state(rng)
    parts = vin.RecordedInParts(rng, spec, 10, EXTRACTED)
    np.testing.assert_array_equal(parts.days(np.arange(10)), np.arange(10))
    assert stream_state(rng) == before


def test_recorded_in_parts_refuses_more_rows_than_announced():
    parts = vin.RecordedInParts(np.random.default_rng(5), SPEC, 3, EXTRACTED)
    parts.days(np.arange(2))
    with pytest.raises(ValueError, match="2 rows given, 1 announced"):
        parts.days(np.arange(2))


# --- a Parquet file written in parts -----------------------------------------------------------
def columns(n: int, start: int = 0) -> dict:
    i = np.arange(start, start + n)
    return {"request_id": w.ids("S", i, 9),
            "kind": w.codes(pa.array(["a", "b", "c"]), i % 3),
            "received_date": w.dates(15_000 + i % 900),
            "cleared_date": w.dates(15_000 + i % 901, null=i % 11 == 0),
            "amount": w.money(i % 100_000)}


@pytest.mark.parametrize("n, sizes", [(2_300_000, [0, 5, 1_048_571, 1_048_576, 3, 70_000]),
                                      (5_000, [0, 2_000]), (0, [])])
def test_streamed_parquet_is_byte_identical_to_writing_the_whole_table(tmp_path, n, sizes):
    whole = columns(n)
    w.write_parquet(tmp_path / "whole.parquet", whole)
    with w.StreamedParquet(tmp_path / "parts.parquet") as out:
        for s in split(n, sizes):
            out.write({name: column.slice(s.start, s.stop - s.start) for name, column in whole.items()})
    assert filecmp.cmp(tmp_path / "whole.parquet", tmp_path / "parts.parquet", shallow=False)
    groups = pq.ParquetFile(tmp_path / "parts.parquet").metadata
    # full row groups then the rest (pyarrow writes one empty group for an empty table)
    expected = [min(w.ROW_GROUP, n - start) for start in range(0, n, w.ROW_GROUP)] or [0]
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == expected


def test_streamed_parquet_leaves_no_file_when_writing_fails(tmp_path):
    path = tmp_path / "parts.parquet"
    with pytest.raises(RuntimeError, match="stop"):
        with w.StreamedParquet(path) as out:
            out.write(columns(w.ROW_GROUP + 10))  # a row group is on disk already
            assert path.exists()
            raise RuntimeError("stop")
    assert not path.exists()


def test_streamed_parquet_given_nothing_says_so(tmp_path):
    with pytest.raises(ValueError, match="parts.parquet: no rows were given"):
        with w.StreamedParquet(tmp_path / "parts.parquet"):
            pass


# --- events waiting on disk ---------------------------------------------------------------------
def test_spilled_events_read_back_month_by_month(tmp_path):
    events = SpilledEvents(tmp_path / "spill", "case", "day")
    adds = [(0, {"case": np.array([3, 1, 2]), "day": np.array([10, 11, 12])}),
            (0, {"case": np.array([9]), "day": np.array([13])}),       # the same month again
            (1, {"case": np.array([], np.int64), "day": np.array([], np.int64)}),
            (4, {"case": np.array([2**40]), "day": np.array([-4])})]
    for month, rows in adds:
        events.add(month, **rows)
    assert len(events) == 5
    back = list(events.months())
    assert [month for month, _ in back] == [0, 1, 4]
    expected = [{"case": [3, 1, 2, 9], "day": [10, 11, 12, 13]}, {"case": [], "day": []},
                {"case": [2**40], "day": [-4]}]
    for (_, got), want in zip(back, expected):
        assert set(got) == {"case", "day"}
        for name in got:
            assert got[name].dtype == np.int64
            np.testing.assert_array_equal(got[name], np.array(want[name], np.int64))


def test_spilled_events_refuse_what_they_cannot_hold(tmp_path):
    events = SpilledEvents(tmp_path / "spill", "case", "day")
    with pytest.raises(ValueError, match=r"columns \['case'\] are not \['case', 'day'\]"):
        events.add(0, case=np.arange(2))
    with pytest.raises(ValueError, match=r"unequal lengths: \[1, 2\]"):
        events.add(0, case=np.arange(2), day=np.arange(1))
    with pytest.raises(ValueError, match="column day does not hold integers"):
        events.add(0, case=np.arange(2), day=np.array([1.5, 2.0]))
    assert len(events) == 0 and list(events.months()) == []
    events.add(3, case=np.arange(1), day=np.arange(1))
    with pytest.raises(ValueError, match="month 2 added after month 3"):
        events.add(2, case=np.arange(1), day=np.arange(1))


def test_a_generated_folder_keeps_nothing_spilled(tmp_path):
    folder = generate(tmp_path / "syn", seed=3, scale=0.01, end="2014-02")
    assert not (folder / SPILL_FOLDER).exists()
    # each file sorted as the whole-array writer sorted it: by day, then case; identifiers in
    # that order; the payments' orphans (cases never in a snapshot) among them
    for name, id_column, day in (("service_requests", "request_id", "received_date"),
                                 ("payments", "payment_id", "payment_date")):
        rows = pq.read_table(folder / "events" / f"{name}.parquet").to_pandas()
        assert len(rows) > 0
        assert list(rows[id_column]) == sorted(rows[id_column]), name
        key = list(zip(rows[day], rows["case_id"]))
        assert key == sorted(key), name
    assert (rows["case_id"] >= "C9").any()  # an orphan (off["orphan_case"])


#: The content of a small folder as the whole-array writer (a1be43b, before streaming) wrote it:
#: streaming must not change a byte. A deliberate change to the model changes this digest, and
#: the engine's backtest fixtures then stand for other data (tests/engine/data.json).
GOLDEN = ({"seed": 5, "scale": 0.02, "end": "2014-09"},
          "bfbbabde2a0b9916517c9acb9c432c334804bcbacfab25ab4551a208e63dfb37")


def test_a_small_folder_has_the_bytes_the_whole_array_writer_gave(tmp_path):
    settings, digest = GOLDEN
    assert content_digest(generate(tmp_path / "syn", **settings)) == digest


def test_a_month_dated_outside_itself_stops_the_generator_leaving_nothing(tmp_path, monkeypatch):
    """A month's rows are sorted on their own: a row dated in another month would be written
    out of order, so the generator stops (and leaves no folder, temporary or spilled)."""
    months = SpilledEvents.months

    def one_day_late(self):
        for month, part in months(self):
            if "received" in part and len(part["received"]):
                part["received"] = part["received"] + 31
            yield month, part
    monkeypatch.setattr(SpilledEvents, "months", one_day_late)
    with pytest.raises(RuntimeError, match="service requests of month 0 dated outside it"):
        generate(tmp_path / "syn", seed=3, scale=0.01, end="2014-02")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_closing_the_file_leaves_no_file(tmp_path, monkeypatch):
    path = tmp_path / "parts.parquet"

    def full_disk(self):
        raise OSError("No space left on device")
    with pytest.raises(OSError, match="No space left"):
        with w.StreamedParquet(path) as out:
            out.write(columns(w.ROW_GROUP + 10))
            monkeypatch.setattr(pq.ParquetWriter, "close", full_disk)
    assert not path.exists()
