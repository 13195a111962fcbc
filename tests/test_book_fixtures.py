"""A small hand-made tidy measures frame for the book tests (names as in DESIGN.md).

The August 2016 and May 2016 values are set so that the published figures are the 2016-08
edition's (caseload 338,900, +19%; arrears £77.5m, +22%; ...); other months are interpolated.
Imported by the other ``test_book_*`` modules (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cms_stats import areas

MONTHS = [f"2015-{m:02d}" for m in range(8, 13)] + [f"2016-{m:02d}" for m in range(1, 9)]
PERIOD = "2016-08"


def _path(points: dict[str, float], months=MONTHS) -> dict[str, float]:
    """Linear interpolation between the given months (by position); flat outside them."""
    known = sorted((months.index(m), v) for m, v in points.items())
    xs, ys = zip(*known)
    return {m: float(np.interp(i, xs, ys)) for i, m in enumerate(months)}


def book_measures() -> pd.DataFrame:
    region_of = dict(zip(areas.constituencies()["constituency_code"], areas.constituencies()["region"]))
    country_of = dict(zip(areas.constituencies()["constituency_code"], areas.constituencies()["country"]))
    rows: list[tuple] = []

    def add(table, measure, points, unit, breakdown="all", months=MONTHS):
        for month, value in _path(points, months).items():
            rows.append((table, month, measure, breakdown, value, unit))

    # T1 intake: total 21,400 in Aug 2016, 20,797 in May (+2.9%).
    add("T1", "new_applications", {"2015-08": 9_000, "2016-05": 10_797, "2016-08": 11_400}, "count")
    add("T1", "arrears_only_applications", {"2015-08": 4_000, "2016-05": 10_000, "2016-08": 10_000}, "count")
    total = {m: a + b for (m, a), b in zip(
        _path({"2015-08": 9_000, "2016-05": 10_797, "2016-08": 11_400}).items(),
        _path({"2015-08": 4_000, "2016-05": 10_000, "2016-08": 10_000}).values())}
    add("T1", "total_intake", total, "count")
    add("T1", "duplicate_new_applications_removed", {"2015-08": 240, "2016-08": 312}, "count")
    # T2 caseload: 338,900 in Aug, 284,790 in May (+19.0%).
    add("T2", "caseload", {"2015-08": 180_000, "2016-05": 284_790, "2016-08": 338_900}, "count")
    add("T2", "caseload", {"2015-08": 150_000, "2016-05": 220_000, "2016-08": 250_000}, "count", "new_application")
    add("T2", "caseload", {"2015-08": 30_000, "2016-05": 64_790, "2016-08": 88_900}, "count", "arrears_only")
    # T3 fee exemptions.
    add("T3", "fee_paying_applications", {"2015-08": 6_200, "2016-08": 7_180}, "count")
    add("T3", "fee_exemptions", {"2015-08": 2_800, "2016-08": 3_540}, "count")
    add("T3", "fee_exemptions", {"2015-08": 2_760, "2016-08": 3_500}, "count", "domestic_violence")
    add("T3", "fee_exemptions", {"2015-08": 40, "2016-08": 40}, "count", "under_19")
    add("T3", "fee_exemption_share", {"2015-08": 0.30, "2016-08": 0.33}, "share")
    # T4 children benefiting: 281,100 (272,000 to 290,200) in Aug, 250,000 in May (+12%).
    add("T4", "cases_paying", {"2015-08": 120_000, "2016-08": 186_160}, "count")
    add("T4", "mean_children_per_case", {"2015-08": 1.51, "2016-08": 1.51}, "mean", "estimate")
    add("T4", "mean_children_per_case", {"2015-08": 1.461, "2016-08": 1.461}, "mean", "lower_95")
    add("T4", "mean_children_per_case", {"2015-08": 1.559, "2016-08": 1.559}, "mean", "upper_95")
    add("T4", "children_benefiting", {"2015-08": 180_000, "2016-05": 250_000, "2016-08": 281_100}, "count", "estimate")
    add("T4", "children_benefiting", {"2015-08": 174_000, "2016-05": 242_000, "2016-08": 272_000}, "count", "lower_95")
    add("T4", "children_benefiting", {"2015-08": 186_000, "2016-05": 258_000, "2016-08": 290_200}, "count", "upper_95")
    add("T4", "sample_size", {"2015-08": 1_100, "2016-08": 1_100}, "count")
    add("T4", "sample_population", {"2015-08": 100_000, "2016-08": 150_000}, "count")
    # T5, T6 compliance: 88% both quarters; 89% of cash paid.
    add("T5", "case_groups_with_current_liability", {"2015-08": 100_000, "2016-08": 150_000}, "count")
    add("T5", "case_groups_contributing", {"2015-08": 88_000, "2016-08": 132_000}, "count")
    add("T5", "case_groups_contributing_share", {"2015-08": 0.881, "2016-05": 0.882, "2016-08": 0.879}, "share")
    add("T6", "cash_due", {"2015-08": 60e6, "2016-08": 90e6}, "gbp")
    add("T6", "cash_paid", {"2015-08": 53.4e6, "2016-08": 80.1e6}, "gbp")
    add("T6", "cash_paid_share", {"2015-08": 0.89, "2016-08": 0.89}, "share")
    # T7 service type: 70% Direct Pay.
    add("T7", "cases_due_to_pay", {"2015-08": 100_000, "2016-08": 140_000}, "count", "direct_pay")
    add("T7", "cases_due_to_pay", {"2015-08": 45_000, "2016-08": 60_000}, "count", "collect_and_pay")
    add("T7", "cases_due_to_pay", {"2015-08": 145_000, "2016-08": 200_000}, "count")
    add("T7", "direct_pay_share", {"2015-08": 100 / 145, "2016-08": 0.70}, "share")
    # T15 transfers in Aug 2016: 2,987 to Collect and Pay, 3,672 to Direct Pay (6,659 of the
    # 200,000 cases due to pay: 3.3%), published to the nearest 10: 2,990, 3,670 and 6,660.
    add("T15", "service_type_transfers", {"2015-08": 2_000, "2016-08": 2_987}, "count",
        "direct_pay_to_collect_and_pay")
    add("T15", "service_type_transfers", {"2015-08": 2_500, "2016-08": 3_672}, "count",
        "collect_and_pay_to_direct_pay")
    add("T15", "service_type_transfers", {"2015-08": 4_500, "2016-08": 6_659}, "count")
    add("T15", "service_type_transfers_share", {"2015-08": 4_500 / 145_000, "2016-08": 6_659 / 200_000},
        "share")
    # T16 clearances in Aug 2016: 10,306 cleared (9,649 with a calculation, 657 closed without):
    # 6,584 within 6 weeks (64%), 9,062 within 12 (88%), 10,131 within 26 (98%), median 32 days;
    # 14,661 uncleared at the end of August (8,956 + 3,252 + 1,691 + 762), 13,936 at the end of
    # May (+5.2%). Counts to the nearest 10: 10,310, 9,650, 660; 14,660, 8,960 and 760.
    cleared = {"calculation_made": 9_649, "closed_without_calculation": 657, "all": 10_306}
    for b, v in cleared.items():
        add("T16", "applications_cleared", {"2015-08": v * 0.7, "2016-08": v}, "count", b)
    uncleared = {"under_6_weeks": (5_600, 8_420, 8_956), "6_to_12_weeks": (2_000, 3_100, 3_252),
                 "12_to_26_weeks": (900, 1_660, 1_691), "26_weeks_or_more": (500, 756, 762)}
    for b, (a, may, aug) in uncleared.items():
        add("T16", "applications_uncleared", {"2015-08": a, "2016-05": may, "2016-08": aug}, "count", b)
    add("T16", "applications_uncleared", {"2015-08": 9_000, "2016-05": 13_936, "2016-08": 14_661}, "count")
    for weeks, v in ((6, 6_584), (12, 9_062), (26, 10_131)):
        add("T16", f"applications_cleared_within_{weeks}_weeks", {"2015-08": v * 0.7, "2016-08": v}, "count")
        add("T16", f"cleared_within_{weeks}_weeks_share", {"2015-08": v / 10_306, "2016-08": v / 10_306},
            "share")
    add("T16", "median_days_to_clear", {"2015-08": 30.0, "2016-08": 32.0}, "mean")
    # T17 closures in Aug 2016: 2,228 (436 family-based arrangement, 199 child left qualifying
    # age, 617 applicant withdrew, 646 no further liability, 330 other), 0.7% of the 320,863
    # cases at the end of July (T2 above); published 2,230, 440, 200, 620, 650, 330 and 0.7%.
    reasons = {"family_based_arrangement": 436, "child_leaves_qualifying_age": 199,
               "applicant_withdraws": 617, "no_further_liability": 646, "other": 330}
    for b, v in reasons.items():
        add("T17", "cases_closed_by_reason", {"2015-08": v // 2, "2016-08": v}, "count", b)
    add("T17", "cases_closed", {"2015-08": 1_114, "2016-08": 2_228}, "count")
    add("T17", "closures_share", {"2015-08": 1_114 / 170_000, "2016-08": 2_228 / 320_863}, "share")
    # T18 shared care at the end of Aug 2016: 24,031 of the 200,000 cases due to pay (12.0%):
    # 13,952 / 6,341 / 2,287 / 1,451 by band, published to the nearest 10.
    for band, points in (("nights_52_to_103", {"2015-08": 8_000, "2016-08": 13_952}),
                         ("nights_104_to_155", {"2015-08": 3_600, "2016-08": 6_341}),
                         ("nights_156_to_174", {"2015-08": 1_300, "2016-08": 2_287}),
                         ("nights_175_or_more", {"2015-08": 800, "2016-08": 1_451})):
        add("T18", "shared_care_cases", points, "count", band)
    add("T18", "shared_care_cases", {"2015-08": 13_700, "2016-08": 24_031}, "count")
    add("T18", "cases_due_to_pay", {"2015-08": 145_000, "2016-08": 200_000}, "count")
    add("T18", "shared_care_share", {"2015-08": 13_700 / 145_000, "2016-08": 24_031 / 200_000},
        "share")
    # T19 enforcement in Aug 2016: 15,272 cases of the 338,900 caseload (4.5%); 2,932 actions
    # started, 1 committal to prison (published [c]), to the nearest 10.
    add("T19", "cases_in_enforcement", {"2015-08": 8_000, "2016-08": 15_272}, "count")
    add("T19", "cases_in_enforcement_share", {"2015-08": 8_000 / 180_000, "2016-08": 15_272 / 338_900},
        "share")
    for kind, points in (("deduction_from_earnings_order", {"2015-08": 1_100, "2016-08": 1_644}),
                         ("regular_deduction_order", {"2015-08": 200, "2016-08": 268}),
                         ("lump_sum_deduction_order", {"2015-08": 150, "2016-08": 250}),
                         ("liability_order", {"2015-08": 450, "2016-08": 633}),
                         ("charging_order_or_order_for_sale", {"2015-08": 60, "2016-08": 104}),
                         ("disqualification", {"2015-08": 25, "2016-08": 32}),
                         ("committal_to_prison", {"2015-08": 2, "2016-08": 1})):
        add("T19", "enforcement_actions_started", points, "count", kind)
    add("T19", "enforcement_actions_started", {"2015-08": 1_987, "2016-08": 2_932}, "count")
    # T20 legacy CSA arrears at the end of Aug 2016: £529.4m (£450.7m on 79,516 arrears only
    # cases, £78.6m on 14,039 new application cases) in 92,949 case groups.
    for origin, money, cases, groups in (
            ("arrears_only", {"2015-08": 150e6, "2016-08": 450_719_222.1}, {"2015-08": 25_000, "2016-08": 79_516},
             {"2015-08": 24_900, "2016-08": 79_081}),
            ("new_application", {"2015-08": 40e6, "2016-08": 78_632_083.27}, {"2015-08": 7_000, "2016-08": 14_039},
             {"2015-08": 6_990, "2016-08": 14_000})):
        add("T20", "legacy_csa_arrears", money, "gbp", origin)
        add("T20", "cases_with_legacy_csa_arrears", cases, "count", origin)
        add("T20", "case_groups_with_legacy_csa_arrears", groups, "count", origin)
    add("T20", "legacy_csa_arrears", {"2015-08": 190e6, "2016-08": 529_351_305.37}, "gbp")
    add("T20", "cases_with_legacy_csa_arrears", {"2015-08": 32_000, "2016-08": 93_555}, "count")
    add("T20", "case_groups_with_legacy_csa_arrears", {"2015-08": 31_850, "2016-08": 92_949}, "count")
    # T8 arrears: £77.5m in Aug, 22% above May; liability £594.9m.
    arrears = _path({"2015-08": 30e6, "2016-05": 63_534_709.0, "2016-08": 77_512_345.0})
    liability = _path({"2015-08": 250e6, "2016-05": 480e6, "2016-08": 594_912_345.0})
    add("T8", "outstanding_arrears", arrears, "gbp")
    add("T8", "total_maintenance_liability", liability, "gbp")
    # Its Direct Pay part (£400m in Aug 2016) drives the Direct Pay sensitivity.
    direct_pay = _path({"2015-08": 150e6, "2016-08": 400e6})
    add("T8", "total_maintenance_liability", direct_pay, "gbp", "direct_pay")
    add("T8", "total_maintenance_liability", {m: liability[m] - direct_pay[m] for m in MONTHS},
        "gbp", "collect_and_pay")
    add("T8", "arrears_share_of_liability", {m: arrears[m] / liability[m] for m in MONTHS}, "share")
    add("T8", "proxy_amount_collected", {m: liability[m] - arrears[m] for m in MONTHS}, "gbp")
    add("T8", "case_groups_with_arrears", {"2015-08": 50_000, "2016-08": 93_500}, "count")
    # T9 changes of circumstances, published to July 2016: 166,200 received (highest), 81%
    # cleared within 28 days against 88% in April 2016.
    t9 = MONTHS[:-1]
    add("T9", "changes_of_circumstances_received", {"2015-08": 100_000, "2016-04": 151_800, "2016-07": 166_200}, "count", months=t9)
    add("T9", "changes_of_circumstances_cleared", {"2015-08": 95_000, "2016-07": 150_000}, "count", months=t9)
    add("T9", "changes_of_circumstances_outstanding", {"2015-08": 20_000, "2016-07": 40_000}, "count", months=t9)
    add("T9", "changes_of_circumstances_cleared_within_28_days", {"2015-08": 90_000, "2016-04": 133_584, "2016-07": 134_622}, "count", months=t9)
    add("T9", "cleared_within_28_days_share", {"2015-08": 0.90, "2016-04": 0.88, "2016-07": 0.81}, "share", months=t9)
    # T10 mandatory reconsiderations.
    add("T10", "mandatory_reconsiderations_received", {"2015-08": 1_000, "2016-08": 1_520}, "count")
    add("T10", "mandatory_reconsiderations_cleared", {"2015-08": 900, "2016-08": 1_310}, "count")
    add("T10", "mandatory_reconsiderations_revised", {"2015-08": 300, "2016-08": 400}, "count")
    add("T10", "mandatory_reconsiderations_not_revised", {"2015-08": 600, "2016-08": 910}, "count")
    add("T10", "mandatory_reconsiderations_cleared_within_20_days", {"2015-08": 720, "2016-08": 1_087}, "count")
    add("T10", "cleared_within_20_days_share", {"2015-08": 0.80, "2016-05": 0.82, "2016-08": 0.83}, "share")
    # T11 appeals, T12 complaints.
    add("T11", "appeals_received", {"2015-08": 80, "2016-08": 140}, "count")
    add("T11", "appeals_cleared", {"2015-08": 30, "2016-08": 50}, "count", "tribunal_outcome")
    add("T11", "appeals_cleared", {"2015-08": 10, "2016-08": 20}, "count", "cms_outcome")
    add("T11", "appeals_cleared", {"2015-08": 40, "2016-08": 70}, "count")
    add("T12", "complaints_received", {"2015-08": 200, "2016-08": 255}, "count")
    add("T12", "complaints_received", {"2015-08": 180, "2016-08": 230}, "count", "resolution")
    add("T12", "complaints_received", {"2015-08": 20, "2016-08": 25}, "count", "review")
    add("T12", "complaints_received_scheme_to_date", {"2015-08": 5_000, "2016-08": 8_000}, "count")
    # T13 telephony: 98% answered, 86% within 30 seconds.
    add("T13", "calls_received", {"2015-08": 300_000, "2016-08": 400_000}, "count")
    add("T13", "calls_answered", {"2015-08": 294_000, "2016-08": 392_000}, "count")
    add("T13", "calls_answered_within_30_seconds", {"2015-08": 270_000, "2016-08": 344_000}, "count")
    add("T13", "calls_answered_share", {"2015-08": 0.98, "2016-08": 0.98}, "share")
    add("T13", "calls_answered_within_30_seconds_share", {"2015-08": 0.90, "2016-08": 0.86}, "share")
    # T14 accuracy: 100% in Aug, 95% in May.
    add("T14", "accuracy_checks", {"2015-08": 200, "2016-08": 210}, "count")
    add("T14", "accurate_checks", {"2015-08": 190, "2016-05": 190, "2016-08": 210}, "count")
    add("T14", "accuracy_share", {"2015-08": 0.95, "2016-05": 0.95, "2016-08": 1.0}, "share")
    # T22 caseload by constituency at the period: a two-hundredth of each one's population,
    # but Aldershot 4 ([c]) and Aldridge-Brownhills 2,000 (258 per 10,000 residents, the most);
    # T21 caseload by area: their sums (London 44,086; the constituencies 321,225), not known
    # 17,675 so that Great Britain is T2's caseload, 338,900.
    c = areas.constituencies()
    t22 = {code: float(p // 200) for code, p in zip(c["constituency_code"], c["population"])}
    t22 |= {"E14000530": 4.0, "E14000531": 2_000.0}
    rows.extend(("T22", PERIOD, "caseload", code.lower(), v, "count") for code, v in t22.items())
    area = {k: sum(v for code, v in t22.items() if k in (region_of[code], country_of[code]))
            for k in areas.area_breakdowns()} | {"not_known": 338_900 - sum(t22.values()),
                                                 "all": 338_900.0}
    rows.extend(("T21", PERIOD, "caseload", k, v, "count") for k, v in area.items())
    # DQ
    rows.append(("DQ", PERIOD, "duplicate_new_applications_removed", "all", 3_512.0, "count"))
    rows.append(("DQ", PERIOD, "quarantined_rows", "events/payments.parquet: payment for a case never seen in a snapshot", 42.0, "count"))
    rows.append(("DQ", PERIOD, "quarantined_rows", "events/applications.parquet: event dated before the scheme start", 7.0, "count"))
    rows.append(("DQ", PERIOD, "arrears_roll_forward_failures", "all", 57.0, "count"))
    rows.append(("DQ", PERIOD, "arrears_roll_forward_money_at_stake", "all", 123_456.78, "gbp"))
    rows.append(("DQ", PERIOD, "cases_closed_with_arrears", "all", 497.0, "count"))
    rows.append(("DQ", PERIOD, "arrears_on_closed_cases", "all", 389_912.0, "gbp"))
    frame = pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"])
    return frame.astype({"value": "float64"})


def test_fixture_is_tidy_and_unique():
    frame = book_measures()
    assert list(frame.columns) == ["table", "period", "measure", "breakdown", "value", "unit"]
    assert not frame.duplicated(["table", "period", "measure", "breakdown"]).any()
    assert set(frame["unit"]) <= {"count", "gbp", "share", "mean"}
