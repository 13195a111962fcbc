"""Every measure table on a small hand-worked fixture, compared whole with the expected table.

The fixture: five cases (C1..C5) in four case groups (G1..G4) over June-September 2014.

====  =====  ===============  ===========================================================
case  group  origin           story
====  =====  ===============  ===========================================================
C1    G1     new_application  Direct Pay, 80/month due Jun-Aug; liability ended in Sep
C2    G2     new_application  Collect and Pay, 40/month; pays 40 Jun, 20 Jul, 0 Aug, 60 Sep
C3    G2     new_application  opened Aug (same paying parent as C2), C&P 15 Aug, 20 Sep;
                              pays 15 in Aug only
C4    G3     arrears_only     opened Jul, no current liability; pays 30 (arrears) in Aug
C5    G4     new_application  C&P 60 Jun, 120 Jul-Aug, pays 50 in Jul; Direct Pay from Sep;
                              Aug opening mis-keyed (100, not 130: across-month failure 30);
                              Sep write-off 20 but closing 195 not 200 (within failure 5)
====  =====  ===============  ===========================================================

C2's September closing is 40.01 where 40.00 is expected: a 1p difference, within tolerance.

The planned measures (T18-T20) add, from the optional snapshot columns and the actions file:

====  ==================================  ==================  ===================================
case  shared_care_nights                  in_enforcement      csa_arrears; actions
====  ==================================  ==================  ===================================
C1    60 (52-103); not counted in Sep     0                   0
      (no positive weekly liability)
C2    30 (under 52: no reduction)         1 in Sep            1,000 from Aug; lump sum 31 Jul,
                                                              regular 1 Sep, committal 30 Sep
C3    175 (175 or more)                   0                   100 in Sep (G2 with C2)
C4    null (arrears only)                 0                   500 Jul-Aug, 450 Sep (arrears only)
C5    156 (156-174) Jun-Aug, 104 Sep      1 in Aug and Sep    250.50 in Sep; earnings 12 Aug,
                                                              liability 31 Aug, disqualification
                                                              2 Oct (after the as-at date)
====  ==================================  ==================  ===================================
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cms_stats.measures import COLUMNS, TABLE_ORDER, compute_all
from cms_stats.measures.common import as_at
from cms_stats.measures.engine import ENGINES
from cms_stats.months import month_end
from cms_stats.measures.engine import Engine
from cms_stats.measures.service import accurate

MONTHS = ["2014-06", "2014-07", "2014-08", "2014-09"]
PERIOD = "2014-09"
D = pd.Timestamp
NaT = pd.NaT
NAN = float("nan")

# --- fixture ----------------------------------------------------------------------------------
SNAPSHOT_COLUMNS = ["case_id", "case_group_id", "origin", "opened_date", "service_type",
                    "weekly_liability", "liability_due", "arrears_opening", "arrears_accrued",
                    "arrears_paid", "arrears_adjustment", "arrears_closing"]
C1 = ("C00000001", "G00000001", "new_application", D("2014-06-02"))
C2 = ("C00000002", "G00000002", "new_application", D("2014-06-10"))
C3 = ("C00000003", "G00000002", "new_application", D("2014-08-05"))
C4 = ("C00000004", "G00000003", "arrears_only", D("2014-07-01"))
C5 = ("C00000005", "G00000004", "new_application", D("2014-06-20"))
DP, CP, NL = "direct_pay", "collect_and_pay", "no_liability"
SNAPSHOTS = {
    "2014-06": [
        C1 + (DP, 20.0, 80.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C2 + (CP, 10.0, 40.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C5 + (CP, 30.0, 60.0, 0.0, 60.0, 0.0, 0.0, 60.0),
    ],
    "2014-07": [
        C1 + (DP, 20.0, 80.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C2 + (CP, 10.0, 40.0, 0.0, 20.0, 0.0, 0.0, 20.0),
        C4 + (NL, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C5 + (CP, 30.0, 120.0, 60.0, 70.0, 0.0, 0.0, 130.0),
    ],
    "2014-08": [
        C1 + (DP, 20.0, 80.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C2 + (CP, 10.0, 40.0, 20.0, 40.0, 0.0, 0.0, 60.0),
        C3 + (CP, 5.0, 15.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C4 + (NL, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C5 + (CP, 30.0, 120.0, 100.0, 120.0, 0.0, 0.0, 220.0),
    ],
    "2014-09": [
        C1 + (NL, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C2 + (CP, 10.0, 40.0, 60.0, 0.0, 20.0, 0.0, 40.01),
        C3 + (CP, 5.0, 20.0, 0.0, 20.0, 0.0, 0.0, 20.0),
        C4 + (NL, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        C5 + (DP, 30.0, 120.0, 220.0, 0.0, 0.0, -20.0, 195.0),
    ],
}

#: The planned measures' optional snapshot columns: {month: {case: (nights, in enforcement,
#: CSA arrears)}}; cases not listed: (None, 0, 0.0).
PLANNED = {
    "2014-06": {"C00000001": (60, 0, 0.0), "C00000002": (30, 0, 0.0), "C00000005": (156, 0, 0.0)},
    "2014-07": {"C00000001": (60, 0, 0.0), "C00000002": (30, 0, 0.0), "C00000005": (156, 0, 0.0),
                "C00000004": (None, 0, 500.0)},
    "2014-08": {"C00000001": (60, 0, 0.0), "C00000002": (30, 0, 1000.0), "C00000003": (175, 0, 0.0),
                "C00000004": (None, 0, 500.0), "C00000005": (156, 1, 0.0)},
    "2014-09": {"C00000001": (60, 0, 0.0), "C00000002": (30, 1, 1000.0), "C00000003": (175, 0, 100.0),
                "C00000004": (None, 0, 450.0), "C00000005": (104, 1, 250.5)},
}
ENFORCEMENT_ACTIONS = pd.DataFrame.from_records([
    ("E000000001", "C00000002", D("2014-07-31"), "lump_sum_deduction_order"),
    ("E000000002", "C00000005", D("2014-08-12"), "deduction_from_earnings_order"),
    ("E000000003", "C00000005", D("2014-08-31"), "liability_order"),
    ("E000000004", "C00000002", D("2014-09-01"), "regular_deduction_order"),
    ("E000000005", "C00000002", D("2014-09-30"), "committal_to_prison"),
    ("E000000006", "C00000005", D("2014-10-02"), "disqualification"),  # after as-at
], columns=["action_id", "case_id", "action_date", "action_type"])

APPLICATIONS = pd.DataFrame.from_records([
    # id, received, type, paying, receiving, fee status, case, cleared, clearance type
    ("A00000001", D("2014-06-02"), "new_application", "P00000001", "R00000001", "no_fee", "C00000001",
     D("2014-07-14"), "calculation_made"),  # 42 days: within 6 weeks
    ("A00000002", D("2014-06-10"), "new_application", "P00000002", "R00000002", "no_fee", "C00000002",
     D("2014-09-02"), "calculation_made"),  # 84 days: within 12 weeks, not 6
    ("A00000003", D("2014-06-10"), "new_application", "P00000002", "R00000002", "no_fee", "C00000002",
     D("2014-09-02"), "calculation_made"),  # dup (neither cleared nor uncleared)
    ("A00000004", D("2014-06-20"), "new_application", "P00000004", "R00000004", "no_fee", "C00000005",
     D("2014-06-30"), "calculation_made"),  # cleared on the month's last day
    ("A00000005", D("2014-07-01"), "arrears_only", "P00000003", "R00000003", "no_fee", "C00000004",
     D("2014-07-05"), "calculation_made"),  # arrears only: not in T16
    ("A00000013", D("2014-07-20"), "new_application", "P00000001", "R00000001", "fee_paid", "C00000011",
     D("2014-08-10"), "closed_without_calculation"),  # re-applied; closed (family-based arrangement)
    ("A00000007", D("2014-08-05"), "new_application", "P00000002", "R00000005", "fee_paid", "C00000003",
     D("2014-10-02"), "calculation_made"),  # dup
    ("A00000006", D("2014-08-05"), "new_application", "P00000002", "R00000005", "fee_paid", "C00000003",
     D("2014-10-02"), "calculation_made"),  # cleared after the as-at date: uncleared
    ("A00000008", D("2014-08-19"), "new_application", "P00000006", "R00000006", "exempt_domestic_violence",
     "C00000006", NaT, None),  # 42 days old at the end of September: 6 to 12 weeks
    ("A00000009", D("2014-09-03"), "new_application", "P00000007", "R00000007", "exempt_under_19", "C00000007",
     D("2014-09-03"), "calculation_made"),  # the same day: 0 days
    ("A00000010", D("2014-09-03"), "new_application", "P00000008", "R00000008", "fee_paid", "C00000008",
     NaT, None),
    ("A00000011", D("2014-09-15"), "arrears_only", "P00000009", "R00000009", "no_fee", "C00000009", NaT, None),
    ("A00000012", D("2014-09-15"), "arrears_only", "P00000009", "R00000009", "no_fee", "C00000010",
     NaT, None),  # not a dup
    ("A00000014", D("2014-10-01"), "new_application", "P00000010", "R00000010", "fee_paid", "C00000012",
     D("2014-10-05"), "calculation_made"),  # after as-at
], columns=["application_id", "received_date", "application_type", "paying_parent_id",
            "receiving_parent_id", "fee_status", "case_id", "cleared_date", "clearance_type"])

#: Closures (liability due 0, so T8 is unchanged): C13 closed in the first month (no month
#: before to check); C11 (the re-application, closed without a calculation) was never in a
#: snapshot, so not in July's; C4 is still in September's snapshot; C2's is after the as-at date.
CLOSURES = pd.DataFrame.from_records([
    ("C00000013", D("2014-06-15"), 0.0, "other"),
    ("C00000011", D("2014-08-10"), 0.0, "family_based_arrangement"),
    ("C00000004", D("2014-09-20"), 0.0, "applicant_withdraws"),
    ("C00000002", D("2014-10-03"), 0.0, "no_further_liability"),
], columns=["case_id", "closed_date", "liability_due", "closure_reason"])

PAYMENTS = pd.DataFrame.from_records([
    ("Y000000001", "C00000002", "G00000002", D("2014-06-25"), 40.0),
    ("Y000000002", "C00000002", "G00000002", D("2014-07-25"), 20.0),
    ("Y000000006", "C00000005", "G00000004", D("2014-07-15"), 50.0),
    ("Y000000003", "C00000003", "G00000002", D("2014-08-20"), 15.0),
    ("Y000000004", "C00000004", "G00000003", D("2014-08-12"), 30.0),
    ("Y000000005", "C00000002", "G00000002", D("2014-09-25"), 60.0),
    ("Y000000007", "C00000002", "G00000002", D("2014-10-02"), 40.0),  # after as-at
], columns=["payment_id", "case_id", "case_group_id", "payment_date", "amount"])

REQUESTS = pd.DataFrame.from_records([
    ("S000000001", "C00000001", D("2014-06-05"), D("2014-07-03")),  # exactly 28 days
    ("S000000002", "C00000002", D("2014-06-20"), D("2014-07-19")),  # 29 days
    ("S000000003", "C00000005", D("2014-07-10"), NaT),
    ("S000000004", "C00000002", D("2014-08-01"), D("2014-08-15")),
    ("S000000005", "C00000003", D("2014-08-30"), D("2014-10-05")),  # cleared after as-at
    ("S000000006", "C00000001", D("2014-09-10"), D("2014-09-12")),  # month P: not published
], columns=["request_id", "case_id", "received_date", "cleared_date"]).assign(
    request_type="change_of_circumstances")

RECONSIDERATIONS = pd.DataFrame.from_records([
    ("M00000001", "C00000002", D("2014-06-03"), D("2014-06-23"), "revised"),  # exactly 20 days
    ("M00000002", "C00000005", D("2014-06-15"), D("2014-07-06"), "not_revised"),  # 21 days
    ("M00000003", "C00000005", D("2014-07-01"), D("2014-07-10"), "not_revised"),
    ("M00000005", "C00000002", D("2014-08-10"), NaT, None),
    ("M00000004", "C00000003", D("2014-09-01"), D("2014-10-01"), "revised"),  # cleared after as-at
], columns=["reconsideration_id", "case_id", "received_date", "cleared_date", "outcome"])

TELEPHONY = pd.DataFrame({
    "month": ["2014-06", "2014-07", "2014-08", "2014-09", "2014-10"],
    "calls_received": [1000, 1200, 900, 1100, 5000],
    "calls_answered": [950, 1140, 891, 1078, 4000],
    "calls_answered_within_30_seconds": [800, 1000, 801, 946, 3000],
})
COMPLAINTS = pd.DataFrame({
    "month": ["2014-06", "2014-07", "2014-08", "2014-09", "2014-10"],
    "complaints_resolution": [10, 8, 15, 20, 99],
    "complaints_review": [2, 1, 0, 5, 1],
    "complaints_total": [12, 9, 15, 25, 100],
})
APPEALS = pd.DataFrame({
    "month": ["2014-06", "2014-07", "2014-08", "2014-09", "2014-10"],
    "appeals_received": [5, 3, 7, 4, 50],
    "appeals_cleared_tribunal_outcome": [1, 2, 0, 2, 10],
    "appeals_cleared_cms_outcome": [1, 0, 3, 2, 10],
    "appeals_cleared": [2, 2, 3, 4, 20],
})
CHECKS = pd.DataFrame.from_records([
    ("K0000001", "2014-06", "C00000001", 51.00, 50.00),    # diff exactly GBP 1 (= 2% too): accurate
    ("K0000002", "2014-06", "C00000002", 101.01, 100.00),  # 1.01 <= 2% of 100: accurate
    ("K0000003", "2014-06", "C00000005", 10.30, 9.30),     # exactly GBP 1 (binary 1.0000000000000009)
    ("K0000004", "2014-06", "C00000002", 11.31, 10.30),    # 1.01 > max(1, 0.206): not accurate
    ("K0000005", "2014-07", "C00000001", 204.00, 200.00),  # exactly 2%: accurate
    ("K0000006", "2014-07", "C00000002", 204.01, 200.00),  # 2% + 1p: not accurate
    ("K0000007", "2014-07", "C00000005", 153.06, 150.00),  # 3.06 > 3.00: not accurate
    ("K0000008", "2014-07", "C00000003", 151.47, 148.50),  # exactly 2% (2.97): accurate
    ("K0000009", "2014-08", "C00000002", 0.00, 5.00),      # not accurate
    ("K0000010", "2014-08", "C00000003", 5.00, 5.00),      # accurate
    ("K0000011", "2014-10", "C00000003", 5.00, 9.00),      # after the period
], columns=["check_id", "check_month", "case_id", "calculated_weekly_amount",
            "correct_weekly_amount"])

SAMPLE = pd.DataFrame({"sample_month": ["2014-08"] * 3,
                       "case_id": ["C00000001", "C00000002", "C00000005"],
                       "qualifying_children": [2, 1, 3]})

QUARANTINE = pd.DataFrame.from_records([
    ("events/payments.parquet", 5, "case_id", "payment for a case_id never seen in a snapshot"),
    ("events/service_requests.parquet", 3, "cleared_date", "cleared_date before received_date"),
    ("events/payments.parquet", 9, "case_id", "payment for a case_id never seen in a snapshot"),
], columns=["file", "row", "column", "reason"])


class FakeFolder:
    """The loader API (cms_stats.extracts) over the fixture frames; records snapshot reads."""

    def __init__(self):
        self.months = list(MONTHS)
        self.sample_months = ["2014-08"]
        self.quarantine = QUARANTINE.copy()
        self.snapshots_read: list[str] = []

    def snapshot(self, month):
        self.snapshots_read.append(month)
        frame = pd.DataFrame.from_records(SNAPSHOTS[month], columns=SNAPSHOT_COLUMNS)
        frame.insert(0, "snapshot_month", month)
        planned = [PLANNED[month].get(c, (None, 0, 0.0)) for c in frame["case_id"]]
        return frame.assign(
            shared_care_nights=pd.array([p[0] for p in planned], dtype="Int64"),
            in_enforcement=[p[1] for p in planned], csa_arrears=[p[2] for p in planned])

    def enforcement_actions(self):
        return ENFORCEMENT_ACTIONS.copy()

    def applications(self):
        return APPLICATIONS.copy()

    def payments(self):
        return PAYMENTS.copy()

    def liabilities(self):
        # read by compute_all only so that its quarantined rows are counted
        self.liabilities_read = True
        return pd.DataFrame({"calculation_id": [], "case_id": []})

    def service_requests(self):
        return REQUESTS.copy()

    def closures(self):
        return CLOSURES.copy()

    def reconsiderations(self):
        return RECONSIDERATIONS.copy()

    def children_sample(self, month):
        assert month == "2014-08"
        return SAMPLE.copy()

    def mi(self, name):
        return {"telephony": TELEPHONY, "complaints": COMPLAINTS, "appeals": APPEALS,
                "accuracy_checks": CHECKS}[name].copy()


@pytest.fixture(scope="module")
def result():
    folder = FakeFolder()
    out = compute_all(folder, PERIOD)
    return out, folder


@pytest.fixture(scope="module", params=ENGINES)
def on_engine(request):
    """The tables on each measures engine (the families it runs: caseload, T2 and T17 with
    DQ's check; enforcement, T19; service type, T7 and T15; shared care, T18; arrears, T8 and
    T20; DQ's arrears roll-forward; the quarter to each month: T4's cases paying, T5, T6 and
    T21's compliance; the service standards, T9-T14; the applications: T1, T3, T16 and DQ's
    duplicates and fee statuses)"""
    folder = FakeFolder()
    return compute_all(folder, PERIOD, engine=request.param), folder


def expected(table, records):
    """Literal rows (period, measure, breakdown, value, unit) -> the tidy shape, sorted."""
    frame = pd.DataFrame.from_records(records, columns=COLUMNS[1:])
    frame.insert(0, "table", table)
    frame["value"] = frame["value"].astype("float64")
    return frame.sort_values(["period", "measure", "breakdown"]).reset_index(drop=True)


def table(out, name):
    """One table's rows in the tidy shape (the contributions for dominance are tested apart)."""
    return out.loc[out["table"] == name, COLUMNS].reset_index(drop=True)


def monthly(measures_by_month, unit_of):
    """{month: {measure or (measure, breakdown): value}} -> records."""
    records = []
    for month, values in measures_by_month.items():
        for key, value in values.items():
            measure, breakdown = key if isinstance(key, tuple) else (key, "all")
            records.append((month, measure, breakdown, value, unit_of(measure)))
    return records


def count_or_share(measure):
    return "share" if measure.endswith("share") else "count"


# --- the tables -------------------------------------------------------------------------------
def test_t1_intake(on_engine):
    result = on_engine
    exp = expected("T1", monthly({
        "2014-06": {"new_applications": 3, "arrears_only_applications": 0, "total_intake": 3,
                    "duplicate_new_applications_removed": 1},
        "2014-07": {"new_applications": 1, "arrears_only_applications": 1, "total_intake": 2,
                    "duplicate_new_applications_removed": 0},
        "2014-08": {"new_applications": 2, "arrears_only_applications": 0, "total_intake": 2,
                    "duplicate_new_applications_removed": 1},
        "2014-09": {"new_applications": 2, "arrears_only_applications": 2, "total_intake": 4,
                    "duplicate_new_applications_removed": 0},
    }, count_or_share))
    assert_frame_equal(table(result[0], "T1"), exp)


@pytest.mark.parametrize("engine", ENGINES)
def test_duplicate_rule_keeps_lowest_id_and_reapplications(engine):
    from cms_stats.measures.context import Context

    ctx = Context(FakeFolder(), PERIOD, engine=engine)
    marked = ctx.engine.con.to_pyarrow(ctx.engine_applications).to_pandas()
    kept, removed = marked[~marked["duplicate"]], marked[marked["duplicate"]]
    assert sorted(removed["application_id"]) == ["A00000003", "A00000007"]
    assert "A00000006" in set(kept["application_id"])    # lowest id of the Aug pair kept
    assert "A00000013" in set(kept["application_id"])    # same parents, later date: kept
    assert {"A00000011", "A00000012"} <= set(kept["application_id"])  # arrears-only never deduped
    # every application known at the as-at date is kept or removed (A14 is received after it)
    known = APPLICATIONS["received_date"] <= pd.Timestamp(month_end(PERIOD))
    assert len(kept) + len(removed) == known.sum() == len(APPLICATIONS) - 1


def test_t2_caseload(on_engine):
    result = on_engine
    exp = expected("T2", [
        (m, "caseload", b, v, "count")
        for m, vals in {"2014-06": (3, 0, 3), "2014-07": (3, 1, 4),
                        "2014-08": (4, 1, 5), "2014-09": (4, 1, 5)}.items()
        for b, v in zip(("new_application", "arrears_only", "all"), vals)
    ])
    assert_frame_equal(table(result[0], "T2"), exp)


def test_t3_fee_exemptions(on_engine):
    result = on_engine
    exp = expected("T3", monthly({
        "2014-07": {"fee_paying_applications": 1, ("fee_exemptions", "domestic_violence"): 0,
                    ("fee_exemptions", "under_19"): 0, ("fee_exemptions", "all"): 0,
                    "fee_exemption_share": 0.0},
        "2014-08": {"fee_paying_applications": 1, ("fee_exemptions", "domestic_violence"): 1,
                    ("fee_exemptions", "under_19"): 0, ("fee_exemptions", "all"): 1,
                    "fee_exemption_share": 0.5},
        "2014-09": {"fee_paying_applications": 1, ("fee_exemptions", "domestic_violence"): 0,
                    ("fee_exemptions", "under_19"): 1, ("fee_exemptions", "all"): 1,
                    "fee_exemption_share": 0.5},
    }, count_or_share))
    assert_frame_equal(table(result[0], "T3"), exp)


def test_t4_children_benefiting(on_engine):
    # Aug sample: children 2, 1, 3 from N = 4 cases with a positive weekly liability (C1, C2,
    # C3, C5): mean 2, s 1, SE = 1/sqrt(3) * sqrt(1 - 3/4); t(0.975, 2) in closed form for 2 df:
    # (2p - 1) / sqrt(2p(1 - p)) with p = 0.975.
    t = 0.95 / np.sqrt(2 * 0.975 * 0.025)
    half = t * (1 / np.sqrt(3)) * np.sqrt(1 - 3 / 4)
    lo, hi = 2 - half, 2 + half

    def with_sample(paying):
        return {"cases_paying": paying,
                ("mean_children_per_case", "estimate"): 2.0,
                ("mean_children_per_case", "lower_95"): lo,
                ("mean_children_per_case", "upper_95"): hi,
                ("children_benefiting", "estimate"): paying * 2.0,
                ("children_benefiting", "lower_95"): paying * lo,
                ("children_benefiting", "upper_95"): paying * hi,
                "sample_size": 3, "sample_population": 4}

    exp = expected("T4", monthly({
        "2014-06": {"cases_paying": 2},        # C1 (Direct Pay), C2 (paid)
        "2014-07": {"cases_paying": 3},        # + C5 (paid in Jul)
        "2014-08": with_sample(5),             # + C3, C4 (paid in Aug)
        "2014-09": with_sample(5),             # Jul-Sep: C1, C2, C3, C4, C5 (DP in Sep)
    }, lambda m: "mean" if m == "mean_children_per_case" else "count"))
    assert_frame_equal(table(on_engine[0], "T4"), exp)


def test_t5_t6_compliance(on_engine):
    result = on_engine
    exp5 = expected("T5", monthly({
        "2014-06": {"case_groups_with_current_liability": 3, "case_groups_contributing": 2,
                    "case_groups_contributing_share": 2 / 3},
        "2014-07": {"case_groups_with_current_liability": 3, "case_groups_contributing": 3,
                    "case_groups_contributing_share": 1.0},
        "2014-08": {"case_groups_with_current_liability": 3, "case_groups_contributing": 3,
                    "case_groups_contributing_share": 1.0},
        "2014-09": {"case_groups_with_current_liability": 3, "case_groups_contributing": 3,
                    "case_groups_contributing_share": 1.0},
    }, count_or_share))
    assert_frame_equal(table(result[0], "T5"), exp5)
    gbp_or_share = lambda m: "share" if m.endswith("share") else "gbp"  # noqa: E731
    exp6 = expected("T6", monthly({
        # Jun: due 80 + 40 + 60; paid DP 80 + G2 40
        "2014-06": {"cash_due": 180.0, "cash_paid": 120.0, "cash_paid_share": 120 / 180},
        # Jun-Jul: due 180 + 240; paid DP 160 + G2 60 + G4 50
        "2014-07": {"cash_due": 420.0, "cash_paid": 270.0, "cash_paid_share": 270 / 420},
        # Jun-Aug: due 420 + 255; paid DP 240 + G2 75 + G4 50 (G3's 30 has no current liability)
        "2014-08": {"cash_due": 675.0, "cash_paid": 365.0, "cash_paid_share": 365 / 675},
        # Jul-Sep: due 240 + 255 + 180; paid DP 80 + 80 + 120 (C5 Sep) + G2 95 + G4 50
        "2014-09": {"cash_due": 675.0, "cash_paid": 425.0, "cash_paid_share": 425 / 675},
    }, gbp_or_share))
    assert_frame_equal(table(result[0], "T6"), exp6)


@pytest.mark.parametrize("engine", ENGINES)
def test_t4_t5_t6_quarter_of_the_folders_first_months_is_shorter(engine):
    """A folder starting in August 2014: the quarter to August is August alone (July's
    payments are before the folder: G4's 50 and G2's 20 do not count), the quarter to
    September is August and September."""
    from cms_stats.measures import children, compliance
    from cms_stats.measures.context import Context

    folder = FakeFolder()
    folder.months = MONTHS[2:]
    ctx = Context(folder, PERIOD, engine=engine)
    got = pd.concat([compliance.t5_t6(ctx), children.t4(ctx)], ignore_index=True)
    exp = pd.concat([
        expected("T5", monthly({
            # Aug: G1 (Direct Pay), G2 (C3 paid 15), G4 (C&P, paid only in July)
            "2014-08": {"case_groups_with_current_liability": 3, "case_groups_contributing": 2,
                        "case_groups_contributing_share": 2 / 3},
            # Aug-Sep: G4 is Direct Pay in September
            "2014-09": {"case_groups_with_current_liability": 3, "case_groups_contributing": 3,
                        "case_groups_contributing_share": 1.0}}, count_or_share)),
        expected("T6", monthly({
            # Aug: due 80 + 40 + 15 + 120; paid DP 80 + G2 15
            "2014-08": {"cash_due": 255.0, "cash_paid": 95.0, "cash_paid_share": 95 / 255},
            # Aug-Sep: due 255 + 180; paid DP 80 + 120 (C5 Sep) + G2 15 + 60
            "2014-09": {"cash_due": 435.0, "cash_paid": 275.0, "cash_paid_share": 275 / 435}},
            lambda m: "share" if m.endswith("share") else "gbp")),
    ], ignore_index=True)
    assert_frame_equal(got[got["table"].isin(["T5", "T6"])].reset_index(drop=True)[COLUMNS], exp)
    paying = got[got["measure"] == "cases_paying"].set_index("period")["value"]
    # Aug: C1 (Direct Pay), C3 and C4 (paid in August); Sep: + C2 (paid), C5 (Direct Pay)
    assert paying.to_dict() == {"2014-08": 3.0, "2014-09": 5.0}
    population = got[got["measure"] == "sample_population"].set_index("period")["value"]
    assert population.to_dict() == {"2014-08": 4.0, "2014-09": 4.0}


def test_t7_service_type(on_engine):
    result = on_engine
    exp = expected("T7", monthly({
        "2014-08": {("cases_due_to_pay", "direct_pay"): 1, ("cases_due_to_pay", "collect_and_pay"): 3,
                    ("cases_due_to_pay", "all"): 4, "direct_pay_share": 0.25},
        "2014-09": {("cases_due_to_pay", "direct_pay"): 1, ("cases_due_to_pay", "collect_and_pay"): 2,
                    ("cases_due_to_pay", "all"): 3, "direct_pay_share": 1 / 3},
    }, count_or_share))
    assert_frame_equal(table(result[0], "T7"), exp)


def test_t15_service_type_transfers(on_engine):
    """August: every case that was in July keeps its service type (C3 is new, not a transfer).
    September: C5 moves from Collect and Pay to Direct Pay; C1 leaves Direct Pay for no
    liability, which is not a transfer. Shares are of cases due to pay (T7): 0 of 4, 1 of 3."""
    result = on_engine
    to_cp, to_dp = "direct_pay_to_collect_and_pay", "collect_and_pay_to_direct_pay"
    exp = expected("T15", monthly({
        "2014-08": {("service_type_transfers", to_cp): 0, ("service_type_transfers", to_dp): 0,
                    ("service_type_transfers", "all"): 0, "service_type_transfers_share": 0.0},
        "2014-09": {("service_type_transfers", to_cp): 0, ("service_type_transfers", to_dp): 1,
                    ("service_type_transfers", "all"): 1, "service_type_transfers_share": 1 / 3},
    }, count_or_share))
    assert_frame_equal(table(result[0], "T15"), exp)


@pytest.mark.parametrize("engine", ENGINES)
def test_t15_has_no_figure_for_the_folders_first_month(engine):
    """A folder starting in August 2014 (T7's first month): T7 from August, T15 only from
    September (no month before August to compare with), the same figures as above."""
    from cms_stats.measures import compliance
    from cms_stats.measures.context import Context

    folder = FakeFolder()
    folder.months = MONTHS[2:]
    ctx = Context(folder, PERIOD, engine=engine)
    assert sorted(compliance.t7(ctx)["period"].unique()) == ["2014-08", "2014-09"]
    t15 = compliance.transfers(ctx)
    assert set(t15["period"]) == {"2014-09"}
    assert t15.set_index("breakdown").loc["collect_and_pay_to_direct_pay", "value"] == 1


def test_t16_clearances(on_engine):
    """New applications of T1 (duplicates A3, A7 and arrears-only A5 left out). Cleared: June A4
    (10 days); July A1 (42 days: within 6 weeks); August A13 (closed without a calculation, 21
    days); September A9 (0 days) and A2 (84 days: within 12 weeks, not 6), median (0 + 84) / 2.
    A6's clearance is after the as-at date. Uncleared at month end, by age (days to the last day):
    June A1 28, A2 20; July A2 51, A13 11; August A2 82, A6 26, A8 12; September A6 56, A8 42
    (the boundary: 6 to 12 weeks), A10 27. Each month: uncleared = last month's + T1 new - cleared."""
    result = on_engine
    under, six, twelve, over = "under_6_weeks", "6_to_12_weeks", "12_to_26_weeks", "26_weeks_or_more"

    def month(calc, closed, within, median, ages):
        cleared = calc + closed
        out = {("applications_cleared", "calculation_made"): calc,
               ("applications_cleared", "closed_without_calculation"): closed,
               ("applications_cleared", "all"): cleared, "median_days_to_clear": median,
               ("applications_uncleared", "all"): sum(ages)}
        out.update({("applications_uncleared", b): n for b, n in zip((under, six, twelve, over), ages)})
        for weeks, n in zip((6, 12, 26), within):
            out[f"applications_cleared_within_{weeks}_weeks"] = n
            out[f"cleared_within_{weeks}_weeks_share"] = n / cleared
        return out

    exp = expected("T16", monthly({
        "2014-06": month(1, 0, (1, 1, 1), 10.0, (2, 0, 0, 0)),
        "2014-07": month(1, 0, (1, 1, 1), 42.0, (1, 1, 0, 0)),
        "2014-08": month(0, 1, (1, 1, 1), 21.0, (2, 1, 0, 0)),
        "2014-09": month(2, 0, (1, 2, 2), 42.0, (1, 2, 0, 0)),
    }, lambda m: "mean" if m == "median_days_to_clear" else count_or_share(m)))
    assert_frame_equal(table(result[0], "T16"), exp)
    t1 = table(result[0], "T1").set_index(["period", "measure"])["value"]
    t16 = table(result[0], "T16").set_index(["period", "measure", "breakdown"])["value"]
    before = 0.0
    for m in MONTHS:  # the registry's relation, on the hand-worked figures
        now = t16[m, "applications_uncleared", "all"]
        assert now == before + t1[m, "new_applications"] - t16[m, "applications_cleared", "all"]
        before = now


def test_t17_closures_and_their_check_against_the_snapshots(on_engine):
    """Closures by closed_date month: June C13 (other), August C11 (family-based arrangement),
    September C4 (applicant withdraws); C2's is after the as-at date. Shares of the caseload at
    the end of the month before (T2: 3, 4, 5); none in the first month."""
    result = on_engine
    reasons = ("family_based_arrangement", "child_leaves_qualifying_age", "applicant_withdraws",
               "no_further_liability", "other")

    def month(reason, share=None):
        out = {"cases_closed": int(reason is not None)}
        out.update({("cases_closed_by_reason", r): int(r == reason) for r in reasons})
        if share is not None:
            out["closures_share"] = share
        return out

    exp = expected("T17", monthly({
        "2014-06": month("other"), "2014-07": month(None, 0 / 3),
        "2014-08": month("family_based_arrangement", 1 / 4),
        "2014-09": month("applicant_withdraws", 1 / 5),
    }, count_or_share))
    assert_frame_equal(table(result[0], "T17"), exp)


def test_t8_arrears_and_liability(on_engine):
    result = on_engine

    def t8(arrears, groups, dp, cp):
        tml = dp + cp
        return {"outstanding_arrears": arrears, "case_groups_with_arrears": groups,
                ("total_maintenance_liability", "direct_pay"): dp,
                ("total_maintenance_liability", "collect_and_pay"): cp,
                ("total_maintenance_liability", "all"): tml,
                "arrears_share_of_liability": arrears / tml,
                "proxy_amount_collected": tml - arrears}

    unit = {"case_groups_with_arrears": "count", "arrears_share_of_liability": "share"}
    exp = expected("T8", monthly({
        "2014-06": t8(60.0, 1, 80.0, 100.0),
        "2014-07": t8(150.0, 2, 160.0, 260.0),
        "2014-08": t8(280.0, 2, 240.0, 435.0),
        "2014-09": t8(40.01 + 20.0 + 195.0, 2, 360.0, 495.0),
    }, lambda m: unit.get(m, "gbp")))
    assert_frame_equal(table(result[0], "T8"), exp)


def test_t8_reports_the_largest_contributions_for_dominance(on_engine):
    """Per month, the two largest case groups' liability due (by service type and in all),
    summed over the months: an independent groupby of the fixture's snapshots. Only money
    figures computed by breakdown report them (the rest is NaN)."""
    out, _ = on_engine
    folder = FakeFolder()  # its own reads: the shared fixture counts the snapshots read
    tml = out[(out["table"] == "T8") & (out["measure"] == "total_maintenance_liability")]
    running, expected_top = {}, {}
    for month in sorted(tml["period"].unique()):
        snap = folder.snapshot(month)
        for part in ("direct_pay", "collect_and_pay", "all"):
            rows = snap if part == "all" else snap[snap["service_type"] == part]
            top = rows.groupby("case_group_id")["liability_due"].sum().nlargest(2).tolist() + [0.0, 0.0]
            acc = running.setdefault(part, [0.0, 0.0])
            acc[0] += top[0]
            acc[1] += top[1]
            expected_top[(month, part)] = tuple(acc)
    got = {(p, b): (t1, t2) for p, b, t1, t2 in tml[["period", "breakdown", "top1", "top2"]]
           .itertuples(index=False)}
    assert got.keys() == expected_top.keys()
    for key, value in expected_top.items():
        assert got[key] == pytest.approx(value), key
    reported = out["top1"].notna()
    assert set(out.loc[reported, "measure"]) <= {"total_maintenance_liability",
                                                 "arrears_roll_forward_money_at_stake",
                                                 "arrears_on_closed_cases", "legacy_csa_arrears"}
    assert (out.loc[reported, "unit"] == "gbp").all()


def test_t18_shared_care(on_engine):
    """Cases due to pay (weekly liability > 0) with 52 or more nights, by band. June and July:
    C1 (52-103) and C5 (156-174) of C1, C2, C5 (C2's 30 nights are no reduction; C4 has no
    liability, its nights are null). August: + C3 (175 or more), of 4. September: C1's
    liability ended (its nights no longer count), C5 recalculated at 104 nights (104-155): C3
    and C5 of C2, C3, C5."""
    result = on_engine
    bands = ("nights_52_to_103", "nights_104_to_155", "nights_156_to_174", "nights_175_or_more")

    def t18(counts, due):
        row = {("shared_care_cases", b): n for b, n in zip(bands, counts)}
        row.update({("shared_care_cases", "all"): sum(counts), "cases_due_to_pay": due,
                    "shared_care_share": sum(counts) / due})
        return row

    exp = expected("T18", monthly({
        "2014-06": t18((1, 0, 1, 0), 3), "2014-07": t18((1, 0, 1, 0), 3),
        "2014-08": t18((1, 0, 1, 1), 4), "2014-09": t18((0, 1, 0, 1), 3),
    }, count_or_share))
    assert_frame_equal(table(result[0], "T18"), exp)


def test_t19_enforcement(on_engine):
    """Cases in enforcement over the caseload (T2: 3, 4, 5, 5): C5 from August, C2 in
    September. Actions by the day they started, first and last days of a month included; the
    disqualification on 2 October is after the as-at date."""
    result = on_engine
    kinds = ("deduction_from_earnings_order", "regular_deduction_order", "lump_sum_deduction_order",
             "liability_order", "charging_order_or_order_for_sale", "disqualification",
             "committal_to_prison")

    def t19(cases, caseload, **started):
        row = {"cases_in_enforcement": cases, "cases_in_enforcement_share": cases / caseload}
        row.update({("enforcement_actions_started", k): started.get(k, 0) for k in kinds})
        row[("enforcement_actions_started", "all")] = sum(started.values())
        return row

    exp = expected("T19", monthly({
        "2014-06": t19(0, 3),
        "2014-07": t19(0, 4, lump_sum_deduction_order=1),
        "2014-08": t19(1, 5, deduction_from_earnings_order=1, liability_order=1),
        "2014-09": t19(2, 5, regular_deduction_order=1, committal_to_prison=1),
    }, count_or_share))
    assert_frame_equal(table(result[0], "T19"), exp)


def test_t20_legacy_csa_arrears(on_engine):
    """CSA arrears by origin: C4 (arrears only, G3); C2 and C3 (both G2) and C5 (G4) from new
    applications. September: new applications 1,000 + 100 + 250.50 on 3 cases in 2 groups."""
    result = on_engine

    def t20(arrears_only, new_application):
        row = {}
        for origin, (money, cases, groups) in (("arrears_only", arrears_only),
                                               ("new_application", new_application)):
            row.update({("legacy_csa_arrears", origin): money,
                        ("cases_with_legacy_csa_arrears", origin): cases,
                        ("case_groups_with_legacy_csa_arrears", origin): groups})
        row.update({("legacy_csa_arrears", "all"): arrears_only[0] + new_application[0],
                    ("cases_with_legacy_csa_arrears", "all"): arrears_only[1] + new_application[1],
                    ("case_groups_with_legacy_csa_arrears", "all"): arrears_only[2] + new_application[2]})
        return row

    exp = expected("T20", monthly({
        "2014-06": t20((0.0, 0, 0), (0.0, 0, 0)),
        "2014-07": t20((500.0, 1, 1), (0.0, 0, 0)),
        "2014-08": t20((500.0, 1, 1), (1000.0, 1, 1)),
        "2014-09": t20((450.0, 1, 1), (1350.5, 3, 2)),
    }, lambda m: "gbp" if m == "legacy_csa_arrears" else "count"))
    assert_frame_equal(table(result[0], "T20"), exp)
    top = result[0].query("table == 'T20' and period == '2014-09' and measure == 'legacy_csa_arrears'")
    # by case group: G2 1,100 (C2 + C3), G3 450, G4 250.50
    assert {b: (t1, t2) for b, t1, t2 in top[["breakdown", "top1", "top2"]].itertuples(index=False)} \
        == {"all": (1100.0, 450.0), "arrears_only": (450.0, 0.0), "new_application": (1100.0, 250.5)}


def test_planned_measures_need_their_columns_and_file():
    """A folder without the optional columns or the actions file gives no figure ([x]) for the
    months concerned, and the edition says why in the data's words."""
    from cms_stats.measures.availability import mask_unavailable, not_available

    folder = FakeFolder()
    folder.absent_columns = {"snapshots/cases_2014-09.parquet": ["shared_care_nights", "csa_arrears"]}
    folder.absent_files = ["events/enforcement_actions.parquet"]
    out = mask_unavailable(compute_all(folder, PERIOD), folder, PERIOD)
    t18 = out[out["table"] == "T18"]
    assert sorted(t18["period"].unique()) == MONTHS[:3]
    assert set(out.loc[out["table"] == "T19", "measure"]) == {"cases_in_enforcement",
                                                              "cases_in_enforcement_share"}
    # the tables are published from the 2016-08 edition: a folder to August 2016 lacking them
    months = [f"{y}-{m:02d}" for y in (2015, 2016) for m in range(1, 13) if f"{y}-{m:02d}" <= "2016-08"]
    folder = SimpleNamespace(months=months, sample_months=[], metadata={}, absent_files=folder.absent_files,
                             absent_columns={"snapshots/cases_2016-08.parquet": ["shared_care_nights"]})
    reasons = not_available(folder, "2016-08")
    assert "T20" not in reasons
    assert "T18" in reasons and "`shared_care_nights`" in reasons["T18"]["reason"]
    assert reasons["T19"]["measures"] == ["enforcement_actions_started"]
    assert "events/enforcement_actions.parquet" in reasons["T19"]["reason"]


def test_t9_changes_of_circumstances_to_p_minus_1(on_engine):
    result = on_engine
    p = "changes_of_circumstances"
    exp = expected("T9", monthly({
        "2014-06": {f"{p}_received": 2, f"{p}_cleared": 0, f"{p}_outstanding": 2,
                    f"{p}_cleared_within_28_days": 1, "cleared_within_28_days_share": 0.5},
        "2014-07": {f"{p}_received": 1, f"{p}_cleared": 2, f"{p}_outstanding": 1,
                    f"{p}_cleared_within_28_days": 0, "cleared_within_28_days_share": 0.0},
        "2014-08": {f"{p}_received": 2, f"{p}_cleared": 1, f"{p}_outstanding": 2,
                    f"{p}_cleared_within_28_days": 1, "cleared_within_28_days_share": 0.5},
    }, count_or_share))
    assert_frame_equal(table(result[0], "T9"), exp)


def test_t10_mandatory_reconsiderations(on_engine):
    result = on_engine
    p = "mandatory_reconsiderations"

    def t10(rec, clr, rev, nrev, within):
        return {f"{p}_received": rec, f"{p}_cleared": clr, f"{p}_revised": rev,
                f"{p}_not_revised": nrev, f"{p}_cleared_within_20_days": within,
                "cleared_within_20_days_share": within / clr if clr else NAN}

    exp = expected("T10", monthly({
        "2014-06": t10(2, 1, 1, 0, 1),
        "2014-07": t10(1, 2, 0, 2, 1),
        "2014-08": t10(1, 0, 0, 0, 0),
        "2014-09": t10(1, 0, 0, 0, 0),   # M4 cleared after the as-at date: not cleared
    }, count_or_share))
    assert_frame_equal(table(result[0], "T10"), exp)


def test_t11_t12_t13_mi_feeds(on_engine):
    result = on_engine
    out = result[0]
    exp11 = expected("T11", monthly({
        m: {"appeals_received": r, ("appeals_cleared", "tribunal_outcome"): t,
            ("appeals_cleared", "cms_outcome"): c, ("appeals_cleared", "all"): a}
        for m, (r, t, c, a) in {"2014-06": (5, 1, 1, 2), "2014-07": (3, 2, 0, 2),
                                "2014-08": (7, 0, 3, 3), "2014-09": (4, 2, 2, 4)}.items()
    }, count_or_share))
    assert_frame_equal(table(out, "T11"), exp11)
    exp12 = expected("T12", monthly({
        m: {("complaints_received", "resolution"): a, ("complaints_received", "review"): b,
            ("complaints_received", "all"): a + b, "complaints_received_scheme_to_date": cum}
        for m, (a, b, cum) in {"2014-06": (10, 2, 12), "2014-07": (8, 1, 21),
                               "2014-08": (15, 0, 36), "2014-09": (20, 5, 61)}.items()
    }, count_or_share))
    assert_frame_equal(table(out, "T12"), exp12)
    exp13 = expected("T13", monthly({
        m: {"calls_received": r, "calls_answered": a, "calls_answered_within_30_seconds": w,
            "calls_answered_share": a / r, "calls_answered_within_30_seconds_share": w / r}
        for m, (r, a, w) in {"2014-06": (1000, 950, 800), "2014-07": (1200, 1140, 1000),
                             "2014-08": (900, 891, 801), "2014-09": (1100, 1078, 946)}.items()
    }, count_or_share))
    assert_frame_equal(table(out, "T13"), exp13)


def test_t14_accuracy(on_engine):
    result = on_engine
    exp = expected("T14", monthly({
        "2014-06": {"accuracy_checks": 4, "accurate_checks": 3, "accuracy_share": 0.75},
        "2014-07": {"accuracy_checks": 4, "accurate_checks": 2, "accuracy_share": 0.5},
        "2014-08": {"accuracy_checks": 2, "accurate_checks": 1, "accuracy_share": 0.5},
        "2014-09": {"accuracy_checks": 0, "accurate_checks": 0, "accuracy_share": NAN},
    }, count_or_share))
    assert_frame_equal(table(result[0], "T14"), exp)


@pytest.mark.parametrize("engine", ENGINES)
def test_accuracy_edges(engine):
    """GBP 1.00 and 2% of the correct amount are accurate, a penny more is not, on either
    engine."""
    calc = [51.00, 49.00, 10.30, 8.30, 11.31, 204.00, 196.00, 204.01, 151.47, 145.53, 145.52]
    corr = [50.00, 50.00, 9.30, 9.30, 10.30, 200.00, 200.00, 200.00, 148.50, 148.50, 148.50]
    run = Engine(engine)
    checks = run.frame(pd.DataFrame({"i": range(len(calc)), "calc": calc, "corr": corr}))
    got = run.con.to_pyarrow(checks.select("i", ok=accurate(checks.calc, checks.corr))
                             .order_by("i")).to_pandas()
    assert got["ok"].tolist() == [True, True, True, True, False, True, True,
                                  False, True, True, False]


def test_dq_table(on_engine):
    result = on_engine
    def rf(month, within, across, within_gbp, across_gbp, any_groups):
        return [
            (month, "arrears_roll_forward_failures", "within_month", within, "count"),
            (month, "arrears_roll_forward_failures", "across_months", across, "count"),
            (month, "arrears_roll_forward_failures", "all", any_groups, "count"),
            (month, "arrears_roll_forward_money_at_stake", "within_month", within_gbp, "gbp"),
            (month, "arrears_roll_forward_money_at_stake", "across_months", across_gbp, "gbp"),
            (month, "arrears_roll_forward_money_at_stake", "all", within_gbp + across_gbp, "gbp"),
        ]

    records = (rf("2014-06", 0, 0, 0.0, 0.0, 0) + rf("2014-07", 0, 0, 0.0, 0.0, 0)
               + rf("2014-08", 0, 1, 0.0, 30.0, 1) + rf("2014-09", 1, 0, 5.0, 0.0, 1))
    # No case leaves the fixture's caseload, so no arrears leave with one (first month: no check).
    records += [(m, "cases_closed_with_arrears", "all", 0, "count") for m in MONTHS[1:]]
    records += [(m, "arrears_on_closed_cases", "all", 0.0, "gbp") for m in MONTHS[1:]]
    records += [(m, "duplicate_new_applications_removed", "all", v, "count")
                for m, v in zip(MONTHS, (1, 0, 1, 0))]
    # Every fee status of the fixture keeps the rule (no_fee before 30 June 2014 and on arrears
    # only applications; a fee status or exemption on new applications after it).
    records += [(m, "fee_status_recorded_in_error", b, 0, "count") for m in MONTHS
                for b in ("all", "fee_before_fees_began", "fee_on_arrears_only",
                          "no_fee_after_fees_began")]
    # Closures against the snapshots: C11 (August) was not in July's, C4 (September) is still
    # in September's; June, the first month, has no month before to check.
    dis = "closures_disagreeing_with_snapshots"
    records += [(m, dis, b, v, "count") for m, in_end, not_before in (
        ("2014-06", 0, None), ("2014-07", 0, 0), ("2014-08", 0, 1), ("2014-09", 1, 0))
        for b, v in (("in_month_end_snapshot", in_end), ("not_in_previous_snapshot", not_before),
                     ("all", in_end + (not_before or 0))) if v is not None]
    records += [
        (PERIOD, "quarantined_rows", "all", 3, "count"),
        (PERIOD, "quarantined_rows",
         "events/payments.parquet: payment for a case_id never seen in a snapshot", 2, "count"),
        (PERIOD, "quarantined_rows",
         "events/service_requests.parquet: cleared_date before received_date", 1, "count"),
    ]
    assert_frame_equal(table(result[0], "DQ"), expected("DQ", records))


# --- compute_all: shape, order, as-at, one snapshot at a time --------------------------------
def test_compute_all_shape_and_order(result):
    out, folder = result
    assert list(out.columns) == COLUMNS + ["top1", "top2"]  # contributions: unrounded frame only
    assert out["value"].dtype == np.float64
    assert all(out[c].dtype == "str" for c in COLUMNS if c != "value")
    assert out["period"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert set(out["unit"]) <= {"count", "gbp", "share", "mean"}
    assert list(dict.fromkeys(out["table"])) == list(TABLE_ORDER)
    rank = out["table"].map({t: i for i, t in enumerate(TABLE_ORDER)})
    key = pd.DataFrame({"r": rank, "p": out["period"], "m": out["measure"], "b": out["breakdown"]})
    assert key.equals(key.sort_values(["r", "p", "m", "b"]).reset_index(drop=True))
    assert not out.duplicated(["table", "period", "measure", "breakdown"]).any()
    shares = out.loc[out["unit"] == "share", "value"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()
    # snapshots read once each, in order; the liabilities extract read (for its quarantine)
    assert folder.snapshots_read == MONTHS
    assert folder.liabilities_read


def test_compute_all_uses_only_what_was_known():
    folder = FakeFolder()
    earlier = compute_all(folder, "2014-08")
    assert folder.snapshots_read == MONTHS[:3]    # September never read
    later = compute_all(FakeFolder(), PERIOD)
    not_quarantine = lambda f: f.loc[f["measure"] != "quarantined_rows"]  # noqa: E731
    # every figure of months to August is the same in the September release (no event in the
    # fixture is back-dated), except the MI-free P-1 rule: T9 August appears only in September
    same = not_quarantine(later.loc[later["period"] <= "2014-08"])
    same = same.loc[~((same["table"] == "T9") & (same["period"] == "2014-08"))]
    assert_frame_equal(not_quarantine(earlier).reset_index(drop=True), same.reset_index(drop=True))
    assert earlier.loc[earlier["table"] == "T9", "period"].max() == "2014-07"
    assert earlier.loc[(earlier["measure"] == "quarantined_rows"), "period"].unique().tolist() == ["2014-08"]


def test_as_at_rule():
    cut = as_at(RECONSIDERATIONS, "received_date", month_end("2014-09"),
                cleared_columns=["cleared_date"], cleared_dependent=["outcome"])
    m4 = cut.loc[cut["reconsideration_id"] == "M00000004"].iloc[0]
    assert pd.isna(m4["cleared_date"]) and pd.isna(m4["outcome"])
    cut = as_at(RECONSIDERATIONS, "received_date", month_end("2014-06"),
                cleared_columns=["cleared_date"], cleared_dependent=["outcome"])
    assert sorted(cut["reconsideration_id"]) == ["M00000001", "M00000002"]
    assert pd.isna(cut.set_index("reconsideration_id").loc["M00000002", "cleared_date"])
    assert len(RECONSIDERATIONS) == 5 and RECONSIDERATIONS["outcome"].notna().sum() == 4  # input untouched


def test_period_must_be_a_month_of_the_folder():
    with pytest.raises(ValueError, match="2015-01"):
        compute_all(FakeFolder(), "2015-01")


@pytest.mark.parametrize("engine", ENGINES)
def test_arrears_roll_forward_and_arrears_leaving_with_closed_cases_worked_by_hand(engine):
    """DQ's roll-forward checks and the arrears leaving with closed cases, with the two largest
    contributions the dominance rule reads, worked by hand on either engine.

    June (the folder's first month): C2 opens with 55.50 brought in; no month before, so no
    check across months. July: C1 (no arrears), C2 (55.50) and C3 (10.00) have closed: 2 cases,
    65.50, largest 55.50 then 10.00; C5 opens 2p above June's closing (across: 0.02) and closes
    2p below its opening + accrued (within: 0.02); C6 (G4 too) keeps both rules, and C8 is 1p
    out within the month (the tolerance). August: C7 (G5) is new with 5.00 opening (against 0:
    across 5.00); C5 opens at July's closing but closes 3.00 high, C6 2.50 high and C8 (G6)
    1.00 high (within: G4 5.50 and G6 1.00: 2 case groups, largest 5.50 then 1.00); no case
    has left.
    """
    from cms_stats.measures.context import Context
    from cms_stats.measures.quality import roll_forward

    def case(case_id, group, opening, accrued, closing):
        return (f"C0000000{case_id}", f"G0000000{group}", opening, accrued, 0.0, 0.0, closing)

    snapshots = {
        "2014-06": [case(1, 1, 0.0, 0.0, 0.0), case(2, 2, 55.5, 0.0, 55.5),
                    case(3, 2, 0.0, 10.0, 10.0), case(5, 4, 0.0, 60.0, 60.0),
                    case(6, 4, 0.0, 7.0, 7.0), case(8, 6, 0.0, 1.0, 1.0)],
        "2014-07": [case(5, 4, 60.02, 70.0, 130.0), case(6, 4, 7.0, 1.0, 8.0),
                    case(8, 6, 1.0, 1.0, 2.01)],
        "2014-08": [case(5, 4, 130.0, 0.0, 133.0), case(6, 4, 8.0, 0.0, 10.5),
                    case(7, 5, 5.0, 0.0, 5.0), case(8, 6, 2.01, 0.0, 3.01)],
    }

    class Folder:
        months = list(snapshots)

        def snapshot(self, month):
            frame = pd.DataFrame.from_records(snapshots[month], columns=[
                "case_id", "case_group_id", "arrears_opening", "arrears_accrued",
                "arrears_paid", "arrears_adjustment", "arrears_closing"])
            return frame.assign(snapshot_month=month)

    got = roll_forward(Context(Folder(), "2014-08", engine=engine))
    checks = {"2014-06": {"within_month": (0, 0.0, 0.0, 0.0), "across_months": (0, 0.0, 0.0, 0.0),
                          "all": (0, 0.0, 0.0, 0.0)},
              "2014-07": {"within_month": (1, 0.02, 0.02, 0.0),
                          "across_months": (1, 0.02, 0.02, 0.0), "all": (1, 0.04, 0.04, 0.0)},
              "2014-08": {"within_month": (2, 6.5, 5.5, 1.0), "across_months": (1, 5.0, 5.0, 0.0),
                          "all": (3, 11.5, 5.5, 5.0)}}
    records = []
    for month, parts in checks.items():
        for part, (groups, money, top1, top2) in parts.items():
            records += [("DQ", month, "arrears_roll_forward_failures", part, groups, "count", NAN, NAN),
                        ("DQ", month, "arrears_roll_forward_money_at_stake", part, money, "gbp",
                         top1, top2)]
    records += [("DQ", "2014-07", "cases_closed_with_arrears", "all", 2, "count", NAN, NAN),
                ("DQ", "2014-07", "arrears_on_closed_cases", "all", 65.5, "gbp", 55.5, 10.0),
                ("DQ", "2014-08", "cases_closed_with_arrears", "all", 0, "count", NAN, NAN),
                ("DQ", "2014-08", "arrears_on_closed_cases", "all", 0.0, "gbp", 0.0, 0.0)]
    want = pd.DataFrame.from_records(records, columns=COLUMNS + ["top1", "top2"]).astype(
        {"value": "float64"}).sort_values(["period", "measure", "breakdown"]).reset_index(drop=True)
    assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_roll_forward_rows_shifted_outside_the_months_reported_reach_no_figure(engine):
    """The month before's side of the roll-forward join: a month's closing arrears meet only
    the next month's opening, so the last month's rows (shifted beyond the period) and a
    month's before the first (shifted onto it: not checked across) reach no figure.

    May (before the first month): C1 closes at 40.00 and is not in June, C2 closes at 10.00
    and opens June at 0 (not checked in the first month). July (the last): C3 opens 3p above
    June's closing (across: G3 0.03), C2 has left with 10.00, and C4 closes at 99.00 (shifted
    to August: no row, no figure).
    """
    from cms_stats.measures.engine import month_integer
    from cms_stats.measures.quality import roll_forward_by_month

    columns = ["snapshot_month", "case_id", "case_group_id", "arrears_opening", "arrears_accrued",
               "arrears_paid", "arrears_adjustment", "arrears_closing"]
    frame = pd.DataFrame.from_records([
        ("2014-05", "C1", "G1", 0.0, 40.0, 0.0, 0.0, 40.0),
        ("2014-05", "C2", "G2", 0.0, 10.0, 0.0, 0.0, 10.0),
        ("2014-06", "C2", "G2", 0.0, 10.0, 0.0, 0.0, 10.0),
        ("2014-06", "C3", "G3", 0.0, 5.0, 0.0, 0.0, 5.0),
        ("2014-07", "C3", "G3", 5.03, 0.0, 0.0, 0.0, 5.03),
        ("2014-07", "C4", "G4", 0.0, 99.0, 0.0, 0.0, 99.0)], columns=columns)
    months = ["2014-06", "2014-07"]
    on = Engine(engine)
    snapshots = on.snapshot_frames([frame], ["2014-05", *months], {
        c: "string" if c.endswith("_id") else "float64" for c in columns[1:]})
    got = on.execute(roll_forward_by_month(snapshots, on.months(months), month_integer("2014-06"),
                                           month_integer("2014-07")), months)
    parts = {"within_month": (0, 0.0, 0.0, 0.0), "across_months": (1, 0.03, 0.03, 0.0),
             "all": (1, 0.03, 0.03, 0.0)}
    july = {column: value for part, figures in parts.items() for column, value in zip(
        (f"failures_{part}", f"money_{part}", f"top1_{part}", f"top2_{part}"), figures)}
    want = pd.DataFrame([{column: 0 * value for column, value in july.items()}, july])
    want = pd.concat([pd.DataFrame({"month": months}), want], axis=1).assign(
        closed_cases=[NAN, 1.0], closed_arrears=[NAN, 10.0], top1_closed=[NAN, 10.0],
        top2_closed=[NAN, 0.0])
    assert set(got.columns) == set(want.columns)
    assert_frame_equal(got[want.columns], want, check_exact=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_fee_status_recorded_in_error_by_reason(engine):
    """The contract's fee_status rule, worked by hand on explicit rows (30 June 2014, the day
    fees began, belongs to June 2014)."""
    from cms_stats.measures.common import monthly_rows
    from cms_stats.measures.engine import Engine, month_number
    from cms_stats.measures.quality import FEE_STATUS_REASONS, fee_status_errors_by_month

    rows = pd.DataFrame.from_records([
        # received, type, fee status -> reason (or none)
        (D("2014-06-29"), "new_application", "fee_paid"),                # fee before fees began
        (D("2014-06-30"), "new_application", "no_fee"),                  # Jun: no_fee after fees began
        (D("2014-06-30"), "new_application", "fee_paid"),                # Jun: valid
        (D("2014-07-01"), "new_application", "no_fee"),                  # Jul: no_fee after fees began
        (D("2014-07-02"), "new_application", "no_fee"),                  # Jul: no_fee after fees began
        (D("2014-07-03"), "arrears_only", "exempt_under_19"),            # Jul: fee on arrears only
        (D("2014-07-04"), "arrears_only", "no_fee"),                     # valid
        (D("2014-07-05"), "new_application", "exempt_domestic_violence"),  # valid
    ], columns=["received_date", "application_type", "fee_status"])
    months = ["2014-06", "2014-07"]
    on = Engine(engine)
    kept = on.frame(rows)
    wide = on.execute(fee_status_errors_by_month(kept.mutate(month=month_number(kept.received_date)),
                                                 on.months(months)), months)
    got = monthly_rows(wide, "DQ", [("fee_status_recorded_in_error", name, name, "count")
                                    for name in (*FEE_STATUS_REASONS, "all")])
    want = expected("DQ", [
        ("2014-06", "fee_status_recorded_in_error", "all", 2, "count"),
        ("2014-06", "fee_status_recorded_in_error", "fee_before_fees_began", 1, "count"),
        ("2014-06", "fee_status_recorded_in_error", "fee_on_arrears_only", 0, "count"),
        ("2014-06", "fee_status_recorded_in_error", "no_fee_after_fees_began", 1, "count"),
        ("2014-07", "fee_status_recorded_in_error", "all", 3, "count"),
        ("2014-07", "fee_status_recorded_in_error", "fee_before_fees_began", 0, "count"),
        ("2014-07", "fee_status_recorded_in_error", "fee_on_arrears_only", 1, "count"),
        ("2014-07", "fee_status_recorded_in_error", "no_fee_after_fees_began", 2, "count"),
    ])
    assert_frame_equal(got, want)
