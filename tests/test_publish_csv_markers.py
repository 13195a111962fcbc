"""The published CSV files: numbers and symbols in their own columns, and what the files are."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from cms_stats.publish.policy import load_metadata, load_policy
from cms_stats.publish.rounding import publish_tidy
from cms_stats.publish.tidy_csv import read_csv, split_value, write_csv

POLICY = load_policy()
META = load_metadata()


def measures():
    """Every symbol: [c] (a count under 10), [low] (a count that rounds to 0 at base 100),
    [z] (fees before July 2014), [x] (a missing month of a month grid)."""
    rows = []
    for i, p in enumerate(["2014-05", "2014-06", "2014-07", "2014-08"]):
        rows += [
            ("T1", p, "new_applications", "all", [1_234.0, 7.0, 40.0, 2_050.0][i], "count"),
            ("T1", p, "total_intake", "all", 1_300.0 + 100 * i, "count"),
            ("T3", p, "fee_exemptions", "all", 356.0 + i, "count"),
            ("T3", p, "fee_exemption_share", "all", 0.3249, "share"),
            ("T8", p, "outstanding_arrears", "all", 1_050_000.0 * (i + 1), "gbp"),
        ]
        if p != "2014-08":
            rows.append(("T9", p, "changes_of_circumstances_received", "all", 5_049.0, "count"))
    rows.append(("T9", "2014-08", "changes_of_circumstances_cleared", "all", 4_000.0, "count"))
    return pd.DataFrame(rows, columns=["table", "period", "measure", "breakdown", "value", "unit"])


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("csv")
    published = publish_tidy(measures(), POLICY)
    edition = {"id": "2014-08", "period": "2014-08", "published": "2014-10-28"}
    write_csv(published, folder, POLICY, edition=edition, period="2014-08", is_synthetic=True)
    return folder, published


def _by_hand(value: str) -> tuple[float, object]:
    """The published text read by a person: a number, or a symbol in square brackets."""
    if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        return float(value), np.nan
    assert re.fullmatch(r"\[[a-z]+\]", value), value
    return np.nan, value


def test_number_and_marker_columns_equal_the_value_column_parsed_by_hand(release):
    folder, published = release
    files = sorted((folder / "csv").glob("*.csv"))
    loaded = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)  # no dtype, no parsing
    assert pd.api.types.is_float_dtype(loaded["value_numeric"])
    text = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    parsed = [_by_hand(v) for v in text["value"]]
    expected = pd.DataFrame({"value_numeric": [n for n, _ in parsed],
                             "marker": pd.Series([m for _, m in parsed], dtype=object)})
    pd.testing.assert_frame_equal(loaded[["value_numeric", "marker"]], expected)
    # every kind of symbol is exercised, and exactly one of the two columns is filled
    assert set(loaded["marker"].dropna()) == {"[c]", "[low]", "[x]", "[z]"}
    assert (loaded["value_numeric"].isna() != loaded["marker"].isna()).all()
    # the old column is unchanged: the tidy frame reads back as published
    back = read_csv(folder)
    key = ["table", "period", "measure", "breakdown"]
    pd.testing.assert_frame_equal(back.sort_values(key).reset_index(drop=True),
                                  published.sort_values(key).reset_index(drop=True))


def test_an_unknown_published_value_is_refused_naming_the_figure():
    frame = publish_tidy(measures(), POLICY)
    frame.loc[0, "value"] = "1,234"
    with pytest.raises(ValueError, match=r"T1 2014-05 new_applications all: published value '1,234'"):
        split_value(frame, POLICY)


def test_metadata_says_what_the_files_are(release):
    folder, _ = release
    meta = json.loads((folder / "csv" / "metadata.json").read_text(encoding="utf-8"))
    pub = META["publication"]
    facts = meta["publication"]
    assert facts["title"] == pub["title"] and facts["period"] == "2014-08"
    assert facts["period_words"] == "August 2014"
    assert facts["geography"] == {"name": "Great Britain", "code": "K03000001", "level": "country"}
    assert facts["synthetic"] is True and "SYNTHETIC DATA" in facts["synthetic_statement"]
    assert facts["statistics_status"] == pub["statistics_status"]
    assert facts["licence"] == pub["licence"] and "Open Government Licence v3.0" in facts["licence"]
    assert facts["contact"] == pub["contact"]
    assert facts["published"] == "2014-10-28"
    assert facts["how_to_cite"] == (
        f"{pub['producer']}, {pub['title']}: data to August 2014 (synthetic data, not official "
        "statistics), published 2014-10-28. Great Britain. Open Government Licence v3.0.")
    for column in ("value_numeric", "marker"):
        assert meta["columns"][column]
    for symbol in ("[c]", "[x]", "[z]", "[low]"):
        assert symbol in meta["columns"]["marker"]
    listed = meta["ees"]["files"]
    assert [f["table"] for f in listed] == ["T1", "T3", "T8", "T9"]
    for f in listed:
        assert (folder / "csv" / f["data"]).is_file() and (folder / "csv" / f["meta"]).is_file()


def test_not_synthetic_says_so(tmp_path):
    write_csv(publish_tidy(measures(), POLICY), tmp_path, POLICY, period="2014-08", is_synthetic=False)
    facts = json.loads((tmp_path / "csv" / "metadata.json").read_text())["publication"]
    assert facts["synthetic"] is False and "synthetic_statement" not in facts
    assert "synthetic" not in facts["how_to_cite"] and "published" not in facts
