"""Rounding and disclosure policy: values checked by hand and against integer arithmetic."""

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms_stats.publish.policy import PolicyError, load_metadata, load_policy
from cms_stats.registry import load_registry
from cms_stats.publish.rounding import (
    publication_tables,
    publish_tidy,
    round_half_up,
    round_value,
    to_number,
)

POLICY = load_policy()
META = load_metadata()
def tidy(rows):
    return pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"])


# -- the figures of the 2016-08 edition round as published ------------------------------
@pytest.mark.parametrize(
    "table, measure, unit, value, expected",
    [
        ("T1", "total_intake", "count", 21_437, 21_400),
        ("T2", "caseload", "count", 338_861, 338_900),
        ("T3", "fee_exemptions", "count", 3_536, 3_540),
        ("T4", "children_benefiting", "count", 281_064, 281_100),
        ("T4", "mean_children_per_case", "mean", 1.5132, 1.51),
        ("T8", "case_groups_with_arrears", "count", 93_512, 93_500),
        ("T8", "outstanding_arrears", "gbp", 77_462_310.25, 77.5),
        ("T8", "total_maintenance_liability", "gbp", 594_930_000.0, 594.9),
        ("T10", "mandatory_reconsiderations_received", "count", 1_517, 1_520),
        ("T11", "appeals_received", "count", 143, 140),
        ("T11", "appeals_cleared", "count", 48, 50),
        ("T12", "complaints_received", "count", 256, 255),
        ("T5", "case_groups_contributing_share", "share", 0.8812, 88),
        ("T13", "calls_answered_share", "share", 0.975, 98),
        ("DQ", "arrears_roll_forward_money_at_stake", "gbp", 12_345.67, 12.3),
    ],
)
def test_edition_figures_round_as_published(table, measure, unit, value, expected):
    assert round_value(value, table, measure, unit, POLICY) == expected


def test_half_up_not_bankers():
    assert round(2.5) == 2  # what we must not do
    assert round_half_up(2.5, decimals=0) == 3
    assert round_half_up(0.125, decimals=2) == 0.13
    assert round_half_up(2.675, decimals=2) == 2.68  # as written, not its binary expansion
    assert round_half_up(150, base=100) == 200
    assert round_half_up(250, base=100) == 300
    assert round_half_up(-250, base=100) == -300  # half away from zero
    assert round_value(0.445, "T3", "fee_exemption_share", "share", POLICY) == 45
    assert round_value(77_450_000, "T8", "outstanding_arrears", "gbp", POLICY) == 77.5
    assert round_value(1.505, "T4", "mean_children_per_case", "mean", POLICY) == 1.51
    assert round_value(252.5, "T12", "complaints_received", "count", POLICY) == 255


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=0, max_value=10**9), base=st.sampled_from([5, 10, 100]))
def test_count_rounding_matches_integer_arithmetic(n, base):
    assert round_half_up(n, base=base) == (n + base // 2) // base * base


@settings(max_examples=300, deadline=None)
@given(k=st.integers(min_value=-10**6, max_value=10**6), d=st.integers(min_value=0, max_value=2))
def test_exact_halves_go_away_from_zero(k, d):
    # k + 0.5 units of the last place, written exactly as a decimal string
    value = Decimal(k) / Decimal(10**d) + (Decimal(5) / Decimal(10 ** (d + 1))) * (1 if k >= 0 else -1)
    expected = Decimal(k) / Decimal(10**d) + (Decimal(1) / Decimal(10**d)) * (1 if k >= 0 else -1)
    assert Decimal(str(round_half_up(value, decimals=d))) == expected


@settings(max_examples=300, deadline=None)
@given(
    x=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    rule=st.sampled_from([{"base": 5}, {"base": 10}, {"base": 100}, {"decimals": 0}, {"decimals": 1}, {"decimals": 2}]),
)
def test_round_half_up_is_idempotent_and_close(x, rule):
    once = round_half_up(x, **rule)
    assert round_half_up(once, **rule) == once
    step = rule.get("base", 10 ** -rule.get("decimals", 0))
    assert abs(once - x) <= step / 2 + 1e-9 * max(1.0, abs(x))


MEASURES = [
    ("T1", "new_applications", "count"),
    ("T3", "fee_exemptions", "count"),
    ("T12", "complaints_received", "count"),
    ("T8", "outstanding_arrears", "gbp"),
    ("T5", "case_groups_contributing_share", "share"),
    ("T4", "mean_children_per_case", "mean"),
    ("DQ", "arrears_roll_forward_money_at_stake", "gbp"),
]


@settings(max_examples=300, deadline=None)
@given(x=st.floats(min_value=0, max_value=1e10, allow_nan=False), m=st.sampled_from(MEASURES))
def test_round_value_is_idempotent_in_the_published_unit(x, m):
    table, measure, unit = m
    if unit == "share":
        x = x / 1e10
    once = round_value(x, table, measure, unit, POLICY)
    published_unit = POLICY.published_unit(table, measure, unit)
    if isinstance(once, str):
        assert once in POLICY.all_symbols
        return
    assert round_value(once, table, measure, published_unit, POLICY) == once


def test_suppression_low_and_missing():
    c, x, low = POLICY.symbols["suppressed"], POLICY.symbols["not_available"], POLICY.symbols["low"]
    assert POLICY.threshold == 10
    for v in (1, 5, 9, 9.99):
        assert round_value(v, "T11", "appeals_received", "count", POLICY) == c
    assert round_value(0, "T11", "appeals_received", "count", POLICY) == 0  # a true zero is not disclosive
    assert round_value(10, "T11", "appeals_received", "count", POLICY) == 10
    assert round_value(12, "T12", "complaints_received", "count", POLICY) == 10
    assert round_value(30, "T1", "total_intake", "count", POLICY) == low  # positive, rounds to 0 at base 100
    assert round_value(float("nan"), "T1", "total_intake", "count", POLICY) == x
    assert round_value(None, "T8", "outstanding_arrears", "gbp", POLICY) == x
    # shares and money are never suppressed by the count threshold
    assert round_value(0.05, "T14", "accuracy_share", "share", POLICY) == 5
    assert round_value(5.0, "T8", "outstanding_arrears", "gbp", POLICY) == 0.0


def test_policy_is_data_not_code(tmp_path):
    resources = Path(__file__).resolve().parents[1] / "src/cms_stats/resources"
    changed = tmp_path / "policy.yaml"
    changed.write_text((resources / "rounding_policy.yaml").read_text().replace("threshold: 10", "threshold: 20"))
    # a table's base is said once, in the registry: T2 declares count_base 100 and the note
    # that says so; both change together or the registry refuses to load
    text = (resources / "tables.yaml").read_text()
    t2 = text.index("  T2:")
    t2_end = text.index("  T3:")
    block = text[t2:t2_end].replace("count_base: 100", "count_base: 1000").replace(
        "rounding_counts_100", "experimental")
    registry_file = tmp_path / "tables.yaml"
    registry_file.write_text(text[:t2] + block + text[t2_end:])
    other = load_policy(changed, registry=load_registry(registry_file))
    assert round_value(338_861, "T2", "caseload", "count", other) == 339_000
    assert round_value(15, "T11", "appeals_received", "count", other) == "[c]"
    assert round_value(338_861, "T2", "caseload", "count", POLICY) == 338_900
    broken = tmp_path / "broken.yaml"
    broken.write_text("symbols: {}\n")
    with pytest.raises(PolicyError, match="missing section"):
        load_policy(broken)


def test_to_number():
    assert to_number("21400") == 21400 and isinstance(to_number("21400"), int)
    assert to_number("77.5") == 77.5
    assert to_number("[c]") is None


# -- the published tidy frame ------------------------------------------------------------
def test_publish_tidy_hand_worked():
    measures = tidy(
        [
            ("T1", "2014-06", "new_applications", "all", 1_234.0, "count"),
            ("T1", "2014-07", "new_applications", "all", 5.0, "count"),
            ("T1", "2014-07", "arrears_only_applications", "all", 40.0, "count"),
            ("T1", "2014-06", "duplicate_new_applications_removed", "all", 35.0, "count"),
            ("T3", "2014-06", "fee_exemption_share", "all", 0.31, "share"),  # before fees: [z]
            ("T3", "2014-07", "fee_exemption_share", "all", 0.325, "share"),
            ("T8", "2014-07", "outstanding_arrears", "all", 1_050_000.0, "gbp"),
            ("T9", "2014-06", "changes_of_circumstances_received", "all", 5_049.0, "count"),
            ("DQ", "2014-07", "quarantined_rows", "events/payments.parquet: unknown case", 3.0, "count"),
        ]
    )
    got = publish_tidy(measures, POLICY)
    expected = tidy(
        [
            ("T1", "2014-06", "new_applications", "all", "1200", "count"),
            ("T1", "2014-06", "arrears_only_applications", "all", "[z]", "count"),  # before 2014-12
            ("T1", "2014-06", "duplicate_new_applications_removed", "all", "40", "count"),
            ("T1", "2014-07", "new_applications", "all", "[c]", "count"),
            ("T1", "2014-07", "arrears_only_applications", "all", "[z]", "count"),
            ("T1", "2014-07", "duplicate_new_applications_removed", "all", "[x]", "count"),
            ("T3", "2014-06", "fee_exemption_share", "all", "[z]", "percent"),
            # 32.5% would round to 33, but its denominator (T1 new applications) is [c]: a
            # share of a suppressed figure is never published
            ("T3", "2014-07", "fee_exemption_share", "all", "[c]", "percent"),
            ("T8", "2014-06", "outstanding_arrears", "all", "[x]", "gbp_million"),
            ("T8", "2014-07", "outstanding_arrears", "all", "1.1", "gbp_million"),
            ("T9", "2014-06", "changes_of_circumstances_received", "all", "5000", "count"),
            ("T9", "2014-07", "changes_of_circumstances_received", "all", "[x]", "count"),  # latest month
            ("DQ", "2014-07", "quarantined_rows", "events/payments.parquet: unknown case", "[c]", "count"),
        ]
    ).astype(str)
    pd.testing.assert_frame_equal(got, expected)
    # does not modify its input (copy-on-write, but check anyway)
    assert measures["value"].iloc[0] == 1_234.0


def test_publish_tidy_rejects_duplicates():
    measures = tidy([("T1", "2014-06", "new_applications", "all", 1.0, "count")] * 2)
    with pytest.raises(ValueError, match="duplicate"):
        publish_tidy(measures, POLICY)


def test_shares_come_from_unrounded_values():
    # 149 of 451 = 33.0%; from rounded counts it would be 100/500 = 20% or 150/450 = 33.3%
    measures = tidy(
        [
            ("T14", "2016-08", "accuracy_checks", "all", 451.0, "count"),
            ("T14", "2016-08", "accurate_checks", "all", 149.0, "count"),
            ("T14", "2016-08", "accuracy_share", "all", 149 / 451, "share"),
        ]
    )
    got = publish_tidy(measures, POLICY).set_index("measure")["value"]
    assert got.to_dict() == {"accuracy_checks": "450", "accurate_checks": "150", "accuracy_share": "33"}


def test_publication_tables_wide_readable():
    measures = tidy(
        [
            ("T2", "2016-07", "caseload", "new_application", 250_049.0, "count"),
            ("T2", "2016-07", "caseload", "arrears_only", 40_000.0, "count"),
            ("T2", "2016-07", "caseload", "all", 290_049.0, "count"),
            ("T2", "2016-08", "caseload", "all", 338_861.0, "count"),
            ("T2", "2016-08", "caseload", "new_application", 288_861.0, "count"),
            ("T2", "2016-08", "caseload", "arrears_only", 50_000.0, "count"),
        ]
    )
    tables = publication_tables(measures, POLICY)
    t2 = tables["T2"]
    expected = pd.DataFrame(
        {
            "Month end": ["2016-07", "2016-08"],
            "Caseload: new applications (number)": pd.Series([250_000, 288_900], dtype=object),
            "Caseload: arrears only (number)": pd.Series([40_000, 50_000], dtype=object),
            "Caseload: total (number)": pd.Series([290_000, 338_900], dtype=object),
        }
    )
    pd.testing.assert_frame_equal(t2, expected, check_dtype=False)
    assert t2.attrs["columns"]["Caseload: total (number)"] == {
        "measure": "caseload", "breakdown": "all", "unit": "count", "decimals": 0,
    }
    # an already published frame gives the same tables
    again = publication_tables(publish_tidy(measures, POLICY), POLICY)["T2"]
    pd.testing.assert_frame_equal(again, t2)


def test_every_measure_has_metadata_and_a_rounding_rule():
    for table, cfg in META["tables"].items():
        assert cfg["title"] and cfg["description"]
        for name, m in cfg["measures"].items():
            assert m["label"] and m["description"] and m["unit"] in {"count", "gbp", "share", "mean"}, name
            POLICY.unit_rule(table, name, m["unit"])  # every measure has a rounding rule
