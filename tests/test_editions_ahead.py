"""The next edition measured ahead in a subprocess (cms_stats.editions.ahead): what it hands
back is exactly what the release would compute itself, and a failure there is no error, only
a result of None (the release then measures and reports as usual)."""

import datetime as dt

import pandas as pd

from cms_stats.editions import ahead as ahead_module
from cms_stats.editions.ahead import Ahead, Measurer
from cms_stats.work import measure_edition


def test_measured_ahead_is_what_the_release_computes(small_data, tmp_path):
    known_at = dt.date(2016, 6, 30)
    ahead = Ahead(small_data, "2016-05", known_at, tmp_path / "cache")
    got = ahead.result()
    want = measure_edition(small_data, "2016-05", known_at)
    assert got is not None and sorted(got) == sorted(want)
    assert got["key"] == want["key"]
    pd.testing.assert_frame_equal(got["measures"], want["measures"])
    for part in ("not_available", "validation", "vintage"):
        assert got[part] == want[part], part
    assert not list((tmp_path / "cache").glob("*.pickle"))  # read once, then removed


def test_a_failure_ahead_gives_none_and_its_reason_in_the_log(tmp_path):
    ahead = Ahead(tmp_path / "no-such-folder", "2016-05", None, tmp_path / "cache")
    assert ahead.result() is None
    assert "no-such-folder" in (tmp_path / "cache" / "editions-ahead.log").read_text()


def test_a_cancelled_measurement_leaves_nothing(small_data, tmp_path):
    ahead = Ahead(small_data, "2016-08", None, tmp_path / "cache")
    ahead.cancel()
    assert ahead.proc.poll() is not None
    assert ahead.result() is None
    assert not list((tmp_path / "cache").glob("*.pickle")) + list((tmp_path / "cache").glob("*.part"))


def test_a_correction_measured_ahead_keeps_its_own_result(small_data, tmp_path):
    """2016-08 and its correction (same period, later cut-off) are measured ahead one after
    the other: the original's clean-up never touches the correction's result."""
    original = Ahead(small_data, "2016-05", dt.date(2016, 6, 30), tmp_path / "cache")
    correction = Ahead(small_data, "2016-05", dt.date(2016, 8, 31), tmp_path / "cache")
    assert original.out != correction.out
    assert original.result() is not None
    original.cancel()  # as the series does once the release is built: nothing left to do
    got = correction.result()
    assert got is not None and got["key"][2] == "2016-08-31"


def test_one_process_measures_the_series_and_a_cancelled_one_is_replaced(small_data, tmp_path):
    """A series keeps one measuring process (imports once); an edition handed over while
    another's result is unread cancels that one, and the next gets a new process."""
    scratch = tmp_path / "cache"
    with Measurer(scratch) as measurer:
        first = Ahead(small_data, "2016-02", dt.date(2016, 3, 31), scratch, measurer=measurer)
        got = first.result()
        second = Ahead(small_data, "2016-05", dt.date(2016, 6, 30), scratch, measurer=measurer)
        assert second.proc is first.proc  # the same process, not a new one
        want = measure_edition(small_data, "2016-05", dt.date(2016, 6, 30))
        pd.testing.assert_frame_equal(second.result()["measures"], want["measures"])
        assert got["key"][1:3] == ("2016-02", "2016-03-31")
        unread = Ahead(small_data, "2016-02", None, scratch, measurer=measurer)
        replaced = Ahead(small_data, "2016-05", None, scratch, measurer=measurer)
        assert unread.proc.poll() is not None and unread.result() is None  # stopped
        assert replaced.proc is not unread.proc
        assert replaced.result()["key"][1:3] == ("2016-05", None)
        process = replaced.proc
    assert process.poll() == 0  # ended with the series
    assert not list(scratch.glob("*.pickle")) + list(scratch.glob("*.part"))


def test_a_failed_edition_leaves_the_process_for_the_next(small_data, tmp_path):
    scratch = tmp_path / "cache"
    with Measurer(scratch) as measurer:
        failed = Ahead(tmp_path / "no-such-folder", "2016-05", None, scratch, measurer=measurer)
        assert failed.result() is None
        good = Ahead(small_data, "2016-05", dt.date(2016, 6, 30), scratch, measurer=measurer)
        assert good.proc is failed.proc  # still running, answering the next edition
        assert good.result()["key"][1:3] == ("2016-05", "2016-06-30")
    assert "no-such-folder" in (scratch / "editions-ahead.log").read_text()


def test_stray_output_is_never_taken_for_an_answer(small_data, tmp_path, monkeypatch):
    """Whatever else writes to the process's output (a library, Spark's JVM) goes to the log:
    before the process starts its work, and while it measures."""
    stray = ("import os, cms_stats.work as w; os.write(1, b'ok\\n'); f = w.measure_edition; "
             "w.measure_edition = lambda *a: (os.write(1, b'ok stray\\n'), f(*a))[1]; ")
    monkeypatch.setattr(ahead_module, "_CODE", stray + ahead_module._CODE)
    scratch = tmp_path / "cache"
    with Measurer(scratch) as measurer:
        first = Ahead(small_data, "2016-02", dt.date(2016, 3, 31), scratch, measurer=measurer)
        got = first.result()
        second = Ahead(small_data, "2016-05", dt.date(2016, 6, 30), scratch, measurer=measurer)
        assert got is not None and got["key"][1] == "2016-02"
        assert second.result()["key"][1] == "2016-05"
    assert "ok stray" in (scratch / "editions-ahead.log").read_text()
    assert not list(scratch.glob("*.pickle"))
