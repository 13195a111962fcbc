"""Disclosure control beyond the small-count rule: secondary suppression, shares and means of
suppressed figures or small samples, money dominance, and the audit that proves it.

Hand-worked fixtures where the naive (primary only) suppression leaks and the protected one
does not; the rounding proof for the tables whose base is at least twice the threshold; a
property test over random tables against an independent closed-form interval; the release
check rejecting a planted leak."""

import itertools
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms_stats.measures.common import tidy
from cms_stats.publish.audit import ReaderSystem, audit_published
from cms_stats.publish.disclosure import audit_tables, check_release
from cms_stats.publish.policy import load_policy
from cms_stats.publish.protection import protect
from cms_stats.publish.rounding import publish_tidy, round_half_up
from cms_stats.publish.tidy_csv import write_csv
from cms_stats.registry import RegistryError, load_registry

POLICY = load_policy()
THRESHOLD = POLICY.threshold


def _complaints(resolution, review, period="2013-08"):
    return [("T12", period, "complaints_received", "resolution", float(resolution), "count"),
            ("T12", period, "complaints_received", "review", float(review), "count"),
            ("T12", period, "complaints_received", "all", float(resolution + review), "count")]


def _value(frame, table, period, measure, breakdown="all"):
    hit = frame[(frame["table"] == table) & (frame["period"] == period)
                & (frame["measure"] == measure) & (frame["breakdown"] == breakdown)]
    assert len(hit) == 1
    return hit["value"].iloc[0]


# -- the example: one suppressed part beside a published part and total ----------------
def test_naive_suppression_leaks_and_the_audit_finds_it():
    """Resolution 18 -> 20, review 3 -> [c], all 21 -> 20 (base 5): review = all - resolution
    lies in [17.5 - 22.5, 22.5 - 17.5] = [-5, 5], so [0, 5]: narrower than 10."""
    naive = publish_tidy(tidy(_complaints(18, 3)), POLICY, protect=False)
    assert _value(naive, "T12", "2013-08", "complaints_received", "review") == "[c]"
    assert _value(naive, "T12", "2013-08", "complaints_received", "resolution") == "20"
    findings, stats = audit_published(naive, POLICY)
    assert [(f.table, f.period, f.measure, f.breakdown) for f in findings] == [
        ("T12", "2013-08", "complaints_received", "review")]
    assert (findings[0].lower, findings[0].upper, findings[0].required) == (0.0, 5.0, 10.0)
    assert stats["suppressed"] == 1


def test_secondary_suppression_protects_it_and_keeps_the_total():
    protected = publish_tidy(tidy(_complaints(18, 3)), POLICY)
    expected = pd.DataFrame({"table": "T12", "period": "2013-08", "measure": "complaints_received",
                             "breakdown": ["resolution", "review", "all"],
                             "value": ["[c]", "[c]", "20"], "unit": "count"}).astype(str)
    pd.testing.assert_frame_equal(protected, expected)
    findings, _ = audit_published(protected, POLICY)
    assert findings == []
    # each part now lies in [0, 22.5]: a reader knows no more than the total
    system = ReaderSystem.from_published(protected, POLICY)
    review = system.index[("T12", "2013-08", "complaints_received", "review")]
    assert system.interval(review) == pytest.approx((0.0, 22.5))


def test_a_stalled_solve_is_solved_again_by_the_interior_point_method(monkeypatch):
    """HiGHS's first try is stopped by its time limit (here at once): the interior-point method
    gives the same interval, not a finding."""
    from cms_stats.publish import audit

    published = publish_tidy(tidy(_complaints(18, 3)), POLICY)
    monkeypatch.setattr(audit, "FIRST_SOLVE_SECONDS", 1e-12)
    monkeypatch.setattr(audit, "_SOLVED", {})  # solved afresh, not remembered
    system = ReaderSystem.from_published(published, POLICY)
    review = system.index[("T12", "2013-08", "complaints_received", "review")]
    assert system.interval(review) == pytest.approx((0.0, 22.5))
    monkeypatch.setattr(audit, "LAST_SOLVE_SECONDS", 1e-12)
    monkeypatch.setattr(audit, "_SOLVED", {})
    assert all(math.isnan(x) for x in system.interval(review))  # no answer: no proof


def test_an_interval_is_remembered_by_its_problem_not_by_the_order_of_the_system(monkeypatch):
    """The same figures built into another system (another month before them, so other
    variable numbers): the same problem, answered from memory without a linear program; a
    changed bound is a new problem."""
    from cms_stats.publish import audit

    published = publish_tidy(tidy(_complaints(18, 3)), POLICY)
    other = publish_tidy(tidy(_complaints(28, 3)), POLICY)  # resolution 30, all 30
    monkeypatch.setattr(audit, "_SOLVED", {})  # what the publishing solved, forgotten
    key = ("T12", "2013-08", "complaints_received", "review")
    first = ReaderSystem.from_published(published, POLICY)
    assert first.interval(first.index[key]) == pytest.approx((0.0, 22.5)) and first.solves == 2
    before = publish_tidy(tidy(_complaints(40, 20, period="2013-07")), POLICY)
    again = ReaderSystem.from_published(pd.concat([before, published], ignore_index=True), POLICY)
    assert again.index[key] != first.index[key]
    assert again.interval(again.index[key]) == pytest.approx((0.0, 22.5)) and again.solves == 0
    third = ReaderSystem.from_published(other, POLICY)
    assert third.interval(third.index[key]) == pytest.approx((0.0, 32.5)) and third.solves == 2


def test_complement_is_the_smallest_part_not_the_total():
    """Rows quarantined by reason (DQ, base 10): 3 [c], 15 -> 20, 25 -> 30, all 43 -> 40. A reader
    gets [max(0, 35 - 25 - 35), 45 - 15 - 25] = [0, 5]. The least-cost complement is the
    smallest part (20), not the total; then each suppressed part lies in [0, 45 - 25] = [0, 20]."""
    reasons = ["a.parquet: bad date", "b.parquet: unknown case", "c.parquet: negative amount"]
    rows = [("DQ", "2016-08", "quarantined_rows", r, v, "count")
            for r, v in zip(reasons, [3.0, 15.0, 25.0])]
    rows.append(("DQ", "2016-08", "quarantined_rows", "all", 43.0, "count"))
    naive = publish_tidy(tidy(rows), POLICY, protect=False)
    findings, _ = audit_published(naive, POLICY)
    assert [(f.breakdown, f.lower, f.upper) for f in findings] == [(reasons[0], 0.0, 5.0)]
    protected, done = protect(naive, tidy(rows), POLICY)
    assert done.secondary == [("DQ", "2016-08", "quarantined_rows", reasons[1])]
    assert [_value(protected, "DQ", "2016-08", "quarantined_rows", b) for b in reasons + ["all"]] == [
        "[c]", "[c]", "30", "40"]
    system = ReaderSystem.from_published(protected, POLICY)
    for r in reasons[:2]:
        assert system.interval(system.index[("DQ", "2016-08", "quarantined_rows", r)]) == \
            pytest.approx((0.0, 20.0))


def test_share_of_a_suppressed_count_is_suppressed():
    """T10: cleared within 20 days 7 [c] of 40 cleared, share 17.5% -> 18: a reader gets
    17.5 <= 100 w / c <= 18.5 with c in [35, 45], so w in [6.125, 8.325]. Protected: the share is
    [c] (its numerator is), the counts stay."""
    rows = [("T10", "2015-03", "mandatory_reconsiderations_cleared", "all", 40.0, "count"),
            ("T10", "2015-03", "mandatory_reconsiderations_cleared_within_20_days", "all", 7.0, "count"),
            ("T10", "2015-03", "cleared_within_20_days_share", "all", 7.0 / 40.0, "share")]
    naive = publish_tidy(tidy(rows), POLICY, protect=False)
    assert _value(naive, "T10", "2015-03", "cleared_within_20_days_share") == "18"
    findings, _ = audit_published(naive, POLICY)
    assert [(f.measure, f.lower, f.upper) for f in findings] == [
        ("mandatory_reconsiderations_cleared_within_20_days", 6.125, 8.325)]
    protected = publish_tidy(tidy(rows), POLICY)
    assert _value(protected, "T10", "2015-03", "cleared_within_20_days_share") == "[c]"
    assert _value(protected, "T10", "2015-03", "mandatory_reconsiderations_cleared") == "40"
    assert audit_published(protected, POLICY)[0] == []


def test_cumulative_relation_across_periods():
    """T12 scheme to date = scheme to date of the month before + this month's total: a month
    whose total is [c] between two published cumulative totals is narrowed to a base-5 window."""
    rows = []
    for period, (res, rev) in zip(["2013-08", "2013-09", "2013-10"], [(30, 12), (3, 2), (28, 11)]):
        rows += _complaints(res, rev, period)
    cumulative = itertools.accumulate([42, 5, 39])
    rows += [("T12", p, "complaints_received_scheme_to_date", "all", float(c), "count")
             for p, c in zip(["2013-08", "2013-09", "2013-10"], cumulative)]
    naive = publish_tidy(tidy(rows), POLICY, protect=False)
    system = ReaderSystem.from_published(naive, POLICY)
    total = system.index[("T12", "2013-09", "complaints_received", "all")]
    # 40 -> 40 and 47 -> 45 (half up): all in [42.5 - 42.5, 47.5 - 37.5] = [0, 10]
    assert system.interval(total) == pytest.approx((0.0, 10.0))
    assert audit_published(publish_tidy(tidy(rows), POLICY), POLICY)[0] == []


# -- rounding alone: the proof for tables with a base of at least twice the threshold ----------
@pytest.mark.parametrize("base", sorted({t.count_base for t in load_registry().tables.values()}))
def test_rounding_alone_protects_one_suppressed_part_when_the_base_is_large(base):
    """One suppressed part ``x`` (1..threshold-1) beside ``k`` published parts and a published
    total, all rounded half up to ``base``: a reader's interval for ``x`` is
    ``[max(0, c - E), c + E]`` with ``c`` = published total - published parts (a multiple of
    ``base``) and ``E = (k + 1) base / 2``. Since ``c > x - E`` and ``c + E`` is a multiple of
    ``base / 2``, the width is at least ``base / 2``. Checked here by exhaustion over every
    residue of the other parts modulo the base (rounding depends on nothing else), for k = 1, 2:
    the tables whose base is at least 2 x threshold (100) need no secondary suppression for such
    a group, those with base 5 or 10 do (the exhaustion finds widths below the threshold)."""
    narrowest = math.inf
    for k in (1, 2):
        for x in range(1, THRESHOLD):
            for parts in itertools.product(range(THRESHOLD, THRESHOLD + base), repeat=k):
                total = x + sum(parts)
                c = round_half_up(total, base=base) - sum(round_half_up(p, base=base) for p in parts)
                e = (k + 1) * base / 2
                width = (c + e) - max(0.0, c - e)
                assert c - e <= x <= c + e  # the true value is always inside
                narrowest = min(narrowest, width)
    assert narrowest == base / 2
    assert (narrowest >= THRESHOLD) == (base >= 2 * THRESHOLD)


# -- property: random tables, closed-form interval, protection after secondary suppression -----
def _closed_form(published, breakdowns, base):
    """Independent interval of each suppressed part of one ``all = sum(parts)`` group."""
    bounds = {}
    for b in breakdowns + ["all"]:
        v = published[b]
        if v == "[c]":
            bounds[b] = (0.0, math.inf)
        elif v == "[low]":  # a positive count that rounds to 0: threshold .. base/2
            bounds[b] = (THRESHOLD, base / 2)
        elif int(v) == 0:
            bounds[b] = (0.0, 0.0)
        else:
            bounds[b] = (max(THRESHOLD, int(v) - base / 2), int(v) + base / 2)
    out = {}
    for b in breakdowns:
        if published[b] != "[c]":
            continue
        others = [o for o in breakdowns if o != b]
        hi = bounds["all"][1] - sum(bounds[o][0] for o in others)
        lo = max(0.0, bounds["all"][0] - sum(bounds[o][1] for o in others))
        out[b] = (lo, min(hi, math.inf))
    return out


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=4),
       st.sampled_from([("T11", "appeals_cleared", ["tribunal_outcome", "cms_outcome"], 10),
                        ("T12", "complaints_received", ["resolution", "review"], 5),
                        ("T2", "caseload", ["new_application", "arrears_only"], 100)]))
def test_random_tables_lp_matches_closed_form_and_protection_holds(months, spec):
    table, measure, breakdowns, base = spec
    periods = [f"2014-{m:02d}" for m in range(1, len(months) + 1)]
    rows = []
    for period, (a, b) in zip(periods, months):
        rows += [(table, period, measure, breakdowns[0], float(a), "count"),
                 (table, period, measure, breakdowns[1], float(b), "count"),
                 (table, period, measure, "all", float(a + b), "count")]
    naive = publish_tidy(tidy(rows), POLICY, protect=False)
    system = ReaderSystem.from_published(naive, POLICY)
    for period in periods:
        published = {b: _value(naive, table, period, measure, b) for b in breakdowns + ["all"]}
        for b, (lo, hi) in _closed_form(published, breakdowns, base).items():
            got = system.interval(system.index[(table, period, measure, b)])
            assert got == pytest.approx((lo, hi))
    protected = publish_tidy(tidy(rows), POLICY)
    findings, _ = audit_published(protected, POLICY)
    assert findings == []
    # only figures that were published before may become [c]; nothing else changes
    changed = protected["value"] != naive["value"]
    assert (protected.loc[changed, "value"] == "[c]").all()
    # every suppressed part: closed-form width at least the threshold
    for period in periods:
        published = {b: _value(protected, table, period, measure, b) for b in breakdowns + ["all"]}
        for lo, hi in _closed_form(published, breakdowns, base).values():
            assert hi - lo >= THRESHOLD


# -- shares, means and money ----------------------------------------------------------------------
def test_mean_from_a_small_sample_is_low_and_so_is_what_uses_it():
    rows = [("T4", "2016-08", "sample_size", "all", 6.0 if i == 0 else 400.0, "count")
            for i in range(1)]
    rows += [("T4", "2016-08", "mean_children_per_case", b, v, "mean")
             for b, v in [("estimate", 1.5), ("lower_95", 1.1), ("upper_95", 1.9)]]
    rows += [("T4", "2016-08", "cases_paying", "all", 200_000.0, "count"),
             ("T4", "2016-08", "children_benefiting", "estimate", 300_000.0, "count")]
    got = publish_tidy(tidy(rows), POLICY)
    assert _value(got, "T4", "2016-08", "sample_size") == "[c]"
    for b in ("estimate", "lower_95", "upper_95"):
        assert _value(got, "T4", "2016-08", "mean_children_per_case", b) == "[low]"
    assert _value(got, "T4", "2016-08", "children_benefiting", "estimate") == "[low]"
    assert _value(got, "T4", "2016-08", "cases_paying") == "200000"
    rows[0] = ("T4", "2016-08", "sample_size", "all", float(POLICY.minimum_sample), "count")
    got = publish_tidy(tidy(rows), POLICY)
    assert _value(got, "T4", "2016-08", "mean_children_per_case", "estimate") == "1.50"
    assert _value(got, "T4", "2016-08", "children_benefiting", "estimate") == "300000"


def test_money_dominated_by_two_contributors_is_suppressed_with_a_complement():
    """DQ money at stake (GBP thousand, 1 dp): within the month 5,000 of which the two largest
    case groups hold 4,600 (92% > 90%) -> [c]; all = within + across, so across is suppressed
    as well (else within = all - across to within GBP 100)."""
    m = tidy([("DQ", "2016-08", "arrears_roll_forward_money_at_stake", "within_month", 5000.0, "gbp"),
              ("DQ", "2016-08", "arrears_roll_forward_money_at_stake", "across_months", 20000.0, "gbp"),
              ("DQ", "2016-08", "arrears_roll_forward_money_at_stake", "all", 25000.0, "gbp")])
    m["top1"] = m["breakdown"].map({"within_month": 4000.0, "across_months": 900.0, "all": 4000.0})
    m["top2"] = m["breakdown"].map({"within_month": 600.0, "across_months": 800.0, "all": 900.0})
    naive = publish_tidy(m.drop(columns=["top1", "top2"]), POLICY)
    assert _value(naive, "DQ", "2016-08", "arrears_roll_forward_money_at_stake", "within_month") == "5.0"
    got, done = protect(publish_tidy(m, POLICY, protect=False), m, POLICY)
    assert done.dominance == [("DQ", "2016-08", "arrears_roll_forward_money_at_stake", "within_month")]
    assert done.secondary == [("DQ", "2016-08", "arrears_roll_forward_money_at_stake", "across_months")]
    assert _value(got, "DQ", "2016-08", "arrears_roll_forward_money_at_stake", "all") == "25.0"
    assert audit_published(got, POLICY)[0] == []
    # the same figures with a contributor under 90%: published as they were
    m["top1"] = m["breakdown"].map({"within_month": 2000.0, "across_months": 900.0, "all": 4000.0})
    assert publish_tidy(m, POLICY).equals(naive)


# -- the release check ------------------------------------------------------------------------------
def test_release_check_rejects_a_planted_leak(tmp_path):
    naive = publish_tidy(tidy(_complaints(18, 3)), POLICY, protect=False)
    write_csv(naive, tmp_path / "leaky", POLICY)
    problems = check_release(tmp_path / "leaky", POLICY)
    assert problems == ["csv/T12.csv: T12 2013-08 complaints_received review: a reader of the "
                        "published tables can narrow this suppressed figure to [0, 5], narrower "
                        "than the protection of 10"]
    write_csv(publish_tidy(tidy(_complaints(18, 3)), POLICY), tmp_path / "safe", POLICY)
    assert check_release(tmp_path / "safe", POLICY) == []
    lines, stats = audit_tables(tmp_path / "safe", POLICY)
    assert lines == [] and stats["suppressed"] == 2


# -- the registry ----------------------------------------------------------------------------------
def _registry_with(tmp_path, old, new):
    text = load_registry().source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "tables.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_registry_rejects_an_unknown_figure_in_a_relation(tmp_path):
    path = _registry_with(tmp_path, "- total_intake = new_applications + arrears_only_applications",
                          "- total_intake = new_applications + arrears_only_applicatons")
    with pytest.raises(RegistryError, match="T1.arrears_only_applicatons:all is not a declared figure"):
        load_registry(path)


def test_registry_requires_a_share_to_state_its_ratio(tmp_path):
    path = _registry_with(tmp_path, "        ratio: accurate_checks / accuracy_checks\n", "")
    with pytest.raises(RegistryError, match="table T14, measure accuracy_share: a share states its ratio"):
        load_registry(path)


def test_declared_relations_hold_on_the_unrounded_measures(small_data):
    """Every relation instance holds on the unrounded measures of the small data (equalities to
    a penny, inequalities exactly): a wrong declaration would make the audit wrong."""
    from cms_stats.extracts import open_extracts, validate
    from cms_stats.measures import compute_all

    report = validate(small_data)
    m = compute_all(open_extracts(small_data), "2016-08", quarantine=report.quarantine)
    value = dict(zip(zip(m["table"], m["period"], m["measure"], m["breakdown"]), m["value"]))
    first = m.groupby("table")["period"].min().to_dict()
    published_in = m.groupby("table")["period"].agg(set).to_dict()
    checked = 0
    for rel in load_registry().additive_relations():
        for period in sorted(m.loc[m["table"] == rel.lhs.table, "period"].unique()):
            lhs = value.get((rel.lhs.table, period, rel.lhs.measure, rel.lhs.breakdown))
            if lhs is None or math.isnan(lhs):
                continue
            terms = rel.rhs
            if rel.open_breakdowns:
                terms = [type(rel.lhs)(rel.lhs.table, rel.lhs.measure, b)
                         for (t, p, mm, b) in value if (t, p, mm) == (rel.lhs.table, period, rel.lhs.measure)
                         and b != "all"]
            # as the audit: a relation with another table holds where both publish the period
            # (T22's constituencies at five quarter ends, T21's areas every month)
            if any(not t.lag and t.table != rel.lhs.table and period not in published_in[t.table]
                   for t in terms):
                continue
            total, ok = 0.0, True
            for term in terms:
                from cms_stats.months import add_months

                p = add_months(period, -term.lag) if term.lag else period
                if p < first[term.table]:
                    continue
                v = value.get((term.table, p, term.measure, term.breakdown))
                if v is None or math.isnan(v):
                    ok = False
                    break
                total += term.sign * v
            if not ok:
                continue
            checked += 1
            if rel.op == "=":
                assert lhs == pytest.approx(total, abs=0.01), (rel.text, period)
            elif rel.op == "<=":
                assert lhs <= total + 1e-9, (rel.text, period)
            else:
                assert lhs >= total - 1e-9, (rel.text, period)
    assert checked > 500


# -- the narrative ----------------------------------------------------------------------------------
def test_no_change_is_described_from_a_withheld_share():
    from cms_stats.book import format as fmt

    assert fmt.pp_change_phrase(0.05, "2016-05", "[c]", current_text="40%") == (
        "no comparison with May 2016: a figure is not shown, to protect confidentiality "
        "([c], see the notes)")
    assert fmt.pp_change_phrase(0.05, "2016-05", "35%", current_text="[low]").startswith(
        "no comparison with May 2016: a figure is not shown: too few cases")
    assert fmt.pp_change_phrase(0.05, "2016-05", "35%", current_text="40%") == (
        "up 5 percentage points from 35% in May 2016")


def test_transfers_sentence_never_quotes_a_share_of_a_suppressed_count():
    """The issue's example: "[c] cases changed service type (2% ...)" cannot be printed."""
    from types import SimpleNamespace

    from cms_stats.book.texts.compliance import transfers_findings

    def chapter(shown):
        return SimpleNamespace(label="August 2016", period="2016-08", not_applicable=lambda t: None,
                               shown=lambda m, breakdown="all", table=None: shown[(m, breakdown)])

    withheld = chapter({("service_type_transfers", "all"): "[c]",
                        ("service_type_transfers_share", "all"): "[c]",
                        ("service_type_transfers", "direct_pay_to_collect_and_pay"): "[c]",
                        ("service_type_transfers", "collect_and_pay_to_direct_pay"): "[c]"})
    assert transfers_findings(withheld) == (
        "The number of cases that changed service type in August 2016 is not shown, to protect "
        "confidentiality ([c], see the notes).")
    split = chapter({("service_type_transfers", "all"): "20",
                     ("service_type_transfers_share", "all"): "2%",
                     ("service_type_transfers", "direct_pay_to_collect_and_pay"): "[c]",
                     ("service_type_transfers", "collect_and_pay_to_direct_pay"): "[c]"})
    assert transfers_findings(split) == (
        "In August 2016, 20 cases changed service type (2% of cases due to pay); the split by "
        "direction is not shown, to protect confidentiality ([c], see the notes).")


def test_summary_changes_are_not_computed_from_withheld_figures():
    """Appeals received 4 then 6 (both [c]): the summary table must not print "+50%"."""
    from cms_stats.book.headlines import quarter_changes

    m = tidy([("T11", "2016-05", "appeals_received", "all", 4.0, "count"),
              ("T11", "2016-08", "appeals_received", "all", 6.0, "count"),
              ("T2", "2016-05", "caseload", "all", 1000.0, "count"),
              ("T2", "2016-08", "caseload", "all", 1500.0, "count")])
    published = publish_tidy(m, POLICY)
    table = quarter_changes(m, "2016-08", POLICY, published=published).set_index("Table")
    assert list(table.loc["T11", ["Latest", "Three months earlier", "Change"]]) == ["[c]", "[c]", "[c]"]
    assert list(table.loc["T2", ["Latest", "Three months earlier", "Change"]]) == ["1,500", "1,000", "+50%"]


def _kept(tmp_path, published, current_all):
    """The release's tables show complaints received (all) held at its previous value 1,000
    (a 2% change: kept by the revisions policy); revisions.csv gives its current value."""
    shown = published.copy()
    at = (shown["measure"] == "complaints_received") & (shown["breakdown"] == "all")
    shown.loc[at, "value"] = "1000"
    write_csv(shown, tmp_path, POLICY)
    pd.DataFrame([{"table": "T12", "period": "2013-08", "measure": "complaints_received",
                   "breakdown": "all", "previous": "1000", "revised": current_all,
                   "change": 20.0, "percent_change": 2.0, "reason": "not revised",
                   "is_revised": False}]).to_csv(tmp_path / "revisions.csv", index=False)


def test_release_check_reads_the_current_value_of_a_figure_held_by_the_revisions_policy(tmp_path):
    """Resolution 1,018 and review 3: all 1,021. Published to 5: all 1,020, resolution 1,020,
    review [c]; the table holds all at its previous 1,000, but revisions.csv says 1,020, so a
    reader has review = all - resolution in [1,017.5 - 1,022.5, 1,022.5 - 1,017.5] = [0, 5]
    (a model that only widened the held figure by 5% would have seen [0, 55.5])."""
    naive = publish_tidy(tidy(_complaints(1018, 3)), POLICY, protect=False)
    _kept(tmp_path, naive, "1020")
    lines, _ = audit_tables(tmp_path, POLICY)
    assert lines == ["csv/T12.csv: T12 2013-08 complaints_received review: a reader of the "
                     "published tables can narrow this suppressed figure to [0, 5], narrower than "
                     "the protection of 10"]
    protected = publish_tidy(tidy(_complaints(1018, 3)), POLICY)
    _kept(tmp_path, protected, _value(protected, "T12", "2013-08", "complaints_received"))
    assert audit_tables(tmp_path, POLICY)[0] == []


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
                min_size=1, max_size=3))
def test_random_cross_measure_tables_are_protected(months):
    """T10 with its relations and share: cleared = revised + not revised, within 20 days <=
    cleared, and the share of those within 20 days. Whatever the counts, after the disclosure
    control no suppressed count can be narrowed below the threshold (the LP audit), and no
    published figure other than those withheld changes."""
    rows = []
    for k, (revised, not_revised, late) in enumerate(months, start=1):
        period = f"2015-{k:02d}"
        cleared = revised + not_revised
        within = max(cleared - late, 0)
        rows += [("T10", period, "mandatory_reconsiderations_cleared", "all", float(cleared), "count"),
                 ("T10", period, "mandatory_reconsiderations_revised", "all", float(revised), "count"),
                 ("T10", period, "mandatory_reconsiderations_not_revised", "all", float(not_revised), "count"),
                 ("T10", period, "mandatory_reconsiderations_cleared_within_20_days", "all", float(within), "count"),
                 ("T10", period, "cleared_within_20_days_share", "all",
                  within / cleared if cleared else float("nan"), "share")]
    naive = publish_tidy(tidy(rows), POLICY, protect=False)
    protected = publish_tidy(tidy(rows), POLICY)
    assert audit_published(protected, POLICY)[0] == []
    changed = protected["value"] != naive["value"]
    assert (protected.loc[changed, "value"] == "[c]").all()


def test_complements_avoid_figures_the_previous_edition_published():
    """Resolution 18, review 3, all 21: review is [c] and one complement is needed. Alone, the
    least cost is the breakdown (resolution). If the previous edition published resolution as
    a number (readers have it in the archive), withholding it now hides nothing: the total is
    withheld instead."""
    current = tidy(_complaints(18, 3))
    alone = publish_tidy(current, POLICY)
    assert [_value(alone, "T12", "2013-08", "complaints_received", b)
            for b in ("resolution", "review", "all")] == ["[c]", "[c]", "20"]
    # the previous edition: resolution published, review and the total withheld
    previous = pd.DataFrame({"table": "T12", "period": "2013-08", "measure": "complaints_received",
                             "breakdown": ["resolution", "review", "all"],
                             "value": ["20", "[c]", "[c]"], "unit": "count"})
    informed = publish_tidy(current, POLICY, known=previous)
    assert [_value(informed, "T12", "2013-08", "complaints_received", b)
            for b in ("resolution", "review", "all")] == ["20", "[c]", "[c]"]


@pytest.mark.parametrize("cases, shown", [(3, "[c]"), (12, "5.0")])
def test_an_amount_from_fewer_contributors_than_the_threshold_is_withheld(cases, shown):
    """Arrears of £5,000 on the cases that left the caseload (published in £ thousand): from 3
    cases it is [c] (an amount of fewer than 10 contributors: each one's arrears would be
    close to it), from 12 it is published."""
    m = tidy([("DQ", "2016-08", "cases_closed_with_arrears", "all", float(cases), "count"),
              ("DQ", "2016-08", "arrears_on_closed_cases", "all", 5000.0, "gbp")])
    published = publish_tidy(m, POLICY)
    assert _value(published, "DQ", "2016-08", "arrears_on_closed_cases") == shown


# -- across editions: what readers of the archive already have -------------------------------
def _edition(values, period="2013-08"):
    """A published T12 complaints group (resolution, review, all) as text."""
    return pd.DataFrame({"table": "T12", "period": period, "measure": "complaints_received",
                         "breakdown": ["resolution", "review", "all"], "value": values,
                         "unit": "count"}).astype(str)


def test_a_figure_an_earlier_edition_withheld_stays_withheld():
    """The previous edition withheld review (then 3) and resolution (its complement). The data
    are revised: review 15, resolution 18, all 33, nothing small. Published alone they would all
    be numbers, and a reader of both editions would then know the earlier review (if unrevised,
    the small count itself): both stay [c], the total is published."""
    current = tidy(_complaints(18, 15))
    alone = publish_tidy(current, POLICY)
    assert (alone["value"] == "[c]").sum() == 0
    out, protection = protect(publish_tidy(current, POLICY, protect=False), current, POLICY,
                              known=_edition(["[c]", "[c]", "20"]))
    assert list(out["value"]) == ["[c]", "[c]", "35"]
    assert sorted(k[3] for k in protection.carried) == ["resolution", "review"]


def test_a_figure_an_earlier_edition_published_is_never_a_complement():
    """The previous edition published all three (review was 12). Revised to 3, review is [c]
    now; its only complements, resolution and all, are in the archive as numbers, so none is
    chosen: the figure is left unprotected (and the release audit stops the release) rather
    than protected in appearance only."""
    current = tidy(_complaints(18, 3))
    out, protection = protect(publish_tidy(current, POLICY, protect=False), current, POLICY,
                              known=_edition(["20", "10", "30"]))
    assert list(out["value"]) == ["20", "[c]", "20"]
    assert protection.unprotected == [("T12", "2013-08", "complaints_received", "review")]
    assert protection.secondary == []


def _fee_status(with_areas):
    """November 2014: 109 new applications (T1, base 100: 100), 30 fee exemptions (T3, base 10:
    30, share 27.5% -> 28), 3 recorded as no fee after fees began (DQ: [c]), 76 fee-paying
    (80). With T21 (first published in 2016-08) the same 109 applications at base 10: 110."""
    p = "2014-11"
    rows = [("T1", p, "new_applications", "all", 109.0, "count"),
            ("T3", p, "fee_paying_applications", "all", 76.0, "count"),
            ("T3", p, "fee_exemptions", "domestic_violence", 30.0, "count"),
            ("T3", p, "fee_exemptions", "under_19", 0.0, "count"),
            ("T3", p, "fee_exemptions", "all", 30.0, "count"),
            ("T3", p, "fee_exemption_share", "all", 30.0 / 109.0, "share")]
    rows += [("DQ", p, "fee_status_recorded_in_error", b, v, "count")
             for b, v in [("no_fee_after_fees_began", 3.0), ("fee_before_fees_began", 0.0),
                          ("fee_on_arrears_only", 0.0), ("all", 3.0)]]
    if with_areas:
        rows.append(("T21", p, "new_applications", "all", 109.0, "count"))
    return tidy(rows)


def test_a_new_table_restating_published_figures_more_finely_gets_the_complement():
    """The earlier edition: 3 is [c], protected by T1's base of 100 and the share: a reader gets
    N in [25 / 0.285, 35 / 0.275] and 3 in [0, 0.725 x 127.3 - 75] = [0, 17.3]. This edition adds
    T21, whose total equals T1's at base 10 (N in [105, 115]): 3 falls to [0, 0.725 x 115 - 75]
    = [0, 8.375]. Every figure sharing a relation with it is in the archive as a number, so the
    nearest figure that may be withheld is T21's total, two relations away: it is withheld, and
    every figure of the earlier edition is published as before."""
    key = ("DQ", "2014-11", "fee_status_recorded_in_error", "no_fee_after_fees_began")
    previous = publish_tidy(_fee_status(False), POLICY)
    assert _value(previous, *key) == "[c]" and audit_published(previous, POLICY)[0] == []
    naive = publish_tidy(_fee_status(True), POLICY, protect=False)
    assert [(f.breakdown, f.lower, f.upper) for f in audit_published(naive, POLICY)[0]] == [
        ("all", 0.0, 8.375), ("no_fee_after_fees_began", 0.0, 8.375)]
    out, protection = protect(naive, _fee_status(True), POLICY, known=previous)
    assert protection.secondary == [("T21", "2014-11", "new_applications", "all")]
    assert protection.unprotected == []
    assert audit_published(out, POLICY)[0] == []
    pd.testing.assert_frame_equal(out[out["table"] != "T21"].reset_index(drop=True), previous)


def _release_with_csv(folder, published):
    folder.mkdir()
    write_csv(published, folder, POLICY)
    return folder


def test_release_check_across_editions(tmp_path):
    """What a reader of the archive has, checked from the published CSVs alone.

    1. The earlier edition withheld review and resolution (total 20); this one publishes review
       as 15: the earlier protection is undone (one line naming the figure and the edition).
    2. The earlier edition published resolution 20 and withheld review and all; this one
       withholds resolution and review beside a published total 20 (each in [0, 22.5] alone,
       protected). The total is the first problem; and a reader of both takes resolution at
       20, so review lies in [0, 5], the second (the check with the earlier editions)."""
    earlier = _release_with_csv(tmp_path / "2016-05", _edition(["[c]", "[c]", "20"]))
    now = _release_with_csv(tmp_path / "2016-08", _edition(["[c]", "15", "35"]))
    lines, _ = audit_tables(now, POLICY, [earlier])
    assert lines == ["csv/T12.csv: T12 2013-08 complaints_received review: withheld as [c] in the "
                     "edition 2016-05 and published here as 15: a reader of both editions can undo "
                     "the earlier protection"]

    earlier = _release_with_csv(tmp_path / "2016-02", _edition(["20", "[c]", "[c]"]))
    now = _release_with_csv(tmp_path / "2016-11", _edition(["[c]", "[c]", "20"]))
    assert audit_tables(now, POLICY)[0] == []  # alone, every suppressed figure is protected
    lines, _ = audit_tables(now, POLICY, [earlier])
    assert lines == ["csv/T12.csv: T12 2013-08 complaints_received all: withheld as [c] in the "
                     "edition 2016-02 and published here as 20: a reader of both editions can undo "
                     "the earlier protection",
                     "csv/T12.csv: T12 2013-08 complaints_received review: a reader of the "
                     "published tables can narrow this suppressed figure to [0, 5], narrower than "
                     "the protection of 10 (with the earlier editions)"]


def _closures(values, period="2016-05"):
    """A published T17 closures group (all, then the five reasons) as text."""
    reasons = ["family_based_arrangement", "child_leaves_qualifying_age", "applicant_withdraws",
               "no_further_liability", "other"]
    return pd.DataFrame({"table": "T17", "period": period,
                         "measure": ["cases_closed"] + ["cases_closed_by_reason"] * 5,
                         "breakdown": ["all"] + reasons, "value": values,
                         "unit": "count"})


def test_an_earlier_number_the_revised_figures_contradict_tells_a_reader_nothing(tmp_path):
    """The earlier edition published family-based arrangements as 30; revised to a handful it
    is [c] now, beside the two reasons carried as [c], no further liability 50 and all 60
    (counts rounded to 10). The three withheld reasons add up to at most 20, so 30 no longer
    fits: a reader learns only that it was revised, and this edition's figures alone protect
    the others ([0, 20] each). Taken at 30 the figures would admit no value at all, and the
    check would stop a safe release.

    Had the earlier number fitted (12, at least 10 with the rounding), a reader would take it
    and the other two would lie in [0, 10]: still as wide as the protection."""
    now = _release_with_csv(tmp_path / "2016-08", _closures(["60", "[c]", "[c]", "[c]", "50", "0"]))
    assert audit_tables(now, POLICY)[0] == []
    for earlier_value, name in (("30", "2016-02"), ("12", "2016-05")):
        earlier = _release_with_csv(tmp_path / name,
                                    _closures(["80", earlier_value, "[c]", "[c]", "40", "0"]))
        assert audit_tables(now, POLICY, [earlier])[0] == []
    # the contradiction is real: taken at 30, nothing fits (the check above must not say so)
    findings, _ = audit_published(_closures(["60", "30", "[c]", "[c]", "50", "0"]), POLICY)
    assert findings and all(f.lower > f.upper for f in findings)
