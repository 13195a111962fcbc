"""Formatting helpers against worked examples."""

import math

import pytest

from cms_stats import months
from cms_stats.book import format as fmt


@pytest.mark.parametrize("value, text", [(338900.0, "338,900"), (255, "255"), (1_234_567, "1,234,567"),
                                         (0, "0"), (math.nan, "[x]")])
def test_fmt_count(value, text):
    assert fmt.fmt_count(value) == text


@pytest.mark.parametrize("value, long, text", [(77_512_345, False, "£77.5m"),
                                               (594_912_345, True, "£594.9 million"),
                                               (49_999, False, "£0.0m"), (1_050_000, False, "£1.1m")])
def test_fmt_gbp_millions(value, long, text):
    assert fmt.fmt_gbp_millions(value, long=long) == text


@pytest.mark.parametrize("share, text", [(0.884, "88%"), (0.885, "89%"), (1.0, "100%"), (0.005, "1%")])
def test_fmt_share_rounds_half_up(share, text):
    assert fmt.fmt_share(share) == text


@pytest.mark.parametrize("change, text", [(0.19, "19%"), (0.029, "2.9%"), (-0.052, "5.2%"),
                                          (0.0995, "10%"), (0.22, "22%")])
def test_fmt_percent_change(change, text):
    assert fmt.fmt_percent_change(change) == text


def test_pp_and_phrases():
    assert fmt.fmt_pp(0.05) == "5 percentage points"
    assert fmt.fmt_pp(-0.01) == "1 percentage point"
    assert fmt.fmt_pp(0.04, adjective=True) == "4 percentage point"
    assert fmt.fmt_pp(-0.0336, decimals=1) == "3.4 percentage points"
    assert fmt.fmt_pp(0.0336, adjective=True, decimals=1) == "3.4 percentage point"
    assert fmt.fmt_pp(0.01, decimals=1) == "1.0 percentage points"
    assert fmt.change_phrase(0.19, "2016-05") == "an increase of 19% from May 2016"
    assert fmt.change_phrase(-0.029, "2016-05") == "a decrease of 2.9% from May 2016"
    assert fmt.change_phrase(0.0004, "2016-05") == "little changed from May 2016"
    assert fmt.change_phrase(0.001, "2016-05") == "an increase of 0.1% from May 2016"
    assert fmt.pp_change_phrase(0.05, "2016-05", "95%") == "up 5 percentage points from 95% in May 2016"
    assert fmt.pp_change_phrase(-0.003, "2016-05", "88%", quarter=True) == (
        "unchanged from 88% in the quarter to May 2016")


def test_whole_points_rounds_half_up():
    # 3.5 points -> 4 (half up, not to even); 0.3 points -> 0 ("unchanged")
    assert fmt.whole_points(-0.035) == 4
    assert fmt.whole_points(0.025) == 3
    assert fmt.whole_points(0.003) == 0


def test_months():
    # the chapter helpers' names for cms_stats.months
    assert months.month_words("2016-08") == "August 2016"
    assert months.month_name("2016-08") == "August"
    assert months.month_short("2016-08") == "Aug 2016"
    assert months.add_months("2016-01", -1) == "2015-12"
    assert months.add_months("2016-08", -3) == "2016-05"
    assert months.add_months("2015-11", 3) == "2016-02"


def test_a_change_under_half_a_point_never_contradicts_the_figures_shown():
    # 88.6% against 88.4%: both show as 89% and 88%, so "unchanged" would contradict them.
    assert fmt.pp_change_phrase(0.002, "2016-05", "88%", quarter=True, current_text="89%") == (
        "up by less than half a percentage point from 88% in the quarter to May 2016")
    assert fmt.pp_change_phrase(-0.003, "2016-05", "88%", quarter=True, current_text="88%") == (
        "unchanged from 88% in the quarter to May 2016")
