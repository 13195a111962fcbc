"""Areas as data: the shipped constituencies against the reference hexmap file, the hierarchy's
relations, T21/T22 worked by hand, the synthetic constituency draw, and disclosure control over
the hierarchy (a planted leak found, protection at the scale of 632 constituencies)."""

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cms_stats import areas
from cms_stats.measures.common import tidy
from cms_stats.measures import geography
from cms_stats.measures.engine import ENGINES
from cms_stats.measures.geography import is_t22_month
from cms_stats.publish.audit import audit_published
from cms_stats.publish.policy import load_policy
from cms_stats.publish.rounding import publish_tidy
from cms_stats.registry import RegistryError, load_registry
from cms_stats.synthetic._geography import ConstituencyDraws

REFERENCE = Path("/work/shared/reference/geography/westminster-constituencies-2010.hexjson")
POLICY = load_policy()
REGION_LETTERS = {"NE": "north_east", "NW": "north_west", "YH": "yorkshire_and_the_humber",
                  "EM": "east_midlands", "WM": "west_midlands", "EA": "east_of_england",
                  "LO": "london", "SE": "south_east", "SW": "south_west", "WA": "wales",
                  "SC": "scotland"}


def test_constituencies_by_country_and_region():
    c = areas.constituencies()
    assert len(c) == 632 and c["constituency_code"].is_unique
    assert c["country"].value_counts().to_dict() == {"england": 533, "scotland": 59, "wales": 40}
    assert len(areas.regions()) == 11 and list(areas.countries()) == ["england", "wales", "scotland"]
    assert c.groupby("region")["country"].nunique().max() == 1  # a region is in one country
    assert areas.AREAS_NOTICE.read_text(encoding="utf-8").count("MIT License") == 1


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference hexmap file is not on this machine")
def test_codes_names_regions_and_hexes_match_the_reference_file():
    hexes = json.loads(REFERENCE.read_text(encoding="utf-8"))["hexes"]
    gb = {k: v for k, v in hexes.items() if not k.startswith("N06")}
    c = areas.constituencies().set_index("constituency_code")
    assert set(c.index) == set(gb)
    for code, h in gb.items():
        row = c.loc[code]
        assert (row["constituency_name"], row["region"], row["hex_q"], row["hex_r"], row["population"]) == (
            h["n"], REGION_LETTERS[h["a"]], h["q"], h["r"], h["p"]), code
        assert row["country"] == {"E": "england", "W": "wales", "S": "scotland"}[code[0]]


def test_hierarchy_relations_cover_every_constituency_once():
    registry = load_registry()
    rels = [r for r in registry.additive_relations() if r.table == "T22"]
    assert len(rels) == 11  # one per region (Wales and Scotland are regions)
    terms = [t.breakdown for r in rels for t in r.rhs]
    assert sorted(terms) == sorted(areas.constituency_breakdowns())
    wales = next(r for r in rels if r.lhs.breakdown == "wales")
    assert (wales.lhs.table, wales.lhs.measure, len(wales.rhs)) == ("T21", "caseload", 40)
    t21 = {r.text for r in registry.additive_relations() if r.table == "T21"}
    assert "caseload: English regions add up to England" in t21


def test_registry_refuses_unknown_area_breakdowns(tmp_path):
    import yaml

    from cms_stats.registry import REGISTRY_FILE
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    data["tables"]["T22"]["measures"]["caseload"]["breakdowns_from"] = "wards"
    path = tmp_path / "tables.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(RegistryError, match="breakdowns_from 'wards'"):
        load_registry(path)


# -- T21 and T22 worked by hand ---------------------------------------------------------------
# Five cases: two in Aldershot (South East), one in Cardiff Central (Wales), one in Glasgow
# Central (Scotland), one with no constituency. Case 1 and 3 pay (Direct Pay, Collect and Pay).
SNAPSHOT = pd.DataFrame({
    "case_id": ["C00000001", "C00000002", "C00000003", "C00000004", "C00000005"],
    "constituency_code": ["E14000530", "E14000530", "W07000050", "S14000030", None],
    "service_type": ["direct_pay", "no_liability", "collect_and_pay", "direct_pay", "no_liability"],
    "weekly_liability": [10.0, 0.0, 25.0, 0.0, 0.0],
})
# New applications of the month: cases 2 and 3 (in the snapshot) and 9 (closed: not in it).
NEW = pd.DataFrame({"case_id": ["C00000002", "C00000003", "C00000009"]})


def _by_area(values: dict) -> dict:
    out = {k: 0.0 for k in areas.area_breakdowns()}
    return out | values


class OneSnapshotFolder:
    """:data:`SNAPSHOT` as the month-end snapshot of ``month`` and :data:`NEW` as the new
    applications received in it (each kept: no duplicates among them)."""

    sample_months: list[str] = []

    def __init__(self, month: str) -> None:
        self.months = [month]

    def snapshot(self, month):
        return SNAPSHOT.assign(snapshot_month=month)

    def applications(self):
        month = self.months[0]
        return pd.DataFrame({
            "application_id": [f"A0000000{i}" for i in range(1, len(NEW) + 1)],
            "received_date": pd.to_datetime([f"{month}-0{i}" for i in range(1, len(NEW) + 1)]),
            "application_type": "new_application",
            "paying_parent_id": [f"P0000000{i}" for i in range(1, len(NEW) + 1)],
            "receiving_parent_id": "R00000001", "case_id": NEW["case_id"]})


def _areas_on(engine: str, month: str, family) -> pd.DataFrame:
    from cms_stats.measures.context import Context

    return family(Context(OneSnapshotFolder(month), month, engine=engine))


@pytest.mark.parametrize("engine", ENGINES)
def test_t21_worked_by_hand(engine):
    got = _areas_on(engine, "2016-08", geography.t21)
    expected = {
        "caseload": _by_area({"england": 2, "south_east": 2, "wales": 1, "scotland": 1,
                              "not_known": 1, "all": 5}),
        "direct_pay_cases": _by_area({"england": 1, "south_east": 1, "all": 1}),
        "collect_and_pay_cases": _by_area({"wales": 1, "all": 1}),
        "new_applications": _by_area({"england": 1, "south_east": 1, "wales": 1, "not_known": 1,
                                      "all": 3}),
    }
    rows = [("T21", "2016-08", m, b, float(v), "count") for m, d in expected.items() for b, v in d.items()]
    assert_frame_equal(got, tidy(rows))


def test_t21_has_no_service_type_before_august_2014():
    got = _areas_on("duckdb", "2014-07", geography.t21)
    assert set(got["measure"]) == {"caseload", "new_applications"}
    assert got.loc[got["breakdown"] == "all", "value"].tolist() == [5.0, 3.0]


def test_area_lookup_places_each_constituency_in_its_country_region_and_all():
    lookup = geography.area_lookup()
    areas_of = lookup.groupby("constituency_code")["area"].apply(list)
    assert areas_of["E14000530"] == ["england", "south_east", "all"]
    assert areas_of["W07000050"] == ["wales", "all"] and areas_of["S14000030"] == ["scotland", "all"]
    assert areas_of[geography.NOT_KNOWN_CODE] == ["not_known", "all"]
    assert len(areas_of) == 633 and set(lookup["area"]) == set(areas.area_breakdowns())


@pytest.mark.parametrize("engine", ENGINES)
def test_t22_worked_by_hand(engine):
    got = _areas_on(engine, "2016-08", geography.t22)
    assert (got["measure"] == "caseload").all() and set(got["period"]) == {"2016-08"}
    got = got.set_index("breakdown")["value"]
    assert len(got) == 632 and got.sum() == 4  # the case not known is in no constituency
    assert (got["e14000530"], got["w07000050"], got["s14000030"]) == (2, 1, 1)
    assert _areas_on(engine, "2016-07", geography.t22).empty  # not a quarter end


def test_t22_months_are_the_last_five_quarter_ends():
    months = [m for m in (f"{y}-{mm:02d}" for y in (2015, 2016) for mm in range(1, 13))
              if is_t22_month(m, "2016-08")]
    assert months == ["2015-08", "2015-11", "2016-02", "2016-05", "2016-08"]


# -- the synthetic draw -----------------------------------------------------------------------
def test_constituency_draw_is_by_group_whatever_the_order_and_follows_population():
    params = {"not_known_share": 0.01}
    once = ConstituencyDraws(params, 7).column(np.arange(20000))
    chunked = ConstituencyDraws(params, 7)
    chunked.column(np.array([5, 3]))          # the groups first seen in one month ...
    again = chunked.column(np.arange(20000))  # ... then the rest: the same draws per group
    assert once.equals(again)
    codes = pd.Series(once.to_pylist())
    assert abs(codes.isna().mean() - 0.01) < 0.003
    c = areas.constituencies()
    share = codes.dropna().map(dict(zip(c["constituency_code"], c["country"]))).value_counts(normalize=True)
    population = c.groupby("country")["population"].sum() / c["population"].sum()
    assert abs(share["wales"] - population["wales"]) < 0.01  # 5% of the population
    assert abs(share["scotland"] - population["scotland"]) < 0.01


# -- disclosure over the hierarchy ------------------------------------------------------------
def _geography_frame(values: dict[str, int], period: str = "2016-08") -> pd.DataFrame:
    """T22 (constituency counts) and T21 caseload by area consistent with them."""
    c = areas.constituencies()
    count = {areas.constituency_key(k): float(values.get(k, 500)) for k in c["constituency_code"]}
    rows = [("T22", period, "caseload", k, v, "count") for k, v in count.items()]
    key = c["constituency_code"].map(areas.constituency_key)
    by = {b: 0.0 for b in areas.area_breakdowns()}
    for region in areas.regions():
        by[region] = sum(count[k] for k in key[c["region"] == region])
    for country in areas.countries():
        by[country] = sum(count[k] for k in key[c["country"] == country])
    by["all"] = sum(count.values())
    rows += [("T21", period, "caseload", b, v, "count") for b, v in by.items()]
    return tidy(rows)


def _small_wales() -> dict[str, int]:
    """Wales with two constituencies with cases: Cardiff Central 4 (a small count) and Cardiff
    North 10; every other Welsh constituency 0. Published naively, Wales (14) is 10, so within
    [10, 15], and Cardiff North 10, within [10, 15] (a published count is at least the
    threshold): Cardiff Central = Wales - Cardiff North lies in [0, 5], narrower than 10."""
    c = areas.constituencies()
    wales = {k: 0 for k in c.loc[c["country"] == "wales", "constituency_code"]}
    return wales | {"W07000050": 4, "W07000051": 10}


def test_a_small_constituency_leaks_without_secondary_suppression_and_the_audit_finds_it():
    naive = publish_tidy(_geography_frame(_small_wales()), POLICY, protect=False)
    findings, _ = audit_published(naive, POLICY)
    assert [(f.table, f.period, f.measure, f.breakdown, f.lower, f.upper) for f in findings] == [
        ("T22", "2016-08", "caseload", "w07000050", 0.0, 5.0)]


def test_protection_hides_a_small_constituency_within_its_region_and_is_fast():
    frame = _geography_frame(_small_wales())
    start = time.perf_counter()
    protected = publish_tidy(frame, POLICY)
    seconds = time.perf_counter() - start
    print(f"\nprotection of {len(frame)} figures (632 constituencies, 14 areas): {seconds:.2f} s")
    findings, stats = audit_published(protected, POLICY)
    assert findings == [] and stats["suppressed"] == 2
    t22 = protected[protected["table"] == "T22"].set_index("breakdown")["value"]
    # the complement is the other Welsh constituency with cases (a part, not the total)
    assert sorted(t22[t22 == "[c]"].index) == ["w07000050", "w07000051"]
    naive = publish_tidy(frame, POLICY, protect=False)
    kept = protected["value"] != "[c]"
    assert_frame_equal(protected[kept], naive[kept])  # every other figure as before
    assert seconds < 30


def test_protection_scales_to_632_constituencies_over_five_quarters():
    """Many small constituencies in every region, five quarter ends: a figure for the report."""
    c = areas.constituencies()
    small = {code: (i % 9) + 1 for i, code in enumerate(c["constituency_code"]) if i % 7 == 0}
    frame = tidy(pd.concat([_geography_frame(small, p) for p in
                            ("2015-08", "2015-11", "2016-02", "2016-05", "2016-08")]))
    start = time.perf_counter()
    protected = publish_tidy(frame, POLICY)
    seconds = time.perf_counter() - start
    findings, stats = audit_published(protected, POLICY)
    print(f"\nprotection of {len(frame)} figures, {stats['suppressed']} withheld: {seconds:.2f} s")
    assert findings == []
    assert seconds < 60


# -- the sheets by area -----------------------------------------------------------------------
def test_sheet_by_area_has_a_row_per_constituency_and_a_column_per_quarter():
    from cms_stats.publish.area_layout import by_area_sheet, is_by_area
    from cms_stats.publish.rounding import publication_tables

    frame = pd.concat([_geography_frame({"E14000530": 123}, p) for p in ("2016-05", "2016-08")])
    t21_rows = frame[frame["table"] == "T21"]
    frame = tidy(pd.concat([frame, t21_rows.assign(measure="new_applications")]))
    wide = publication_tables(publish_tidy(frame, POLICY), POLICY)
    assert is_by_area("T22") and is_by_area("T21") and not is_by_area("T2")
    t22 = by_area_sheet(wide["T22"])
    assert t22.shape == (632, 5) and t22.attrs["index_columns"] == 3
    expected = pd.DataFrame({"Constituency": ["Aldershot", "Aldridge-Brownhills"],
                             "ONS code": ["E14000530", "E14000531"],
                             "Region or country": ["South East", "West Midlands"],
                             "Caseload, May 2016 (number)": [120, 500],
                             "Caseload, Aug 2016 (number)": [120, 500]}).astype(
        {"Caseload, May 2016 (number)": object, "Caseload, Aug 2016 (number)": object})
    assert_frame_equal(t22.head(2), expected)
    t21 = by_area_sheet(wide["T21"])
    assert t21.shape == (2 * 14, 4)  # two months by 14 areas, two measures
    assert list(t21.columns) == ["Month end", "Area", "Caseload (number)", "New applications (number)"]
    assert t21["Area"].head(4).tolist() == ["England", "Wales", "Scotland", "North East"]


class QuarterFolder:
    """The loader API over hand-made snapshots (month -> rows of case, group, service type,
    liability due, constituency code) and payments (case, group, date, amount)."""

    sample_months: list[str] = []

    def __init__(self, snapshots: dict, payments: list) -> None:
        self.months = list(snapshots)
        self._snapshots = snapshots
        self._payments = payments

    def snapshot(self, month):
        frame = pd.DataFrame.from_records(self._snapshots[month], columns=[
            "case_id", "case_group_id", "service_type", "liability_due", "constituency_code"])
        return frame.assign(snapshot_month=month, weekly_liability=frame["liability_due"] / 4)

    def payments(self):
        frame = pd.DataFrame.from_records(self._payments, columns=[
            "case_id", "case_group_id", "payment_date", "amount"])
        return frame.assign(payment_date=pd.to_datetime(frame["payment_date"]))


@pytest.mark.parametrize("engine", ENGINES)
def test_t21_compliance_worked_by_hand(engine):
    """Three case groups with liability due in the quarter to August 2016: G1 in Aldershot
    (Direct Pay: contributing), G2 in Cardiff Central (Collect and Pay, paid in the quarter:
    contributing), G3 not known (Collect and Pay, no payment). G4 paid but had nothing due: not
    counted."""
    from cms_stats.measures.context import Context
    from cms_stats.measures.geography import t21_compliance

    folder = QuarterFolder({
        "2016-07": [("C00000001", "G00000001", "direct_pay", 100.0, "E14000530"),
                    ("C00000002", "G00000002", "collect_and_pay", 50.0, "W07000050"),
                    ("C00000003", "G00000003", "collect_and_pay", 80.0, None)],
        "2016-08": [("C00000001", "G00000001", "direct_pay", 100.0, "E14000530")]},
        [("C00000002", "G00000002", "2016-08-10", 50.0),
         ("C00000004", "G00000004", "2016-08-10", 20.0)])
    got = t21_compliance(Context(folder, "2016-08", engine=engine))
    expected = {
        "case_groups_with_current_liability": _by_area({"england": 1, "south_east": 1, "wales": 1,
                                                        "not_known": 1, "all": 3}),
        "case_groups_contributing": _by_area({"england": 1, "south_east": 1, "wales": 1, "all": 2}),
    }
    rows = [("T21", "2016-08", m, b, float(v), "count") for m, d in expected.items() for b, v in d.items()]
    assert_frame_equal(got[got["period"] == "2016-08"].reset_index(drop=True), tidy(rows))
    # the quarter to July (July alone: the folder's first month) has no payment: G2 not yet
    july = got[got["period"] == "2016-07"].set_index(["measure", "breakdown"])["value"]
    assert (july["case_groups_with_current_liability", "all"],
            july["case_groups_contributing", "all"]) == (3.0, 1.0)


def test_ees_files_give_areas_as_geographic_levels():
    from cms_stats.publish.ees import ees_table

    frame = _geography_frame({"W07000050": 20})
    data, _ = ees_table(publish_tidy(frame, POLICY), "T22")
    cardiff = data.loc[data["pcon_code"] == "W07000050"].iloc[0]
    assert (cardiff["geographic_level"], cardiff["country_code"], cardiff["region_code"],
            cardiff["pcon_name"], cardiff["breakdown"], cardiff["caseload"]) == (
        "Parliamentary constituency", "W92000004", "", "Cardiff Central", "Total", "20")
    data, _ = ees_table(publish_tidy(frame, POLICY), "T21")
    levels = data.set_index(["geographic_level", "country_name", "region_name", "breakdown"])["caseload"]
    assert len(levels) == 14 and levels.index.is_unique
    assert levels[("Regional", "England", "London", "Total")] == _published_text(frame, "T21", "london")
    assert levels[("National", "Great Britain", "", "Constituency not known")] == "0"


def _published_text(frame, table, breakdown):
    """The published text of one figure of ``frame``."""
    hit = publish_tidy(frame, POLICY)
    return hit.loc[(hit["table"] == table) & (hit["breakdown"] == breakdown), "value"].iloc[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_group_is_placed_by_its_smallest_case_in_its_earliest_month(engine):
    """Group G1's two cases disagree: C2 (Cardiff Central) is first in the file, C1 (Cardiff
    North) has the smaller id, so G1 is in Cardiff North in the first month; in the second month
    C2 and C0, a still smaller id in Rhondda, are liable, which changes nothing
    (the earliest month places it: the smallest case over the whole quarter would give
    Rhondda). G2 has only a case with no code: not known. The file's row order never matters."""
    from cms_stats.measures.compliance import quarter_compliance
    from cms_stats.measures.context import Context

    codes = {"central": "W07000050", "north": "W07000051", "rhondda": "W07000052"}
    month1 = [("C00000002", "G00000001", "direct_pay", 10.0, codes["central"]),
              ("C00000001", "G00000001", "direct_pay", 20.0, codes["north"]),
              ("C00000003", "G00000002", "direct_pay", 5.0, None)]
    month2 = [("C00000002", "G00000001", "direct_pay", 30.0, codes["central"]),
              ("C00000000", "G00000001", "direct_pay", 7.0, codes["rhondda"])]
    for first in (month1, month1[::-1]):
        ctx = Context(QuarterFolder({"2016-07": first, "2016-08": month2}, []), "2016-08",
                      engine=engine)
        got = ctx.engine.execute(quarter_compliance(ctx), ctx.months)
        got = got[got["month"] == "2016-08"].sort_values("constituency_code")
        # "" is no constituency (not known); due in pence over the quarter: 10 + 20 + 30 + 7, 5
        assert got["constituency_code"].tolist() == ["", codes["north"]]
        assert got["due"].tolist() == [500, 6700]
        assert got["case_groups_with_current_liability"].tolist() == [1, 1]
