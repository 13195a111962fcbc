"""Each chart helper returns a figure and an alt text that mentions the latest published value."""

import hashlib

import matplotlib.figure
import pytest

from cms_stats.book import charts
from cms_stats.measures.arrears import direct_pay_sensitivity
from cms_stats.publish.policy import load_policy
from test_book_fixtures import PERIOD, book_measures

# chart -> a published figure of the fixture its alt text must contain
LATEST = {
    "intake_chart": "21,400",
    "caseload_chart": "338,900",
    "fee_exemptions_chart": "33%",
    "children_chart": "281,100",
    "compliance_chart": "88%",
    "service_type_chart": "70%",
    "arrears_share_chart": "13%",
    "arrears_liability_chart": "£594.9 million",
    "changes_of_circumstances_chart": "166,200",
    "reconsiderations_chart": "83%",
    "appeals_chart": "70",
    "complaints_chart": "255",
    "telephony_chart": "86%",
    "accuracy_chart": "100%",
}


@pytest.fixture(scope="module")
def measures():
    return book_measures()


@pytest.mark.parametrize("name", sorted(LATEST))
def test_chart_returns_figure_and_alt(name, measures):
    fig, alt = getattr(charts, name)(measures, PERIOD, load_policy())
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        assert fig.axes[0].get_title(loc="left")  # a title stating the message
        # changes of circumstances are published to the month before the period
        month = "July 2016" if name == "changes_of_circumstances_chart" else "August 2016"
        assert alt and LATEST[name] in alt and month in alt
    finally:
        charts.plt.close(fig)


def test_caseload_title_states_the_change(measures):
    fig, _ = charts.caseload_chart(measures, PERIOD, load_policy())
    assert fig.axes[0].get_title(loc="left") == "Caseload has grown by 19% since May 2016"
    charts.plt.close(fig)


def test_direct_pay_sensitivity_chart():
    # A = 77.5m, TML = 594.9m, D = 400m: each 5 points of non-compliance adds 0.05 * D / TML.
    grid = direct_pay_sensitivity(77.5e6, 594.9e6, 400e6)
    fig, alt = charts.direct_pay_sensitivity_chart(grid, PERIOD)
    step = charts.sensitivity_step(grid)
    assert step == pytest.approx(0.05 * 400e6 / 594.9e6)
    assert "13%" in alt and "3 percentage points" in alt
    charts.plt.close(fig)


def test_png_is_deterministic(measures):
    policy = load_policy()
    one = charts.chart_figure(charts.children_chart(measures, PERIOD, policy))
    two = charts.chart_figure(charts.children_chart(measures, PERIOD, policy))
    assert hashlib.sha256(one.png).digest() == hashlib.sha256(two.png).digest()
    assert one.png[:8] == b"\x89PNG\r\n\x1a\n"
    html = one._repr_html_()
    assert 'alt="' in html and "281,100" in html


def test_chart_style_uses_afcharts_palette():
    from afcharts.af_colours import get_af_colours

    assert charts.palette() == get_af_colours("categorical")
    assert charts._base_style_path().is_file()


def test_charts_do_not_reveal_suppressed_small_counts():
    """A count the tables publish as [c] (here 3 appeals with a CMS outcome) draws no bar."""
    import math

    import pandas as pd

    frame = book_measures()
    mask = ((frame["table"] == "T11") & (frame["measure"] == "appeals_cleared")
            & (frame["breakdown"] == "cms_outcome") & (frame["period"] == "2015-08"))
    assert mask.sum() == 1
    frame.loc[mask, "value"] = 3.0
    fig, _ = charts.appeals_chart(frame, PERIOD, load_policy())
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert 3.0 not in heights
    assert any(math.isnan(h) for h in heights)          # the suppressed bar is a gap
    assert 20.0 in heights and 50.0 in heights          # published counts are drawn
    assert isinstance(frame, pd.DataFrame)
