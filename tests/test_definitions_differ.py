"""Each documented choice of DESIGN.md's measure definitions matters on the default data.

For every choice (duplicates among new applications only, exemption share over new
applications, current liability from ``liability_due``, payments of the whole case group, the
tolerance and day-count boundaries, arrears on every case, cases not case groups in T7) the chosen
reading and the rejected one are computed here independently, with pandas from the extract
files, and must give different figures; the chosen reading must also equal the book's figure
(``compute_all``). The generator makes these cases at low rates (``definition_cases`` in
``synthetic/parameters.yaml``; DESIGN.md "Cases that tell definitions apart").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow
P = "2016-08"
Q = ["2016-06", "2016-07", "2016-08"]


@pytest.fixture(scope="module")
def book(full_measures):
    index = full_measures.set_index(["table", "period", "measure", "breakdown"])["value"]

    def value(table, measure, period=P, breakdown="all"):
        return float(index.loc[(table, period, measure, breakdown)])

    return value


@pytest.fixture(scope="module")
def files(full_data):
    def read(name, **kw):
        return pd.read_parquet(full_data / name, **kw)

    read.folder = full_data
    return read


@pytest.fixture(scope="module")
def quarter(files):
    return pd.concat([files(f"snapshots/cases_{m}.parquet") for m in Q], ignore_index=True)


@pytest.fixture(scope="module")
def payments_q(files):
    p = files("events/payments.parquet")
    month = pd.to_datetime(p.payment_date).dt.strftime("%Y-%m")
    return p.assign(month=month)[month.isin(Q)]


def _new_deduplicated(apps):
    new = apps[apps.application_type == "new_application"].sort_values("application_id")
    return new[~new.duplicated(["paying_parent_id", "receiving_parent_id", "received_date"])]


def test_duplicates_among_new_applications_only(files, book):
    apps = files("events/applications.parquet")
    month = pd.to_datetime(apps.received_date).dt.strftime("%Y-%m")
    apps = apps[month == P]
    chosen = len(_new_deduplicated(apps)) + int((apps.application_type == "arrears_only").sum())
    across = apps.sort_values("application_id")
    rejected = int((~across.duplicated(["paying_parent_id", "receiving_parent_id", "received_date"])).sum())
    assert chosen == book("T1", "total_intake")
    assert rejected < chosen


def test_exemption_share_over_new_applications(files, book):
    apps = files("events/applications.parquet")
    month = pd.to_datetime(apps.received_date).dt.strftime("%Y-%m")
    new = _new_deduplicated(apps[month == P])
    exempt = int(new.fee_status.str.startswith("exempt").sum())
    paid = int((new.fee_status == "fee_paid").sum())
    chosen = exempt / len(new)
    rejected = exempt / (paid + exempt)
    assert chosen == pytest.approx(book("T3", "fee_exemption_share"), abs=1e-12)
    assert int((new.fee_status == "no_fee").sum()) > 0          # recorded in error after the fee
    assert rejected != pytest.approx(chosen, abs=1e-6)


def test_current_liability_from_liability_due(quarter, book):
    chosen = quarter.loc[quarter.liability_due > 0, "case_group_id"].nunique()
    rejected = quarter.loc[quarter.weekly_liability > 0, "case_group_id"].nunique()
    assert chosen == book("T5", "case_groups_with_current_liability")
    assert rejected != chosen


def test_payments_of_the_whole_case_group(quarter, payments_q, book):
    liable = quarter[quarter.liability_due > 0]
    groups = set(liable.case_group_id)
    dp = set(liable.loc[liable.service_type == "direct_pay", "case_group_id"])
    # chosen: any payment of the group dated in Q
    chosen = len(groups & (dp | set(payments_q.case_group_id)))
    # rejected: only payments on a case that was Collect and Pay with liability due that month
    cp = liable.loc[liable.service_type == "collect_and_pay", ["case_id", "snapshot_month"]]
    on_cp = payments_q.merge(cp, left_on=["case_id", "month"], right_on=["case_id", "snapshot_month"])
    rejected = len(groups & (dp | set(on_cp.case_group_id)))
    assert chosen == book("T5", "case_groups_contributing")
    assert rejected < chosen
    # the payments the rejected reading leaves out: Direct Pay, arrears-only, liability ended, closed
    snap = quarter[["case_id", "snapshot_month", "service_type", "origin"]]
    kinds = payments_q.merge(snap, left_on=["case_id", "month"], right_on=["case_id", "snapshot_month"],
                             how="left")
    assert (kinds.service_type == "direct_pay").any()
    assert (kinds.origin == "arrears_only").any()
    assert (kinds.service_type == "no_liability").any()
    assert kinds.service_type.isna().any()                       # case closed before the payment


def test_cases_paying_counts_every_case_with_a_payment(quarter, payments_q, book):
    liable = quarter[quarter.liability_due > 0]
    dp = set(liable.loc[liable.service_type == "direct_pay", "case_id"])
    chosen = len(dp | set(payments_q.case_id[~payments_q.case_id.str.startswith("C9")]))
    in_snapshot = payments_q.merge(quarter[["case_id", "snapshot_month"]],
                                   left_on=["case_id", "month"], right_on=["case_id", "snapshot_month"])
    rejected = len(dp | set(in_snapshot.case_id))
    assert chosen == book("T4", "cases_paying")
    assert rejected < chosen


def test_arrears_on_every_case(files, book):
    s = files(f"snapshots/cases_{P}.parquet")
    chosen = s.arrears_closing.sum()
    rejected = s.loc[s.origin == "new_application", "arrears_closing"].sum()
    assert chosen == pytest.approx(book("T8", "outstanding_arrears"), rel=1e-12)
    assert rejected < chosen - 1000


def test_direct_pay_share_of_cases_not_case_groups(files, book):
    s = files(f"snapshots/cases_{P}.parquet")
    due = s[(s.weekly_liability > 0) & s.service_type.isin(["direct_pay", "collect_and_pay"])]
    chosen = (due.service_type == "direct_pay").mean()
    by_group = due.groupby("case_group_id").service_type.agg(lambda x: set(x))
    mixed = by_group.map(len) > 1
    rejected = by_group.map(lambda x: "direct_pay" in x).mean()
    assert chosen == pytest.approx(book("T7", "direct_pay_share"), abs=1e-12)
    assert mixed.any()                                           # groups mixing service types
    assert rejected != pytest.approx(chosen, abs=1e-6)


def test_changes_of_circumstances_28_days_inclusive(files, book):
    r = files("events/service_requests.parquet")
    received = pd.to_datetime(r.received_date)
    days = (pd.to_datetime(r.cleared_date) - received).dt.days
    in_month = (received.dt.strftime("%Y-%m") == "2016-07") & (days >= 0)
    chosen = int((in_month & (days <= 28)).sum())
    rejected = int((in_month & (days < 28)).sum())
    assert chosen == book("T9", "changes_of_circumstances_cleared_within_28_days", "2016-07")
    assert rejected < chosen


def test_reconsiderations_20_days_inclusive(files, book):
    r = files("events/reconsiderations.parquet")
    cleared = pd.to_datetime(r.cleared_date)
    days = (cleared - pd.to_datetime(r.received_date)).dt.days
    in_month = cleared.dt.strftime("%Y-%m") == P
    chosen = int((in_month & (days <= 20)).sum())
    rejected = int((in_month & (days < 20)).sum())
    assert chosen == book("T10", "mandatory_reconsiderations_cleared_within_20_days")
    assert rejected < chosen


def test_accuracy_tolerance_inclusive(files, book):
    c = pd.read_excel(files.folder / "mi" / "accuracy_checks.xlsx", sheet_name="Checks")
    calc = np.round(c.calculated_weekly_amount * 100).astype(np.int64)
    corr = np.round(c.correct_weekly_amount * 100).astype(np.int64)
    c = c[corr > 0]
    calc, corr = calc[corr > 0], corr[corr > 0]
    diff, limit = (calc - corr).abs(), np.maximum(100, corr * 2 / 100)
    months = c.check_month.astype(str)
    chosen = int(((diff <= limit) & (months <= P)).sum())
    rejected = int(((diff < limit) & (months <= P)).sum())
    book_total = sum(book("T14", "accurate_checks", m) for m in sorted(set(months)))
    assert chosen == book_total
    assert rejected < chosen
    assert ((diff == 100) & (corr <= 5000)).any() and ((diff * 50 == corr) & (corr > 5000)).any()


# --- the planned measures (T18-T20) ------------------------------------------------------------
def test_shared_care_only_on_cases_due_to_pay_and_from_52_nights(files, book):
    """Chosen: weekly liability > 0 and 52 or more nights. Rejected: any case recording 52 or
    more nights (nights stay recorded after a liability ends), or any nights above 0 (fewer
    than 52 is no reduction)."""
    snap = files(f"snapshots/cases_{P}.parquet")
    nights = snap["shared_care_nights"].fillna(0)
    due = snap["weekly_liability"] > 0
    chosen = int((due & (nights >= 52)).sum())
    assert chosen == book("T18", "shared_care_cases")
    assert chosen != int((nights >= 52).sum())
    assert chosen != int((due & (nights > 0)).sum())


def test_legacy_csa_arrears_case_groups_not_cases(files, book):
    """Chosen: distinct case groups carrying CSA arrears. Rejected: cases."""
    snap = files(f"snapshots/cases_{P}.parquet")
    carrying = snap[snap["csa_arrears"] > 0]
    chosen = carrying["case_group_id"].nunique()
    assert chosen == book("T20", "case_groups_with_legacy_csa_arrears")
    assert chosen != len(carrying) == book("T20", "cases_with_legacy_csa_arrears")


def test_enforcement_share_of_the_caseload(files, book):
    """Chosen: cases in enforcement over the caseload. Rejected: over the cases due to pay."""
    snap = files(f"snapshots/cases_{P}.parquet")
    enforced = int((snap["in_enforcement"] == 1).sum())
    assert enforced / len(snap) == pytest.approx(book("T19", "cases_in_enforcement_share"))
    assert enforced / len(snap) != pytest.approx(enforced / int((snap["weekly_liability"] > 0).sum()))
