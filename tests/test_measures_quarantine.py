"""The DQ quarantine count of the measures (``Context.quarantine``): every event file of a
folder on disk checked without a pandas frame of it, the same rows as reading each whole; and
the benchmark by family, whose first row is the loader's checks (what the reference skips)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_extracts import quarantined_content, write_folder

# the checked files' memory emptied around each test (an autouse fixture, shared)
from test_extracts_checked import nothing_remembered  # noqa: F401

from cms_stats.extracts import checked, open_extracts
from cms_stats.extracts.contract import EVENT_FILES, MI_FEEDS, OPTIONAL_FILES
from cms_stats.measures.context import Context


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["file", "row", "column"], ignore_index=True)


@pytest.mark.parametrize("checked_before", [False, True], ids=["fresh", "checked-before"])
def test_the_quarantine_count_reads_no_event_frame_and_equals_reading_every_file(tmp_path,
                                                                               checked_before):
    root = write_folder(tmp_path / "folder", quarantined_content())
    whole = open_extracts(root)
    for name in (*EVENT_FILES, *OPTIONAL_FILES):
        getattr(whole, name)()
    for name in MI_FEEDS:
        whole.mi(name)
    want = _sorted(whole.quarantine)
    assert {"events/payments.parquet", "events/service_requests.parquet"} <= set(want["file"])
    if not checked_before:
        checked.forget()
    folder = open_extracts(root)
    got = Context(folder, folder.months[-1]).quarantine
    pd.testing.assert_frame_equal(_sorted(got), want)
    assert not set(folder._frames) & {*EVENT_FILES, *OPTIONAL_FILES}  # no frame of an event file


def test_bench_by_family_puts_the_loaders_checks_on_a_row_of_their_own(small_data, capsys):
    from cms_stats.measures.bench import by_family

    rows = by_family(small_data, "2016-08", only=["intake.t1"])
    assert [r["family"] for r in rows] == ["(loader's checks)", "intake.t1"]
    assert all(r["cpu_s"] >= 0 for r in rows)
    assert "(loader's checks)" in capsys.readouterr().out
