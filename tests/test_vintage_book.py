"""The Methodology's sentence on the data vintage, from ``edition.json``'s ``vintage``."""

from __future__ import annotations

from types import SimpleNamespace

from cms_stats.book.texts.methodology import data_vintage
from cms_stats.extracts import KNOWN_AT_DEFINITION


def _ch(vintage: dict | None, **facts) -> SimpleNamespace:
    edition = dict(facts, vintage=vintage) if vintage is not None else {}
    return SimpleNamespace(edition=edition)


def test_folder_without_recording_dates_says_it_is_the_same_at_every_cutoff():
    out = data_vintage(_ch({"known_at": "2016-09-30", "extracted": None, "recording_dates": False,
                            "not_yet_known": {}}, known_at_definition=KNOWN_AT_DEFINITION))
    assert out["data_vintage"].startswith(
        "This release uses the data as known at the end of 30 September 2016 (its cut-off).")
    assert "the data are the same at every cut-off" in out["data_vintage"]
    assert out["known_at_definition"] == KNOWN_AT_DEFINITION.replace("`", "")


def test_folder_with_recording_dates_counts_what_was_left_out():
    out = data_vintage(_ch({"known_at": "2016-09-30", "extracted": "2016-12-31",
                            "recording_dates": True,
                            "not_yet_known": {"events/applications.parquet": 1200,
                                              "mi/appeals.xlsx": 30}}, cutoff="2016-09-30"))
    assert out["data_vintage"] == (
        "This release uses the data as known at the end of 30 September 2016 (its cut-off). "
        "The extract was taken on 31 December 2016. Events recorded and management "
        "information delivered after that day are left out of this release; they count in "
        "later editions.")
    # a correction: its data are known later than the edition's cut-off; nothing left out
    out = data_vintage(_ch({"known_at": "2016-11-30", "extracted": "2016-12-31",
                            "recording_dates": True, "not_yet_known": {}}, cutoff="2016-09-30"))
    assert out["data_vintage"] == (
        "This release uses the data as known at the end of 30 November 2016. The extract was "
        "taken on 31 December 2016. Everything the extract folder holds had been recorded by "
        "then.")


def test_outside_a_release():
    assert data_vintage(_ch(None))["data_vintage"].startswith("This notebook was run outside a release")
