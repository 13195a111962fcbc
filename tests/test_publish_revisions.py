"""Revisions policy on a hand-worked example."""

import math

import pandas as pd

from cms_stats.publish.policy import load_policy
from cms_stats.publish.revisions import LOG_COLUMNS, apply_revisions

POLICY = load_policy()


def tidy(rows):
    return pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"]).astype(str)


def test_revisions_hand_worked():
    previous = tidy(
        [
            ("T1", "2016-05", "total_intake", "all", "20000", "count"),  # -> 20800: +4.0%, kept
            ("T2", "2016-05", "caseload", "all", "285000", "count"),  # -> 300000: +5.26%, revised
            ("T8", "2016-05", "outstanding_arrears", "all", "63.5", "gbp_million"),  # unchanged
            ("T11", "2016-05", "appeals_received", "all", "100", "count"),  # -> 110 (+10%) appeals: revised
            ("T11", "2016-05", "appeals_cleared", "all", "100", "count"),  # -> 102? counts round to 10: 100
            ("T11", "2016-05", "appeals_cleared", "tribunal_outcome", "50", "count"),  # -> 60 appeals: revised
            ("T13", "2016-05", "calls_answered_share", "all", "97", "percent"),  # -> 95: -2.06%, kept
            ("T10", "2016-05", "mandatory_reconsiderations_received", "all", "1000", "count"),  # -> 950: -5%, revised
            ("T9", "2016-05", "changes_of_circumstances_received", "all", "[x]", "count"),  # now available
            ("T3", "2016-05", "fee_exemptions", "under_19", "10", "count"),  # now [c]
        ]
    )
    current = tidy(
        [
            ("T1", "2016-05", "total_intake", "all", "20800", "count"),
            ("T1", "2016-08", "total_intake", "all", "21400", "count"),  # new period: no log
            ("T2", "2016-05", "caseload", "all", "300000", "count"),
            ("T8", "2016-05", "outstanding_arrears", "all", "63.5", "gbp_million"),
            ("T11", "2016-05", "appeals_received", "all", "110", "count"),
            ("T11", "2016-05", "appeals_cleared", "all", "100", "count"),
            ("T11", "2016-05", "appeals_cleared", "tribunal_outcome", "60", "count"),
            ("T13", "2016-05", "calls_answered_share", "all", "95", "percent"),
            ("T10", "2016-05", "mandatory_reconsiderations_received", "all", "950", "count"),
            ("T9", "2016-05", "changes_of_circumstances_received", "all", "151800", "count"),
            ("T3", "2016-05", "fee_exemptions", "under_19", "[c]", "count"),
        ]
    )
    published, log = apply_revisions(current, previous, POLICY)

    expected_values = ["20000", "21400", "300000", "63.5", "110", "100", "60", "97", "950", "151800", "[c]"]
    assert published["value"].tolist() == expected_values
    pd.testing.assert_frame_equal(published.drop(columns="value"), current.drop(columns="value"))

    expected_log = pd.DataFrame(
        [
            ("T1", "2016-05", "total_intake", "all", "20000", "20800", 800.0, 4.0,
             "not revised: changed by less than 5%, previously published figure kept", False),
            ("T2", "2016-05", "caseload", "all", "285000", "300000", 15000.0, 15000 / 285000 * 100,
             "revised: changed by 5% or more", True),
            ("T3", "2016-05", "fee_exemptions", "under_19", "10", "[c]", math.nan, math.nan,
             "revised: 10 replaced by [c]", True),
            ("T9", "2016-05", "changes_of_circumstances_received", "all", "[x]", "151800", math.nan, math.nan,
             "revised: [x] replaced by 151800", True),
            ("T10", "2016-05", "mandatory_reconsiderations_received", "all", "1000", "950", -50.0, -5.0,
             "revised: changed by 5% or more", True),
            ("T11", "2016-05", "appeals_received", "all", "100", "110", 10.0, 10.0,
             "revised: T11 figures are always revised", True),
            ("T11", "2016-05", "appeals_cleared", "tribunal_outcome", "50", "60", 10.0, 20.0,
             "revised: T11 figures are always revised", True),
            ("T13", "2016-05", "calls_answered_share", "all", "97", "95", -2.0, -2 / 97 * 100,
             "not revised: changed by less than 5%, previously published figure kept", False),
        ],
        columns=LOG_COLUMNS,
    ).astype({c: str for c in LOG_COLUMNS[:6]} | {"reason": str})
    pd.testing.assert_frame_equal(log, expected_log)


def test_appeals_revised_even_for_small_changes():
    previous = tidy([("T11", "2016-05", "appeals_received", "all", "1000", "count")])
    current = tidy([("T11", "2016-05", "appeals_received", "all", "1010", "count")])  # +1%
    published, log = apply_revisions(current, previous, POLICY)
    assert published["value"].tolist() == ["1010"]
    assert log["is_revised"].tolist() == [True]


def test_change_from_zero_is_revised():
    previous = tidy([("T11", "2016-05", "appeals_cleared", "cms_outcome", "0", "count")])
    current = tidy([("T14", "2016-05", "accuracy_checks", "all", "10", "count")])
    published, log = apply_revisions(current, previous, POLICY)
    assert len(log) == 0  # different figures: nothing to compare
    previous = tidy([("T14", "2016-05", "accuracy_checks", "all", "0", "count")])
    published, log = apply_revisions(current, previous, POLICY)
    assert published["value"].tolist() == ["10"]
    assert log["percent_change"].tolist() == [math.inf]
    assert bool(log["is_revised"].iloc[0])


def test_no_changes_gives_empty_log():
    frame = tidy([("T1", "2016-05", "total_intake", "all", "20800", "count")])
    published, log = apply_revisions(frame, frame, POLICY)
    pd.testing.assert_frame_equal(published, frame)
    assert list(log.columns) == LOG_COLUMNS and len(log) == 0
