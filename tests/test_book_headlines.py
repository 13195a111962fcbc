"""Headlines and changes on the quarter, on a hand-made tidy frame with the sentences written out."""

from __future__ import annotations

import pandas as pd
import pytest

from cms_stats.book.headlines import headlines, quarter_changes
from cms_stats.publish.policy import load_policy
from test_book_fixtures import PERIOD, book_measures


@pytest.fixture(scope="module")
def policy():
    return load_policy()


EXPECTED = [
    ("caseload",
     "Caseload stood at 338,900 as of the end of August 2016, an increase of 19% from May 2016."),
    ("outstanding_arrears",
     "Outstanding maintenance arrears were £77.5m in August 2016, 22% higher than the May 2016 figure."),
    ("changes_of_circumstances",
     "Changes of circumstances received in July 2016 were 166,200, the highest level ever; 81% were "
     "cleared within 28 days, a decrease from 88% in April 2016."),
    ("total_intake",
     "Total intake was 21,400 in August 2016, an increase of 2.9% from May 2016."),
    ("compliance",
     "In the quarter to August 2016, 88% of case groups with a current liability were contributing "
     "towards it, unchanged from 88% in the quarter to May 2016; 89% of cash due was paid."),
    ("children_benefiting",
     "In the quarter to August 2016, an estimated 281,100 children benefited from maintenance (95% "
     "confidence interval 272,000 to 290,200), an increase of 12% from the quarter to May 2016."),
    ("accuracy",
     "Accuracy was 100% in August 2016 (checked calculations within £1 or 2% of the correct amount), "
     "up 5 percentage points from 95% in May 2016."),
]


def test_headline_sentences(policy):
    got = headlines(book_measures(), PERIOD, policy)
    assert [(h.key, h.text) for h in got] == EXPECTED


def test_changes_are_computed_from_unrounded_values(policy):
    by_key = {h.key: h for h in headlines(book_measures(), PERIOD, policy)}
    caseload = by_key["caseload"]
    assert caseload.change == pytest.approx(338_900 / 284_790 - 1)
    assert caseload.compare_month == "2016-05"
    arrears = by_key["outstanding_arrears"]
    assert arrears.change == pytest.approx(77_512_345 / 63_534_709 - 1)
    assert arrears.shown == "£77.5m"
    # 87.9% vs 88.2%: -0.3 points unrounded, which rounds to "unchanged" in whole points.
    assert by_key["compliance"].change == pytest.approx(0.879 - 0.882)
    coc = by_key["changes_of_circumstances"]
    assert (coc.month, coc.compare_month) == ("2016-07", "2016-04")


def test_decrease_and_not_highest(policy):
    frame = book_measures()
    caseload = (frame["measure"] == "caseload") & (frame["breakdown"] == "all")
    frame.loc[caseload & (frame["period"] == PERIOD), "value"] = 270_000.0
    received = frame["measure"] == "changes_of_circumstances_received"
    frame.loc[received & (frame["period"] == "2015-09"), "value"] = 200_000.0
    by_key = {h.key: h.text for h in headlines(frame, PERIOD, policy)}
    assert by_key["caseload"] == (
        "Caseload stood at 270,000 as of the end of August 2016, a decrease of 5.2% from May 2016.")
    assert "highest" not in by_key["changes_of_circumstances"]


def test_missing_measure_leaves_headline_out(policy):
    frame = book_measures()
    frame = frame[frame["table"] != "T14"]
    assert "accuracy" not in [h.key for h in headlines(frame, PERIOD, policy)]


def test_quarter_changes_table(policy):
    table = quarter_changes(book_measures(), PERIOD, policy)
    rows = table.set_index("Measure")
    assert rows.loc["Caseload", ["Latest", "Three months earlier", "Change"]].tolist() == [
        "338,900", "284,800", "+19%"]
    assert rows.loc["Outstanding arrears", "Change"] == "+22%"
    assert rows.loc["Accuracy share", "Change"] == "+5 pp"
    coc = rows.loc["Changes of circumstances received"]
    assert (coc["Latest month"], coc["Latest"]) == ("July 2016", "166,200")
    assert rows.loc["Cleared within 28 days share", "Change"] == "-7 pp"
    assert isinstance(table, pd.DataFrame) and list(table.columns)[0] == "Measure"
