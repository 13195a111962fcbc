"""The Explore Education Statistics (EES) data files, screened by the rules of the EES screener.

The rules below restate those of the EES data screener (dfe-analytical-services: the
``eesyscreener`` package and the ``ees-data-screener`` app), independently of the writer:
required data and metadata columns, snake_case column names, metadata consistent with the data
both ways, valid time identifiers and periods, the National geography with a known
country code and name, valid indicator units and decimal places, no blank filter or indicator
cell, GSS symbols without brackets (no legacy ``~`` or ``:``), a ``Total`` in every filter,
no duplicate rows, and file names without spaces or special characters, in data/meta pairs.
"""

import re
from pathlib import Path

import pandas as pd
import pytest

from cms_stats.publish.policy import load_policy
from cms_stats.publish.rounding import publish_tidy
from cms_stats.publish.tidy_csv import write_csv

POLICY = load_policy()

REQUIRED_DATA = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name"]
REQUIRED_META = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
                 "filter_hint", "filter_grouping_column"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
COUNTRIES = {("K02000001", "United Kingdom"), ("K03000001", "Great Britain"),
             ("K04000001", "England and Wales"), ("E92000001", "England"), ("W92000004", "Wales"),
             ("S92000003", "Scotland"), ("N92000002", "Northern Ireland")}
UNITS = {"", "%", "pp", "£", "£m"}
#: The geographic levels the files use and the columns each level requires beside the country
#: (EES data standards: geography columns are observational units, never in the meta).
LEVELS = {"National": (), "Regional": ("region_code", "region_name"),
          "Parliamentary constituency": ("pcon_code", "pcon_name")}
GEOGRAPHY = {c for cols in LEVELS.values() for c in cols}
SYMBOLS = {"c", "x", "z", "low"}
LEGACY_SYMBOLS = {"~", ":"}


def screen(data_path: Path) -> list[str]:
    """Failures of one data file and its ``.meta.csv`` under the EES screener's rules."""
    meta_path = data_path.with_name(data_path.name[: -len(".csv")] + ".meta.csv")
    fails = []
    if not re.fullmatch(r"[a-z0-9_]+\.csv", data_path.name):
        fails.append(f"file name {data_path.name!r} has spaces or special characters")
    if not meta_path.is_file():
        return fails + [f"{data_path.name}: no metadata file {meta_path.name}"]
    data = pd.read_csv(data_path, dtype=str, keep_default_na=False)
    meta = pd.read_csv(meta_path, dtype=str, keep_default_na=False)
    # columns
    fails += [f"data lacks required column {c}" for c in REQUIRED_DATA if c not in data.columns]
    fails += [f"meta lacks required column {c}" for c in REQUIRED_META if c not in meta.columns]
    fails += [f"meta has column {c} not in the standard" for c in meta.columns if c not in REQUIRED_META]
    if fails:
        return fails
    fails += [f"column {c!r} is not snake_case" for c in data.columns if not re.fullmatch(r"[a-z0-9_]+", c)]
    fails += [f"column {c!r} longer than 50 characters" for c in data.columns if len(c) > 50]
    if len(set(data.columns)) != len(data.columns):
        fails.append("duplicate column names")
    # metadata against data, both ways
    units = set(REQUIRED_DATA) | (GEOGRAPHY & set(data.columns))
    fails += [f"meta names {c} absent from the data" for c in meta["col_name"] if c not in data.columns]
    fails += [f"data column {c} not in the meta" for c in data.columns
              if c not in units and c not in set(meta["col_name"])]
    fails += [f"meta describes observational unit {c}" for c in meta["col_name"] if c in units]
    if meta["col_name"].duplicated().any():
        fails.append("meta col_name duplicated")
    fails += [f"{n}: col_type {t!r}" for n, t in zip(meta["col_name"], meta["col_type"])
              if t not in {"Filter", "Indicator"}]
    if (meta["label"].str.strip() == "").any() or meta["label"].duplicated().any():
        fails.append("meta labels blank or duplicated")
    fails += [f"label of {n} longer than 80 characters" for n, lab in zip(meta["col_name"], meta["label"])
              if len(lab) > 80]
    filters = meta[meta["col_type"] == "Filter"]
    indicators = meta[meta["col_type"] == "Indicator"]
    for col in ("indicator_grouping", "indicator_unit", "indicator_dp"):
        fails += [f"filter {n} has {col}" for n, v in zip(filters["col_name"], filters[col]) if v]
    fails += [f"indicator {n} has filter_hint" for n, v in zip(indicators["col_name"], indicators["filter_hint"]) if v]
    fails += [f"indicator {n}: unit {u!r}" for n, u in zip(indicators["col_name"], indicators["indicator_unit"])
              if u not in UNITS]
    fails += [f"indicator {n}: indicator_dp {d!r}" for n, d in zip(indicators["col_name"], indicators["indicator_dp"])
              if d and not re.fullmatch(r"[0-9]+", d)]
    for n, g in zip(meta["col_name"], meta["filter_grouping_column"]):
        if g and (g not in data.columns or g in set(filters["col_name"])):
            fails.append(f"{n}: filter_grouping_column {g!r}")
    # time
    identifiers = set(data["time_identifier"])
    fails += [f"time_identifier {t!r} not allowed" for t in sorted(identifiers - set(MONTHS))]
    if identifiers <= set(MONTHS):
        fails += [f"time_period {p!r} is not four digits" for p in sorted(set(data["time_period"]))
                  if not re.fullmatch(r"[0-9]{4}", p)]
    # geography
    fails += [f"geographic_level {g!r}" for g in sorted(set(data["geographic_level"]) - set(LEVELS))]
    for level, needed in LEVELS.items():
        rows = data[data["geographic_level"] == level]
        for col in needed:
            if len(rows) and (col not in data.columns or (rows[col].str.strip() == "").any()):
                fails.append(f"{level} rows without {col}")
    pairs = set(zip(data["country_code"], data["country_name"]))
    fails += [f"country {code} {name!r} unknown" for code, name in sorted(pairs - COUNTRIES)]
    # cells
    for name in filters["col_name"]:
        values = data[name]
        if (values.str.strip() == "").any():
            fails.append(f"filter {name} has blank cells")
        if (values != values.str.strip()).any():
            fails.append(f"filter {name} has surrounding whitespace")
        if "Total" not in set(values):
            fails.append(f"filter {name} has no Total")
    for name in indicators["col_name"]:
        bad = [v for v in data[name] if v in LEGACY_SYMBOLS or v == ""
               or not (v in SYMBOLS or re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", v))]
        if bad:
            fails.append(f"indicator {name}: invalid entries {sorted(set(bad))[:3]}")
    keys = [*REQUIRED_DATA, *sorted(GEOGRAPHY & set(data.columns)), *filters["col_name"]]
    if data.duplicated(keys).any():
        fails.append("duplicate rows for the same time, geography and filters")
    return fails


def measures():
    rows = []
    for i, p in enumerate(["2014-05", "2014-06", "2014-07", "2014-08"]):
        rows += [
            ("T2", p, "caseload", "all", 2_000.0 + 500 * i, "count"),
            ("T2", p, "caseload", "new_application", 1_500.0 + 400 * i, "count"),
            ("T2", p, "caseload", "arrears_only", 500.0 + 100 * i, "count"),
            ("T3", p, "fee_exemptions", "all", 356.0 + i, "count"),
            ("T3", p, "fee_exemptions", "under_19", 7.0, "count"),
            ("T3", p, "fee_exemptions", "domestic_violence", 349.0 + i, "count"),
            ("T3", p, "fee_exemption_share", "all", 0.3249, "share"),
            ("T8", p, "outstanding_arrears", "all", 1_050_000.0 * (i + 1), "gbp"),
            ("T4", p, "cases_paying", "all", 10_000.0, "count"),
            ("T4", p, "mean_children_per_case", "estimate", 1.5132, "mean"),
            ("T4", p, "sample_size", "all", 1_100.0, "count"),
        ]
    rows.append(("T9", "2014-07", "changes_of_circumstances_received", "all", 5_049.0, "count"))
    return pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"])


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ees")
    published = publish_tidy(measures(), POLICY)
    write_csv(published, folder, POLICY, period="2014-08", is_synthetic=True)
    return folder / "csv", published


def test_every_ees_file_passes_the_screener_rules(release):
    csv_dir, _ = release
    data_files = sorted(p for p in (csv_dir / "ees").glob("*.csv") if not p.name.endswith(".meta.csv"))
    assert [p.name for p in data_files] == ["table_2.csv", "table_3.csv", "table_4.csv", "table_8.csv",
                                            "table_9.csv"]
    metas = sorted(p.name for p in (csv_dir / "ees").glob("*.meta.csv"))
    assert metas == [p.name.replace(".csv", ".meta.csv") for p in data_files]
    for path in data_files:
        assert screen(path) == [], path.name


def test_ees_figures_are_the_published_figures(release):
    """Every published figure is in the EES file (symbols without brackets); every other cell
    is a measure without that breakdown, not applicable (z)."""
    csv_dir, published = release
    for table, stem in [("T2", "table_2"), ("T3", "table_3"), ("T4", "table_4"), ("T8", "table_8")]:
        data = pd.read_csv(csv_dir / "ees" / f"{stem}.csv", dtype=str, keep_default_na=False)
        meta = pd.read_csv(csv_dir / "ees" / f"{stem}.meta.csv", dtype=str, keep_default_na=False)
        indicators = list(meta.loc[meta["col_type"] == "Indicator", "col_name"])
        long = data.melt(id_vars=["time_period", "time_identifier", "breakdown"], value_vars=indicators,
                         var_name="measure", value_name="ees")
        long["period"] = long["time_period"] + "-" + long["time_identifier"].map(
            lambda m: f"{['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'].index(m) + 1:02d}")
        part = published[published["table"] == table].copy()
        labels = {"all": "Total", "new_application": "New applications", "arrears_only": "Arrears only",
                  "under_19": "Under 19", "domestic_violence": "Domestic violence", "estimate": "Estimate"}
        part["breakdown"] = part["breakdown"].map(lambda b: labels.get(b, b))
        merged = part.merge(long, on=["period", "measure", "breakdown"], how="outer", indicator=True)
        assert set(merged["_merge"]) <= {"both", "right_only"}, table
        both = merged[merged["_merge"] == "both"].reset_index(drop=True)
        pd.testing.assert_series_equal(both["ees"], both["value"].str.strip("[]"), check_names=False)
        assert set(merged.loc[merged["_merge"] == "right_only", "ees"]) <= {"z"}, table
        meta_of = dict(zip(meta["col_name"], meta["indicator_unit"]))
        assert {m: meta_of[m] for m in indicators if m in {"fee_exemption_share", "outstanding_arrears"}} == (
            {"fee_exemption_share": "%"} if table == "T3" else {"outstanding_arrears": "£m"} if table == "T8" else {})


def test_the_screener_rules_can_fail(release, tmp_path):
    csv_dir, _ = release
    src = csv_dir / "ees" / "table_3.csv"
    meta_src = csv_dir / "ees" / "table_3.meta.csv"
    data = pd.read_csv(src, dtype=str, keep_default_na=False)
    meta = pd.read_csv(meta_src, dtype=str, keep_default_na=False)

    def run(d, m, name="table_x.csv"):
        d.to_csv(tmp_path / name, index=False)
        m.to_csv(tmp_path / name.replace(".csv", ".meta.csv"), index=False)
        return screen(tmp_path / name)

    assert run(data, meta) == []
    bad = data.copy()
    bad.loc[0, "fee_exemptions"] = "[c]"
    assert run(bad, meta) == ["indicator fee_exemptions: invalid entries ['[c]']"]
    bad = data.copy()
    bad.loc[0, "fee_exemptions"] = ""
    assert run(bad, meta) == ["indicator fee_exemptions: invalid entries ['']"]
    bad = data.copy()
    bad["country_code"] = "K03000009"
    assert run(bad, meta) == ["country K03000009 'Great Britain' unknown"]
    bad = data.copy()
    bad.loc[0, "time_identifier"] = "Month 8"
    assert run(bad, meta) == ["time_identifier 'Month 8' not allowed"]
    assert run(data.drop(columns="country_name"), meta) == ["data lacks required column country_name"]
    assert run(data, meta.iloc[:-1]) == [f"data column {meta['col_name'].iloc[-1]} not in the meta"]
    bad = meta.copy()
    bad.loc[bad["col_name"] == "fee_exemption_share", "indicator_unit"] = "percent"
    assert run(data, bad) == ["indicator fee_exemption_share: unit 'percent'"]
    bad = data.copy()
    bad["breakdown"] = bad["breakdown"].replace("Total", "All")
    assert run(bad, meta) == ["filter breakdown has no Total"]
    assert run(pd.concat([data, data.iloc[:1]]), meta) == ["duplicate rows for the same time, geography and filters"]
    assert run(data, meta, "Table 3.csv") == ["file name 'Table 3.csv' has spaces or special characters"]
