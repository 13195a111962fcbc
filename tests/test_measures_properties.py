"""Properties of the measures (hypothesis) and the Direct Pay sensitivity."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from cms_stats.measures.arrears import direct_pay_sensitivity, sensitivity_inputs
from cms_stats.measures.common import COLUMNS
from cms_stats.months import add_months, month_end, month_index, months_between, quarter_months
from cms_stats.measures.compliance import t5_t6
from cms_stats.measures.context import Context
from cms_stats.measures.engine import Engine, month_integer
from cms_stats.measures.intake import T1_FIGURES, intake_by_month, mark_duplicates
from cms_stats.measures.service import accuracy_by_month

MONTHS = ["2014-06", "2014-07", "2014-08"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

application = st.tuples(
    st.sampled_from(["new_application", "arrears_only"]),
    st.integers(0, 3),                          # paying parent
    st.integers(0, 3),                          # receiving parent
    st.integers(0, 91),                         # day offset from 1 June 2014
)


#: Applications as the loader hands them to the engine (typed even when there are none).
APPLICATION_SCHEMA = pa.schema([("application_id", pa.string()), ("received_date", pa.date32()),
                                ("application_type", pa.string()),
                                ("paying_parent_id", pa.string()),
                                ("receiving_parent_id", pa.string()),
                                ("fee_status", pa.string()), ("case_id", pa.string())])


@functools.cache
def duckdb() -> Engine:
    """The default engine, started once for the module's examples."""
    return Engine("duckdb")


def marked(apps: pd.DataFrame):
    """The engine's duplicate rule (:func:`mark_duplicates`) on ``apps``, as an engine table."""
    engine = duckdb()
    return mark_duplicates(engine.arrow(pa.Table.from_pandas(apps, schema=APPLICATION_SCHEMA,
                                                              preserve_index=False)))


def applications_frame(rows):
    return pd.DataFrame({
        "application_id": [f"A{i:08d}" for i in range(len(rows))],
        "received_date": pd.to_datetime([pd.Timestamp("2014-06-01") + pd.Timedelta(days=r[3])
                                         for r in rows]),
        "application_type": [r[0] for r in rows],
        "paying_parent_id": [f"P{r[1]:08d}" for r in rows],
        "receiving_parent_id": [f"R{r[2]:08d}" for r in rows],
        "fee_status": "no_fee",
        "case_id": [f"C{i:08d}" for i in range(len(rows))],
    })


@FAST
@given(st.lists(application, max_size=40))
def test_total_intake_is_new_plus_arrears_only(rows):
    apps = applications_frame(rows)
    wide = duckdb().execute(intake_by_month(marked(apps), duckdb().months(MONTHS)), MONTHS)
    t1 = wide.set_index("month").rename(columns={v: k for k, v in T1_FIGURES.items()})
    assert (t1["new_applications"] + t1["arrears_only_applications"] == t1["total_intake"]).all()
    # nothing is lost: kept + removed = applications in the months
    in_months = apps["received_date"] <= pd.Timestamp(month_end(MONTHS[-1]))
    assert (t1["total_intake"] + t1["duplicate_new_applications_removed"]).sum() == in_months.sum()
    # arrears-only applications are never removed
    arrears = apps.loc[in_months & (apps["application_type"] == "arrears_only")]
    assert t1["arrears_only_applications"].sum() == len(arrears)


money = st.floats(0, 500, allow_nan=False).map(lambda x: round(x, 2))
case = st.tuples(st.integers(0, 4), st.sampled_from(["direct_pay", "collect_and_pay"]), money)


class OneMonth:
    """The loader API over one month's snapshot and payments (what T5 and T6 read)."""

    months = ["2014-08"]
    sample_months: list[str] = []

    def __init__(self, snapshot: pd.DataFrame, payments: pd.DataFrame) -> None:
        self._snapshot, self._payments = snapshot, payments

    def snapshot(self, month):
        return self._snapshot.assign(snapshot_month=month)

    def payments(self):
        return self._payments


@FAST
@given(st.lists(case, min_size=1, max_size=30), st.lists(st.tuples(st.integers(0, 6), money), max_size=20))
def test_compliance_shares_within_0_1(cases, pays):
    snap = pd.DataFrame({
        "case_id": [f"C{i:08d}" for i in range(len(cases))],
        "case_group_id": [f"G{c[0]:08d}" for c in cases],
        "service_type": [c[1] for c in cases],
        "liability_due": [c[2] for c in cases],
    })
    payments = pd.DataFrame({"case_group_id": [f"G{p[0]:08d}" for p in pays],
                             "case_id": [f"C{p[0]:08d}" for p in pays],
                             "payment_date": pd.to_datetime(["2014-08-15"] * len(pays)),
                             "amount": [max(p[1], 0.01) for p in pays]})
    out = t5_t6(Context(OneMonth(snap, payments), "2014-08", engine="duckdb"))
    value = out.set_index("measure")["value"]
    if value["case_groups_with_current_liability"] == 0:
        assert np.isnan(value["case_groups_contributing_share"])
        return
    assert 0 <= value["case_groups_contributing_share"] <= 1
    assert value["case_groups_contributing"] <= value["case_groups_with_current_liability"]
    # cash_paid_share is not bounded by 1 by definition (DESIGN.md): Collect and Pay payments
    # dated in Q may also pay off arrears. It is >= 0, and <= 1 when no payments are made.
    assert value["cash_paid_share"] >= 0 or np.isnan(value["cash_paid_share"])
    if not pays:
        assert value["cash_paid_share"] <= 1 + 1e-12


@FAST
@given(pairs=st.lists(st.tuples(money, money), max_size=30))
def test_accuracy_share_within_0_1(pairs):
    checks = duckdb().frame(pd.DataFrame({
        "month": pd.Series([month_integer("2014-07")] * len(pairs), dtype="int64"),
        "calculated_weekly_amount": pd.Series([p[0] for p in pairs], dtype="float64"),
        "correct_weekly_amount": pd.Series([max(p[1], 0.01) for p in pairs], dtype="float64")}))
    wide = duckdb().execute(accuracy_by_month(checks, duckdb().months(MONTHS),
                                              month_integer("2014-08")), MONTHS)
    assert wide["month"].tolist() == MONTHS
    shares = wide["share"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()
    assert wide["checks"].sum() == len(pairs) and (wide["accurate"] <= wide["checks"]).all()


@FAST
@given(st.floats(0, 1e8), st.floats(1, 1e9), st.floats(0, 1))
def test_sensitivity_monotone_and_base(arrears, tml, dp_fraction):
    dp = dp_fraction * tml
    out = direct_pay_sensitivity(arrears, tml, dp)
    assert list(out.columns) == ["compliance", "arrears_share"]
    assert len(out) == 21
    assert out["compliance"].iloc[0] == pytest.approx(0.8) and out["compliance"].iloc[-1] == 1.0
    # less compliance, more arrears: non-increasing in compliance
    assert (np.diff(out["arrears_share"].to_numpy()) <= 1e-12).all()
    assert out["arrears_share"].iloc[-1] == pytest.approx(arrears / tml, rel=1e-12)


def test_sensitivity_worked_example():
    # arrears 77.5, TML 594.9, Direct Pay liability 476 (80% of TML): 5 pp less compliance
    # adds 0.05 * 476 / 594.9 = 4 pp
    out = direct_pay_sensitivity(77.5, 594.9, 476.0, compliance=[1.0, 0.95])
    expected = pd.DataFrame({"compliance": [1.0, 0.95],
                             "arrears_share": [77.5 / 594.9, (77.5 + 0.05 * 476.0) / 594.9]})
    assert_frame_equal(out, expected)
    assert out["arrears_share"].diff().iloc[1] == pytest.approx(0.04, abs=0.0005)


def test_sensitivity_inputs_from_t8_rows():
    t8 = pd.DataFrame.from_records([
        ("T8", "2016-08", "outstanding_arrears", "all", 77.5, "gbp"),
        ("T8", "2016-08", "total_maintenance_liability", "all", 594.9, "gbp"),
        ("T8", "2016-08", "total_maintenance_liability", "direct_pay", 476.0, "gbp"),
        ("T8", "2016-05", "outstanding_arrears", "all", 1.0, "gbp"),
    ], columns=COLUMNS)
    assert sensitivity_inputs(t8, "2016-08") == {
        "outstanding_arrears": 77.5, "total_maintenance_liability": 594.9,
        "direct_pay_liability": 476.0}


@given(st.integers(2000 * 12, 2100 * 12), st.integers(-40, 40))
def test_month_arithmetic(index, k):
    month = f"{index // 12:04d}-{index % 12 + 1:02d}"
    assert month_index(month) == index
    assert month_index(add_months(month, k)) == index + k
    assert quarter_months(month) == [add_months(month, -2), add_months(month, -1), month]
    assert month_end(month).month == index % 12 + 1
    assert (month_end(month) + pd.Timedelta(days=1)).day == 1
    assert months_between(month, add_months(month, abs(k)))[-1] == add_months(month, abs(k))
    assert len(months_between(month, add_months(month, abs(k)))) == abs(k) + 1


@FAST
@given(st.lists(application, max_size=40), st.randoms(use_true_random=False))
def test_duplicate_rule_matches_pandas_reference(rows, rnd):
    apps = applications_frame(rows)
    apps = apps.iloc[rnd.sample(range(len(apps)), len(apps))]  # input order does not matter
    out = duckdb().con.to_pyarrow(marked(apps)).to_pandas()
    kept, removed = out[~out["duplicate"]], out[out["duplicate"]]
    new = apps.loc[apps["application_type"] == "new_application"].sort_values("application_id")
    reference = new.loc[new.duplicated(["paying_parent_id", "receiving_parent_id", "received_date"])]
    assert sorted(removed["application_id"]) == sorted(reference["application_id"])
    assert sorted(kept["application_id"]) == sorted(set(apps["application_id"]) - set(reference["application_id"]))
