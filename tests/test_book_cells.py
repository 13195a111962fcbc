"""How the book's tables write a cell: numbers and symbols right-aligned, text left-aligned,
every symbol a link to the Methodology's note on it."""

import pytest

from cms_stats.book.cells import td


@pytest.mark.parametrize("value, html", [
    ("1,310", '<td style="text-align:right">1,310</td>'),
    ("£77.5m", '<td style="text-align:right">£77.5m</td>'),
    ("-2.4%", '<td style="text-align:right">-2.4%</td>'),
    ("+1 pp", '<td style="text-align:right">+1 pp</td>'),
    ("[c]", '<td style="text-align:right"><a href="methodology.html#protecting-confidentiality">[c]</a></td>'),
    ("[low]", '<td style="text-align:right"><a href="methodology.html#protecting-confidentiality">[low]</a></td>'),
    ("[x]", '<td style="text-align:right"><a href="methodology.html#rounding-and-symbols">[x]</a></td>'),
    ("revised: changed by 5% or more", '<td class="cms-text">revised: changed by 5% or more</td>'),
    ("August 2016", '<td class="cms-text">August 2016</td>'),
    ("<b>", '<td class="cms-text">&lt;b&gt;</td>'),
])
def test_cells(value, html):
    assert td(value) == html
