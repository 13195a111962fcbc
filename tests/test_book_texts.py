"""The chapters' glued texts on small hand-made frames, with the sentences worked out by hand.

Published figures go through the real publication policy (counts to the table's base, shares to
whole percent, counts under 10 as ``[c]``); changes are computed from the unrounded values.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cms_stats.book import texts
from cms_stats.book.chapter import Chapter
from cms_stats.book.values import is_highest_ever
from cms_stats.months import months_between
from cms_stats.publish.policy import load_policy
from cms_stats.publish.rounding import publish_tidy
from test_book_fixtures import PERIOD, book_measures

COLUMNS = ["table", "period", "measure", "breakdown", "value", "unit"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows ``(table, measure, breakdown, unit, {month: value}, default, months)``: every month
    of ``months`` has ``default`` unless the dict gives its value."""
    out = []
    for table, measure, breakdown, unit, values, default, months in rows:
        out += [(table, m, measure, breakdown, float(values.get(m, default)), unit) for m in months]
    return pd.DataFrame(out, columns=COLUMNS).astype({"value": "float64"})


def chapter(measures: pd.DataFrame, period: str, extract: dict | None = None) -> Chapter:
    policy = load_policy()
    validation = {"rows_in": {"events/payments.parquet": 1_000, "mi/appeals.xlsx": 40},
                  "rows_used": {"events/payments.parquet": 958, "mi/appeals.xlsx": 40},
                  "rows_quarantined": {"events/payments.parquet": 42}}
    return Chapter(period=period, data_dir=Path("data"), work_dir=Path("work"), measures=measures,
                   published=publish_tidy(measures, policy), validation=validation,
                   extract=extract or {"source": "synthetic", "first_month": measures["period"].min()},
                   revisions=None, policy=policy)


# Feb to Aug 2016; the period is August 2016 and the quarter compares with May 2016.
LATE = months_between("2016-02", "2016-08")
COMMON_2016_08 = {
    "period_label": "August 2016",
    "period_month": "August",
    "period_year": "2016",
    "compare_label": "May 2016",
    "first_label": "February 2016",
    "recent_from_label": "August 2015",  # 13 months of table: August 2015 to August 2016
}


def test_caseload_increase_and_no_year_ago_figure():
    # 200,000 in May, 250,000 in August: +25%. No August 2015 figure: no comparison.
    ch = chapter(frame([
        ("T2", "caseload", "all", "count", {"2016-05": 200_000, "2016-08": 250_000}, 190_000, LATE),
        ("T2", "caseload", "new_application", "count", {"2016-08": 150_000}, 120_000, LATE),
        ("T2", "caseload", "arrears_only", "count", {"2016-08": 100_000}, 70_000, LATE),
        # T17: 1,000 closed in August, 0.53% of July's 190,000; 4 when the applicant withdrew:
        # a small count, [c], so the reasons are not quoted
        ("T17", "cases_closed", "all", "count", {}, 1_000, LATE),
        ("T17", "closures_share", "all", "share", {}, 1_000 / 190_000, LATE),
        *[("T17", "cases_closed_by_reason", b, "count", {}, v, LATE) for b, v in (
            ("family_based_arrangement", 300), ("child_leaves_qualifying_age", 296),
            ("applicant_withdraws", 4), ("no_further_liability", 300), ("other", 100))],
    ]), "2016-08")
    assert texts.caseload(ch) == COMMON_2016_08 | {
        "caseload_latest": "250,000",
        "caseload_new": "150,000",
        "caseload_arrears_only": "100,000",
        "caseload_change": "an increase of 25% from May 2016",
        "caseload_year_change": "no comparison with August 2015 is available",
        "caseload_arrears_only_share": "40%",  # 100,000 of 250,000
        "caseload_closures_findings": (
            "In August 2016, 1,000 cases closed, 0.5% of the caseload at the end of July 2016; "
            "the split by reason is not shown, to protect confidentiality ([c], see the notes)."),
    }


def test_intake_decrease_and_duplicates_in_the_quarter():
    # Total 20,000 in May, 15,000 in August: -25%. 100 duplicates removed in each of June, July
    # and August against 10,000 new applications kept a month: 300 of 30,300 = 0.99% -> 1%.
    ch = chapter(frame([
        ("T1", "total_intake", "all", "count", {"2016-05": 20_000}, 15_000, LATE),
        ("T1", "new_applications", "all", "count", {"2016-05": 14_000}, 10_000, LATE),
        ("T1", "arrears_only_applications", "all", "count", {"2016-05": 6_000}, 5_000, LATE),
        ("T1", "duplicate_new_applications_removed", "all", "count", {}, 100, LATE),
    ]), "2016-08")
    assert texts.intake(ch) == COMMON_2016_08 | {
        "intake_total": "15,000",
        "intake_new": "10,000",
        "intake_arrears_only": "5,000",
        "intake_change": "a decrease of 25% from May 2016",
        "intake_duplicates": "100",
        "intake_duplicates_quarter": "300",
        "intake_duplicates_quarter_share": "1%",
    }


def service_frame(july_received: float = 3_000) -> pd.DataFrame:
    to_july = months_between("2016-02", "2016-07")  # T9 is published to the month before
    return frame([
        ("T9", "changes_of_circumstances_received", "all", "count", {"2016-07": july_received}, 2_000, to_july),
        ("T9", "changes_of_circumstances_outstanding", "all", "count", {}, 1_500, to_july),
        ("T9", "cleared_within_28_days_share", "all", "share", {"2016-04": 0.90}, 0.85, to_july),
        ("T10", "mandatory_reconsiderations_received", "all", "count", {}, 500, LATE),
        ("T10", "mandatory_reconsiderations_cleared", "all", "count", {}, 400, LATE),
        ("T10", "mandatory_reconsiderations_revised", "all", "count", {}, 120, LATE),
        # 80% in May, 80.2% in August: under half a point, both shown as 80%: unchanged.
        ("T10", "cleared_within_20_days_share", "all", "share", {"2016-05": 0.80}, 0.802, LATE),
        ("T11", "appeals_received", "all", "count", {}, 60, LATE),
        ("T11", "appeals_cleared", "all", "count", {}, 54, LATE),
        ("T11", "appeals_cleared", "tribunal_outcome", "count", {}, 50, LATE),
        ("T11", "appeals_cleared", "cms_outcome", "count", {}, 4, LATE),  # under 10: [c]
        ("T12", "complaints_received", "all", "count", {}, 200, LATE),
        ("T12", "complaints_received_scheme_to_date", "all", "count", {"2016-08": 1_400}, 1_200, LATE),
        ("T13", "calls_received", "all", "count", {}, 300_000, LATE),
        ("T13", "calls_answered_share", "all", "share", {}, 0.95, LATE),
        ("T13", "calls_answered_within_30_seconds_share", "all", "share", {}, 0.80, LATE),
        ("T14", "accuracy_checks", "all", "count", {}, 200, LATE),
        ("T14", "accuracy_share", "all", "share", {"2016-05": 0.95}, 0.90, LATE),  # -5 points
    ])


def test_service_standards_sentences():
    got = texts.service_standards(chapter(service_frame(), "2016-08"))
    assert {k: got[k] for k in got if k not in COMMON_2016_08} == {
        "coc_findings": "Of the **3,000 changes of circumstances received** in July 2016 (the "
                        "highest monthly volume received so far), 85% were cleared within 28 "
                        "days. In April 2016, 2,000 were received and 90% were cleared within 28 "
                        "days. 1,500 were outstanding at the end of July 2016.",
        "coc_month_label": "July 2016",
        "coc_received": "3,000",
        "coc_share": "85%",
        "coc_outstanding": "1,500",
        "coc_compare_label": "April 2016",
        "coc_compare_received": "2,000",
        "coc_compare_share": "90%",
        "coc_highest": "the highest monthly volume received so far",
        "mr_received": "500",
        "mr_cleared": "400",
        "mr_revised": "120",
        "mr_share": "80%",
        "mr_share_change": "unchanged from 80% in May 2016",
        "appeals_received": "60",
        "appeals_cleared": "50",   # 54 to the nearest 10
        "appeals_tribunal": "50",
        "appeals_cms": "[c]",      # 4 appeals: suppressed, never shown
        "complaints_received": "200",
        "complaints_to_date": "1,400",
        "calls_received": "300,000",
        "calls_answered_share": "95%",
        "calls_30s_share": "80%",
        "accuracy_share": "90%",
        "accuracy_checks": "200",
        "accuracy_change": "down 5 percentage points from 95% in May 2016",
    }


def test_changes_of_circumstances_not_the_highest():
    # 1,900 in July against 2,000 in every earlier month.
    got = texts.service_standards(chapter(service_frame(july_received=1_900), "2016-08"))
    assert got["coc_highest"] == "not the highest monthly volume received so far"


def test_highest_ever_rule():
    s = pd.Series([2.0, 3.0, 3.0], index=["2016-05", "2016-06", "2016-07"])
    assert is_highest_ever(s, "2016-07")          # equal to the highest so far counts
    assert not is_highest_ever(s, "2016-05")
    assert not is_highest_ever(s, "2016-08")      # no figure for the month
    assert not is_highest_ever(s.iloc[:1], "2016-05")  # one month is no record


# An edition for May 2014: before fees (July 2014) and before service type (August 2014).
EARLY = months_between("2014-02", "2014-05")


def test_fee_exemptions_before_the_fee():
    got = texts.fee_exemptions(chapter(frame([
        ("T1", "total_intake", "all", "count", {}, 5_000, EARLY)]), "2014-05"))
    assert got["fees_first_label"] == "30 June 2014"
    assert got["fees_findings"] == (
        "Application fees were introduced on 30 June 2014. This edition covers the months to "
        "May 2014, before any fee was charged, so there are no fee-paying applications or "
        "exemptions to report.")
    assert "fees_share" not in got


def test_compliance_before_service_type():
    # Case groups contributing 60% -> 65% (+5 points); cash paid 70% in both quarters.
    ch = chapter(frame([
        ("T5", "case_groups_with_current_liability", "all", "count", {}, 20_000, EARLY),
        ("T5", "case_groups_contributing", "all", "count", {"2014-05": 13_000}, 12_000, EARLY),
        ("T5", "case_groups_contributing_share", "all", "share", {"2014-05": 0.65}, 0.60, EARLY),
        ("T6", "cash_due", "all", "gbp", {}, 2_000_000, EARLY),
        ("T6", "cash_paid", "all", "gbp", {}, 1_400_000, EARLY),
        ("T6", "cash_paid_share", "all", "share", {}, 0.70, EARLY),
    ]), "2014-05")
    got = texts.compliance(ch)
    assert {k: v for k, v in got.items() if k.startswith("compliance_")} == {
        "compliance_groups_share": "65%",
        "compliance_groups": "20,000",
        "compliance_groups_contributing": "13,000",
        "compliance_groups_change": "up 5 percentage points from 60% in the quarter to February 2014",
        "compliance_cash_share": "70%",
        "compliance_cash_due": "£2.0 million",
        "compliance_cash_paid": "£1.4 million",
        "compliance_cash_change": "unchanged from 70% in the quarter to February 2014",
        "compliance_quarter_label": "the quarter to May 2014",
        "compliance_findings": (
            "In the quarter to May 2014, **65% of case groups with a current liability were "
            "contributing** towards it (13,000 of 20,000), up 5 percentage points from 60% in "
            "the quarter to February 2014. 70% of the cash due was paid (£1.4 million of £2.0 "
            "million), unchanged from 70% in the quarter to February 2014."),
        "compliance_service_type_findings": (
            "Service type is published from August 2014, when collection charges began. This "
            "edition covers the months to May 2014, so there is no service type split to report."),
        # T15 is first published in the 2016-08 edition (registry first_edition): in the
        # 2014-05 edition it is absent, so there is no transfers sentence at all.
        "compliance_transfers_findings": "",
    }


def test_clearances_and_closures_before_their_first_edition():
    """T16 and T17 are first published in the 2016-08 edition: the 2014-05 edition's chapter
    says when, and the caseload chapter has no closures sentence (the section is absent)."""
    ch = chapter(frame([
        ("T1", "new_applications", "all", "count", {}, 5_000, EARLY),
        ("T2", "caseload", "all", "count", {}, 50_000, EARLY),
        ("T2", "caseload", "new_application", "count", {}, 50_000, EARLY),
        ("T2", "caseload", "arrears_only", "count", {}, 0, EARLY)]), "2014-05")
    got = texts.clearances(ch)
    assert got["clearances_intro"] == (
        "Applications cleared, uncleared and the time to clear them are published from the "
        "edition of August 2016. This edition covers the months to May 2014.")
    assert texts.caseload(ch)["caseload_closures_findings"] == ""


@pytest.fixture(scope="module")
def book_chapter():
    extract = {"source": "synthetic", "first_month": "2015-08", "last_month": "2016-08",
               "sample_months": ["2015-09", "2016-03"],
               "generator": {"name": "cms-stats synthetic", "version": "1", "seed": 2012, "scale": 1.0}}
    return chapter(book_measures(), PERIOD, extract)


@pytest.mark.parametrize("name", [*texts.CHAPTERS, "methodology_all"])
def test_every_chapter_texts_run_on_the_book_fixture(name, book_chapter):
    got = getattr(texts, name)(book_chapter)
    assert got["period_label"] == "August 2016"
    # "nan" as a word: a missing number printed (not "maintenance", nor "nationalarchives" in
    # the licence's URL)
    assert all(isinstance(v, str) and v and not re.search(r"\bnan\b", v.lower())
               for v in got.values())


def test_book_fixture_key_figures(book_chapter):
    # Worked in test_book_fixtures: arrears £77.5m (+22%), £594.9m liability, and the Direct
    # Pay sensitivity with D = £400m: 0.05 * 400 / 594.9 = 3.4 points; at 80% compliance
    # (77.5 + 0.2 * 400) / 594.9 = 26%. 166,200 changes received in July 2016, the highest.
    arrears = texts.arrears(book_chapter)
    assert arrears["arrears_latest"] == "£77.5 million"
    assert arrears["arrears_change"] == "an increase of 22% from May 2016"
    assert arrears["arrears_liability"] == "£594.9 million"
    assert arrears["arrears_sensitivity_step"] == "3.4 percentage point"
    assert (arrears["arrears_sensitivity_low_compliance"],
            arrears["arrears_sensitivity_low_share"]) == ("80%", "26%")
    # 6,659 transfers of 200,000 cases due to pay (3.3%), counts to the nearest 10.
    assert texts.compliance(book_chapter)["compliance_transfers_findings"] == (
        "In August 2016, 6,660 cases changed service type (3% of cases due to pay): 2,990 moved "
        "from Direct Pay to Collect and Pay and 3,670 from Collect and Pay to Direct Pay.")
    # T16, T17: worked in test_book_fixtures (counts to the nearest 10, closures share 0.7%).
    clearances = texts.clearances(book_chapter)
    assert clearances["clearances_findings"] == (
        "In August 2016, 10,310 new applications were cleared: 9,650 with a maintenance "
        "calculation made and 660 closed without a calculation. At the end of August 2016, "
        "14,660 new applications were uncleared, an increase of 5.2% from May 2016: 8,960 had "
        "been waiting under 6 weeks and 760 for 26 weeks or more.")
    assert clearances["clearances_time_findings"] == (
        "Of the new applications cleared in August 2016, 64% were cleared within 6 weeks, 88% "
        "within 12 weeks and 98% within 26 weeks. The median time to clear was 32.0 days.")
    assert texts.caseload(book_chapter)["caseload_closures_findings"] == (
        "In August 2016, 2,230 cases closed, 0.7% of the caseload at the end of July 2016: 620 "
        "because the applicant withdrew, 650 with no further liability and 440 after the parents "
        "made a family-based arrangement.")
    service = texts.service_standards(book_chapter)
    assert (service["coc_received"], service["coc_highest"]) == (
        "166,200", "the highest monthly volume received so far")
    assert texts.children(book_chapter)["children_sample_label"] == "March 2016"
    assert texts.about(book_chapter)["about_seed"] == "2012"


def test_a_chapter_imports_only_its_own_texts():
    code = ("import sys, cms_stats.book as book; book.texts.caseload; "
            "print(sorted(m for m in sys.modules if m.startswith('cms_stats.book.texts.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['cms_stats.book.texts.caseload', 'cms_stats.book.texts.shared']"


def test_children_fees_about_and_methodology_on_the_book_fixture(book_chapter):
    """Worked from the fixture (test_book_fixtures): values between the given months are linear
    in the month's position, and the latest sample is March 2016 (7 months after August 2015)."""
    children = texts.children(book_chapter)
    # 281,100 against 250,000 in May: +12.4%; cases paying 186,160 to the nearest 100.
    assert (children["children_estimate"], children["children_lower"], children["children_upper"]) == (
        "281,100", "272,000", "290,200")
    assert children["children_change"] == "an increase of 12% from the quarter to May 2016"
    assert children["children_cases_paying"] == "186,200"
    assert (children["children_mean"], children["children_mean_lower"], children["children_mean_upper"]) == (
        "1.51", "1.46", "1.56")
    # n = 1,100 of N = 100,000 + 50,000 * 7/12 = 129,167 cases in March 2016: 0.85%, shown as 1%.
    assert (children["children_sample_size"], children["children_sample_fraction"]) == ("1,100", "1%")
    # The interval at the sample month: 174,000 + 68,000 * 7/9 and 186,000 + 72,000 * 7/9.
    assert (children["children_sample_lower"], children["children_sample_upper"]) == ("226,900", "242,000")

    fees = texts.fee_exemptions(book_chapter)
    # 33% in August against 30% + 3% * 9/12 = 32.25% in May: up 0.75 points, shown as 1.
    assert fees["fees_share_change"] == "up 1 percentage point from 32% in May 2016"
    assert fees["fees_findings"] == (
        "In August 2016 there were 3,540 exemptions from the application fee, 33% of new "
        "applications, up 1 percentage point from 32% in May 2016. 3,500 were for domestic "
        "violence and 40 for applicants under nineteen; 7,180 applications paid the fee. Over the "
        "months shown in the table below, the share of new applications exempt ranged from 30% to "
        "33%.")

    about = texts.about(book_chapter)
    assert (about["about_source"], about["about_seed"], about["about_scale"], about["about_period"]) == (
        "synthetic", "2012", "1.0", "2016-08")

    method = texts.methodology(book_chapter)
    # validation.json of the fixture chapter: 1,000 + 40 rows in, 958 + 40 used, 42 quarantined,
    # each to the nearest 10 (the DQ base); two files.
    assert (method["dq_rows_in"], method["dq_rows_used"], method["dq_rows_quarantined"],
            method["dq_files"]) == ("1,040", "1,000", "40", "2")
    # The policy: counts under 10 suppressed, 5% revisions rule, appeals (T11) always revised,
    # count bases as declared in the registry, largest first.
    assert (method["method_suppression_threshold"], method["method_revision_threshold"],
            method["method_always_revise"], method["method_count_bases"]) == ("10", "5%", "T11", "100, 10, 5")
    assert method["dq_revisions"] == "no"


def test_a_small_quarantine_reason_withholds_its_files_rows_used_and_quarantined(book_chapter):
    """42 rows quarantined from payments: 39 for one reason and 3 for another. The 3 is [c] in
    the data-quality table, so neither the file's quarantined total (42 -> 40, less 39 -> 40)
    nor its rows used (rows in less used) may be shown. Another file, whose one reason is
    large, shows its figures, the same as the by-reason table (the 2016-08 book hid a file's
    260 quarantined rows that its by-reason table and DQ.csv published). Each reason is shown
    as the data-quality table publishes it: a figure its protection withholds, though large,
    withholds its file too. The prose's total is the table's total."""
    import dataclasses

    validation = {
        **book_chapter.validation,
        "rows_in": {**book_chapter.validation["rows_in"], "events/service_requests.parquet": 600},
        "rows_used": {**book_chapter.validation["rows_used"],
                      "events/service_requests.parquet": 337},
        "rows_quarantined": {**book_chapter.validation["rows_quarantined"],
                             "events/service_requests.parquet": 263},
        "quarantined_by_reason": {"events/payments.parquet": {"unknown case": 39, "bad date": 3},
                                  "events/service_requests.parquet": {"cleared before received": 263}}}
    small = dataclasses.replace(book_chapter, validation=validation)
    assert small.files_withheld() == {"events/payments.parquet"}
    table = small.rows_by_file().set_index("File")
    assert list(table.loc["events/payments.parquet"]) == ["1,000", "[c]", "[c]"]
    assert list(table.loc["events/service_requests.parquet"]) == ["600", "340", "260"]
    by_reason = small.quarantine_counts().set_index("Reason")["Rows quarantined"]
    assert by_reason.to_dict() == {"unknown case": "40", "bad date": "[c]",
                                   "cleared before received": "260"}
    method = texts.methodology(small)
    # rows read 1,040 + 600; quarantined 42 + 263 = 305 -> 310; used 958 + 40 + 337 = 1,335
    # -> 1,340 (half-up); the fixture's data-quality table has no total, so it is computed
    assert (method["dq_rows_quarantined"], method["dq_rows_used"]) == ("310", "1,340")

    # the data-quality table as published: its total, and a large reason it withholds
    pub = book_chapter.published
    extra = pd.DataFrame({"table": "DQ", "period": PERIOD, "measure": "quarantined_rows",
                          "breakdown": ["all", "events/service_requests.parquet: cleared before received"],
                          "value": ["[c]", "[c]"], "unit": "count"})
    raw = extra.assign(value=[305.0, 263.0])
    protected = dataclasses.replace(
        small, published=pd.concat([pub, extra], ignore_index=True),
        measures=pd.concat([book_chapter.measures, raw[book_chapter.measures.columns]],
                           ignore_index=True))
    assert protected.files_withheld() == {"events/payments.parquet",
                                          "events/service_requests.parquet"}
    assert list(protected.rows_by_file().set_index("File").loc[
        "events/service_requests.parquet"]) == ["600", "[c]", "[c]"]
    method = texts.methodology(protected)
    assert (method["dq_rows_quarantined"], method["dq_rows_used"]) == ("[c]", "[c]")

    # without the small reason the figures are shown, rounded
    large = dataclasses.replace(book_chapter, validation={
        **book_chapter.validation,
        "quarantined_by_reason": {"events/payments.parquet": {"unknown case": 30, "bad date": 12}}})
    assert large.files_withheld() == set()
    assert list(large.rows_by_file().set_index("File").loc["events/payments.parquet"]) == [
        "1,000", "960", "40"]


def test_texts_say_why_a_table_is_not_available():
    """A table the folder cannot give for the period (edition.json ``not_available``): the
    chapter's findings give the reason in the data's words, and quote no sample or figure."""
    reason = ("The quarter to August 2016 has 1 month of data (the extract folder starts in "
              "August 2016); quarterly figures need all three months, so they are not "
              "available [x] for a partial quarter.")
    measures = book_measures()
    measures = measures[~measures["table"].isin(["T4", "T5", "T6"])].reset_index(drop=True)
    ch = chapter(measures, PERIOD, {"source": "administrative", "first_month": "2016-08",
                                     "last_month": "2016-08"})
    ch.edition = {"not_available": {t: {"reason": reason, "measures": []}
                                    for t in ("T4", "T5", "T6")}}
    got = texts.children(ch)
    assert got["children_findings"] == (f"{reason} There is no estimate of the children "
                                        "benefiting in the quarter to August 2016.")
    assert got["children_sample_label"] == "[x]"
    assert texts.compliance(ch)["compliance_findings"] == (
        f"{reason} There are no compliance figures for the quarter to August 2016.")


def test_planned_measures_sentences_on_the_book_fixture(book_chapter):
    """T18-T20 in the 2016-08 fixture (test_book_fixtures), counts to the nearest 10: shared
    care 24,031 of 200,000 cases due to pay (12.0%); 15,272 cases in enforcement of a caseload of
    338,900 (4.5%: 5%), 2,932 actions with one committal ([c]); legacy CSA arrears £529.4
    million on 93,555 cases in 92,949 groups."""
    assert texts.children(book_chapter)["children_shared_care_findings"] == (
        "At the end of August 2016, **24,030 of the 200,000 cases due to pay (12%)** had a "
        "shared-care reduction in their calculation: 13,950 with 52 to 103, 6,340 with 104 to "
        "155, 2,290 with 156 to 174 and 1,450 with 175 or more nights a year with the paying "
        "parent.")
    got = texts.enforcement(book_chapter)
    assert got["enforcement_cases_findings"] == (
        "At the end of August 2016, **15,270 cases were in enforcement**, 5% of the caseload.")
    assert got["enforcement_actions_findings"] == (
        "In August 2016, 2,930 enforcement actions were started: 1,640 deduction from earnings "
        "orders, 270 regular deduction orders, 250 lump sum deduction orders, 630 liability "
        "orders, 100 charging orders or orders for sale and 30 disqualifications from driving or "
        "holding a passport. The number of committals to prison is not shown, to protect "
        "confidentiality ([c], see the notes).")
    assert got["enforcement_edition_note"] == (
        "Enforcement figures are published from the edition of August 2016, for every month of "
        "the data.")
    assert texts.arrears(book_chapter)["arrears_legacy_csa_findings"] == (
        "At the end of August 2016, 93,560 cases in 92,950 case groups carried **£529.4 million "
        "of arrears from the CSA schemes**, apart from the outstanding maintenance arrears above: "
        "£450.7 million on 79,520 arrears only cases and £78.6 million on 14,040 cases from new "
        "applications made after a CSA case closed.")


def test_planned_measures_before_their_first_edition_and_without_their_inputs():
    """Before the 2016-08 edition the tables are absent (no sentence; the Enforcement chapter
    says when its figures begin). A folder without the optional inputs: the reason, no figure."""
    early = texts.enforcement(chapter(book_measures().query("table != 'T19'"), "2016-05"))
    assert early["enforcement_edition_note"] == (
        "This edition covers the months to May 2016; enforcement figures are published from the "
        "edition of August 2016.")
    assert texts.children(chapter(book_measures(), "2016-05"))["children_shared_care_findings"] == ""
    reason = ("The snapshot of August 2016 does not give `shared_care_nights` (the nights of "
              "shared care in each calculation, an optional column of the data contract), so "
              "these figures are not available [x].")
    measures = book_measures().query(
        "table != 'T18' and measure != 'enforcement_actions_started'").reset_index(drop=True)
    ch = chapter(measures, PERIOD)
    ch.edition = {"not_available": {"T18": {"reason": reason, "measures": []},
                                    "T19": {"reason": "No file.", "measures": [
                                        "enforcement_actions_started"]}}}
    assert texts.children(ch)["children_shared_care_findings"] == (
        f"{reason} There are no shared care figures for August 2016.")
    assert texts.enforcement(ch)["enforcement_actions_findings"] == (
        "No file. There is no count of enforcement actions for August 2016.")


def test_glued_texts_carry_no_markdown_asterisks(monkeypatch):
    """{glue:text} shows a glued text as plain text: "**290,600 children**" would show its
    asterisks on the page (found on a chapter whose findings are glued whole)."""
    import myst_nb

    from cms_stats.book.chapter import glue_texts

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: value}))
    glue_texts({"children_findings": "In the quarter, **290,600 children** benefited.",
                "plain": "No emphasis here."})
    assert glued == {"children_findings": "In the quarter, 290,600 children benefited.",
                     "plain": "No emphasis here."}


def test_closures_check_in_the_methodology():
    """DQ: 34 closures disagreed in August 2016 (12 still on the caseload, 25 not on it the month
    before; 3 both ways), published to the nearest 10 (25 half up to 30); a folder without
    closures has no check, and the Methodology says why (the edition's not_available)."""
    from cms_stats.book.texts.methodology import closures_check

    ch = chapter(frame([
        ("DQ", "closures_disagreeing_with_snapshots", b, "count", {}, v, LATE)
        for b, v in (("all", 34), ("in_month_end_snapshot", 12), ("not_in_previous_snapshot", 25))
    ]), "2016-08")
    assert closures_check(ch) == (
        "Closures and the monthly caseload: a case closed in a month should be on the caseload "
        "at the end of the month before and not at the end of the month. In August 2016, 30 "
        "closures disagreed (10 still on the caseload at the end of the month, 30 not on it at "
        "the end of the month before). They are reported, not corrected: Table 17 counts "
        "closures in the month of their closure date.")
    ch.edition = {"not_available": {"DQ": {
        "reason": "The extract folder has no closures file (an optional part of the data "
                  "contract), so cases closed are not available [x].",
        "measures": ["closures_disagreeing_with_snapshots"]}}}
    assert closures_check(ch) == (
        "Closures and the monthly caseload: the extract folder has no closures file (an optional "
        "part of the data contract), so cases closed are not available [x].")


def test_areas_sentences_on_the_book_fixture(book_chapter):
    """T21 in the fixture: Great Britain 338,900, England 278,906, Wales 15,607, Scotland
    26,712, not known 17,675; the South East 44,832 the most, the North East 13,208 the least."""
    got = texts.areas(book_chapter)
    assert got["areas_countries_findings"] == (
        "At the end of August 2016, **338,900 cases** were on the 2012 Scheme in Great Britain: "
        "England 278,910, Wales 15,610 and Scotland 26,710. For 17,680 cases the paying parent's "
        "constituency was not known.")
    assert got["areas_regions_findings"] == (
        "Among England's regions, the caseload was largest in the South East (44,830) and "
        "smallest in the North East (13,210). The map shows the caseload of each of the 632 "
        "constituencies for the number of people living there.")
    assert got["areas_edition_note"] == (
        "Figures by area are published from the edition of August 2016, for every month of the data.")
    early = texts.areas(chapter(book_measures().query("table not in ['T21', 'T22']"), "2016-05"))
    assert early["areas_countries_findings"] == early["areas_regions_findings"] == ""


def test_a_table_of_hundreds_of_areas_is_on_screen_and_said_where_in_print(book_chapter):
    """T22's 632 constituencies: the web book has every row; the printed book (print.css hides
    .cms-screen-only, shows .cms-print-only) says where the figures are instead of printing
    pages of small rows. A table of a few areas (T21) prints as it is."""
    from bs4 import BeautifulSoup

    from cms_stats.book.area_tables import PRINTED_ROWS, area_table

    page = BeautifulSoup(area_table(book_chapter, "T22").html, "html.parser")
    rows = page.select(".cms-screen-only table#table-t22 tbody tr")
    assert len(rows) == 632 > PRINTED_ROWS
    assert [p.get_text() for p in page.select("p.cms-print-only")] == [
        "The 632 rows of Table 22 are not printed: every figure is in the web book, the "
        "spreadsheet (sheet Table_22) and the CSV file T22.csv."]
    small = area_table(book_chapter, "T21").html
    assert "cms-screen-only" not in small and "cms-print-only" not in small
    css = (Path(__file__).parent.parent / "src" / "cms_stats" / "resources" / "print.css").read_text()
    assert ".cms-screen-only {\n    display: none !important;" in css


def test_the_methodology_names_every_percentage_and_amount_rounded_otherwise(tmp_path):
    """A reader re-computing a table must round as published: the Methodology's sentence lists
    the measures the policy rounds otherwise than whole percentages and GBP million."""
    import yaml

    from cms_stats.book.texts.methodology import rounding_exceptions
    from cms_stats.registry import REGISTRY_FILE, load_registry

    dq = ("arrears on cases that left the caseload (the data quality table), in GBP thousand to "
          "1 decimal place; money at stake in arrears that do not roll forward (the data quality "
          "table), in GBP thousand to 1 decimal place.")
    policy = load_policy()
    assert rounding_exceptions(policy) == (
        "Except: closures as a percentage of the caseload (Table 17), to 1 decimal place; " + dq)
    assert rounding_exceptions(policy, "2016-08") == rounding_exceptions(policy)
    # an edition before Table 17: only the data quality table's amounts
    assert rounding_exceptions(policy, "2014-02") == "Except: " + dq
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    data["tables"]["T18"]["measures"]["shared_care_share"]["decimals"] = 2
    data["tables"]["T17"]["measures"]["closures_share"].pop("decimals")
    for m in data["tables"]["DQ"]["measures"].values():
        for key in ("published_unit", "scale", "decimals"):
            m.pop(key, None)
    data["tables"]["T20"]["measures"]["legacy_csa_arrears"]["label"] = "CSA arrears"
    data["tables"]["T20"]["measures"]["legacy_csa_arrears"].update(
        published_unit="gbp_thousand", scale=0.001, decimals=1)
    path = tmp_path / "tables.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert rounding_exceptions(load_policy(registry=load_registry(path))) == (
        "Except: cases with shared care as a percentage of cases due to pay (Table 18), to 2 "
        "decimal places; CSA arrears (Table 20), in GBP thousand to 1 decimal place.")


def test_a_tables_caption_says_which_months_it_shows(book_chapter):
    """The book shows a table's latest months; its title names the whole series ("... from August
    2014"), so the caption says which months are shown and where the rest are."""
    import re as _re

    block = book_chapter.table("T2", months=6)
    caption = _re.search(r'<span class="cms-caption">(.*?)</span>', block.html).group(1)
    shown = _re.findall(r'<th scope="row">(.*?)</th>', block.html)
    rows = book_chapter.tables["T2"]
    assert len(shown) == 6 < int((rows[rows.columns[0]] <= book_chapter.period).sum())
    assert caption == (f"{rows.attrs['title']} (shown: {shown[0]} to {shown[-1]}; every month in "
                       "the spreadsheet and CSV files)")
    # a table of no more months than are shown keeps its title alone
    every = book_chapter.table("T2", months=10_000)
    assert f'<span class="cms-caption">{rows.attrs["title"]}</span>' in every.html


def test_the_arrears_share_is_compared_with_a_year_earlier_not_the_first_month(book_chapter):
    """The series' first months divide a few pounds of arrears by a few pounds of liability
    (both published as 0.0 million): the 2016-08 book said "it was 41% in August 2013". The
    share is compared with a year earlier when the series has it."""
    import dataclasses

    m = book_chapter.measures
    early = m[(m["table"] == "T8") & (m["period"] == "2015-08")].assign(period="2015-07")
    early.loc[early["measure"] == "outstanding_arrears", "value"] = 4.0
    early.loc[early["measure"] == "total_maintenance_liability", "value"] = 10.0
    early.loc[early["measure"] == "arrears_share_of_liability", "value"] = 0.4
    longer = dataclasses.replace(book_chapter, measures=pd.concat([early, m], ignore_index=True))
    got = texts.arrears(longer)
    assert (got["arrears_share_first_label"], got["arrears_share_first"]) == (
        "August 2015", book_chapter.shown("arrears_share_of_liability", "2015-08", table="T8"))
    assert "40%" not in got["arrears_findings"]
