"""The Summary's headline tiles on the book fixture, with the changes worked by hand."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from cms_stats.book import headlines as H
from cms_stats.book.tiles import headline_tiles, tile_change
from cms_stats.publish.policy import load_policy
from test_book_fixtures import PERIOD, book_measures


@pytest.fixture(scope="module")
def tiles():
    measures, policy = book_measures(), load_policy()
    found = H.headlines(measures, PERIOD, policy)
    return found, headline_tiles(found, measures, policy)


def test_each_headline_is_a_tile_with_its_figure_change_meaning_and_chapter(tiles):
    found, (page, text) = tiles
    assert page.count('<li class="cms-tile">') == len(found) == 7
    lines = text.splitlines()
    # caseload 338,900 against 284,790 in May: +19.0%
    assert lines[0].startswith("Caseload, August 2016: 338,900. Up 19% on May 2016. Caseload stood")
    # total intake 21,400 against 20,797: +2.9%
    assert "Total intake, August 2016: 21,400. Up 2.9% on May 2016." in text
    # compliance 88% in both quarters as published
    assert "of those with a current liability, August 2016: 88%. Unchanged on May 2016." in text
    # changes of circumstances are published to July: 81% against 88% in April, 7 points
    assert "July 2016: 81%. Down 7 percentage points on April 2016." in text
    assert '<a href="caseload.html">Caseload</a>' in page
    assert '<a href="service_standards.html">' in page  # T9 and T14 link to their chapter


def test_no_change_is_shown_beside_a_withheld_figure(tiles):
    h = tiles[0][0]
    assert tile_change(replace(h, shown="[c]"), "300,000") == "No comparison with May 2016"
    assert tile_change(h, "[c]") == "No comparison with May 2016"
    assert tile_change(h, None) == "No comparison with May 2016"
    assert tile_change(replace(h, change=math.nan), "300,000") == "No comparison with May 2016"


def test_percentage_point_changes_say_point_once(tiles):
    share = next(h for h in tiles[0] if h.change_kind == "points")
    assert tile_change(replace(share, change=0.012), "80%").startswith("Up 1 percentage point on")
    assert tile_change(replace(share, change=-0.031), "80%").startswith("Down 3 percentage points")


def test_the_comparison_is_read_as_published(tiles):
    """With the published frame, a tile compares with the figure as published: the caseload of
    May 2016 withheld there ([c]) gives no comparison, and the others are unchanged."""
    from cms_stats.publish.rounding import publish_tidy

    measures, policy = book_measures(), load_policy()
    found = tiles[0]
    caseload = found[0]
    published = publish_tidy(measures, policy)
    at = ((published["table"] == caseload.table) & (published["measure"] == caseload.measure)
          & (published["period"] == caseload.compare_month)
          & (published["breakdown"] == caseload.breakdown))
    assert at.sum() == 1
    _, as_published = headline_tiles(found, measures, policy, published)
    assert as_published == tiles[1][1]
    _, text = headline_tiles(found, measures, policy, published.assign(
        value=published["value"].mask(at, "[c]")))
    lines, before = text.splitlines(), tiles[1][1].splitlines()
    assert lines[0].startswith("Caseload, August 2016: 338,900. No comparison with May 2016.")
    assert lines[1:] == before[1:]
