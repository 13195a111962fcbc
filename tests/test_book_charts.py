"""Every chart of ``resources/charts.yaml`` returns a figure and an alt text that mentions the
latest published value; titles state the message; small counts are gaps."""

import contextlib
import hashlib
import math

import matplotlib.figure
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from afcharts.af_colours import get_af_colours

from cms_stats.book import charts
from cms_stats.publish.policy import load_policy
from test_book_fixtures import PERIOD, book_measures

# chart -> a published figure of the fixture its alt text must contain
LATEST = {
    "intake": "21,400",
    "caseload": "338,900",
    "fee_exemptions": "33%",
    "children": "281,100",
    "compliance": "88%",
    "service_type": "70%",
    "service_type_transfers": "6,660",
    "arrears_share": "13%",
    "arrears_liability": "£594.9 million",
    # A = £77.5m, TML = £594.9m: 13% at full compliance.
    "direct_pay_sensitivity": "13%",
    "changes_of_circumstances": "166,200",
    "reconsiderations": "83%",
    "appeals": "70",
    "complaints": "255",
    "telephony": "86%",
    "accuracy": "100%",
    "clearances": "14,660",
    "time_to_clear": "64%",
    "closures": "2,230",
    "shared_care": "24,030",
    "enforcement_actions": "2,930",
    "legacy_csa_arrears": "£529.4 million",
    "areas_caseload": "London 44,090",
    # 2,000 cases for 77,532 residents; the other constituencies have about 50 per 10,000
    "constituency_map": "Aldridge-Brownhills, 258 per 10,000 (2,000 cases)",
}


@pytest.fixture(scope="module")
def measures():
    return book_measures()


def test_every_chart_has_an_expected_figure():
    assert set(charts.chart_names()) == set(LATEST)


@pytest.mark.parametrize("name", charts.chart_names())
def test_chart_returns_figure_and_alt(name, measures):
    fig, alt = charts.chart(name, measures, PERIOD, load_policy())
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        assert fig.axes[0].get_title(loc="left")  # a title stating the message
        # changes of circumstances are published to the month before the period
        month = "July 2016" if name == "changes_of_circumstances" else "August 2016"
        assert alt and LATEST[name] in alt and month in alt
        assert "{" not in alt and "}" not in alt  # every placeholder of the spec filled in
    finally:
        charts.plt.close(fig)


def _text_outside(fig) -> list[str]:
    """Every text of a drawn figure (title, labels, ticks, direct labels, legend) that reaches
    beyond the picture's edges, with its extent in pixels."""
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    undrawn = set()  # tick labels beyond an axis's limits, or of an axis off, are not drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            undrawn.update(id(label) for at, label in zip(axis.get_majorticklocs(),
                                                         axis.get_majorticklabels())
                           if not (ax.axison and low - 1e-9 <= at <= high + 1e-9))
    outside = []
    for text in fig.findobj(matplotlib.text.Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        box = text.get_window_extent()
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5:
            outside.append(f"{text.get_text()!r}: x {box.x0:.0f}..{box.x1:.0f} of {width}, "
                           f"y {box.y0:.0f}..{box.y1:.0f} of {height}")
    return outside


@pytest.mark.parametrize("name", charts.chart_names())
@pytest.mark.parametrize("phone", [False, True], ids=["page", "phone"])
def test_every_text_of_a_chart_is_inside_its_picture(name, phone, measures):
    """Titles, direct labels and ticks stay on the picture at the page size and at the phone
    size (the areas chart's title ran off the page picture: its wrap was undone)."""
    from cms_stats.book.style import phone_size

    with phone_size() if phone else contextlib.nullcontext():
        fig, _ = charts.chart(name, measures, PERIOD, load_policy())
        try:
            assert _text_outside(fig) == []
        finally:
            charts.plt.close(fig)


def _months(first: str, count: int) -> list[str]:
    year, month = map(int, first.split("-"))
    return [f"{year + (month - 1 + i) // 12}-{(month - 1 + i) % 12 + 1:02d}" for i in range(count)]


@pytest.mark.parametrize("count", [13, 37, 61, 120])
@pytest.mark.parametrize("phone", [False, True], ids=["page", "phone"])
def test_month_labels_never_run_together_however_long_the_series(count, phone):
    """A series of editions reaches ten years: at 120 months the phone's labels (every 12th
    month) ran into one another. Every x label is drawn apart from the next, the period is
    labelled, and no more labels than the size allows."""
    from cms_stats.book.style import figure_size, phone_size

    months = _months("2013-08", count)
    growth = np.linspace(1_000, 400_000, count)
    measures = pd.DataFrame(
        [("T2", m, "caseload", b, v * share, "count") for m, v in zip(months, growth)
         for b, share in (("all", 1.0), ("new_application", 0.75), ("arrears_only", 0.25))],
        columns=["table", "period", "measure", "breakdown", "value", "unit"])
    with phone_size() if phone else contextlib.nullcontext():
        most = figure_size()["max_month_ticks"]
        fig, _ = charts.chart("caseload", measures, months[-1], load_policy())
        try:
            fig.canvas.draw()
            ax = fig.axes[0]
            low, high = ax.get_xlim()
            labels = [label for at, label in zip(ax.get_xticks(), ax.get_xticklabels())
                      if low <= at <= high and label.get_text()]
            boxes = sorted((label.get_window_extent() for label in labels), key=lambda b: b.x0)
        finally:
            charts.plt.close(fig)
    assert 2 <= len(labels) <= most
    assert labels[-1].get_text().replace("\n", " ") == charts.month_short(months[-1])
    gaps = [right.x0 - left.x1 for left, right in zip(boxes, boxes[1:])]
    assert min(gaps) >= 4, f"{count} months: x labels {gaps} pixels apart"


def test_a_chapter_figure_gives_a_phone_screen_its_own_picture(measures):
    """``book_figure``: the page picture 800 px wide, the phone's 440 px, offered to screens up
    to 600 px by the ``<picture>``; the caption is the page chart's title."""
    import base64
    import io
    import re

    from PIL import Image

    figure = charts.book_figure("appeals", measures, PERIOD, load_policy(), table="T11")
    html = figure._repr_html_()
    source = re.search(r'<source media="screen and \(max-width: 600px\)" '
                       r'srcset="data:image/png;base64,([^"]+)" />', html)
    image = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', html)
    assert source and image
    assert base64.b64decode(source.group(1)) == figure.phone_png
    assert base64.b64decode(image.group(1)) == figure.png
    assert Image.open(io.BytesIO(figure.png)).size == (800, 450)
    assert Image.open(io.BytesIO(figure.phone_png)).size == (440, 400)
    assert "<figcaption>70 appeals were cleared in August 2016. The figures are in Table 11." in html
    assert 'id="chart-appeals"' in html and "cms-chart-scroll" not in html


@pytest.mark.parametrize("name, title", [
    # The message of the span drawn (August 2015 to August 2016), in published figures: the
    # fixture's caseload 180,000 and 338,900 (to the nearest 100); intake 9,000 + 4,000 and
    # 11,400 + 10,000.
    ("caseload", "Caseload has grown from 180,000 in August 2015 to 338,900 in\nAugust 2016"),
    ("intake", "Total intake has grown from 13,000 in August 2015 to 21,400 in\nAugust 2016"),
    ("changes_of_circumstances", "81% of changes received in July 2016 were cleared within 28\ndays"),
    ("appeals", "70 appeals were cleared in August 2016"),
])
def test_title_states_the_message(measures, name, title):
    fig, _ = charts.chart(name, measures, PERIOD, load_policy())
    assert fig.axes[0].get_title(loc="left") == title
    charts.plt.close(fig)


@pytest.mark.parametrize("name, trend", [
    ("intake", "Over the months shown, total intake rose from 13,000 in August 2015 to 21,400 in "
               "August 2016."),
    # 69% to 70%: the Direct Pay share of the fixture, as published (whole percent).
    ("service_type", "Over the months shown, \u201cDirect Pay\u201d rose from 69% in August 2015 "
                     "to 70% in August 2016."),
    # equal as published: no direction claimed from unrounded figures
    ("telephony", "Over the months shown, \u201cAnswered\u201d was 98% in August 2015 and 98% in "
                  "August 2016."),
    # its highest month is inside the span, and named
    ("arrears_share", "(highest 13% in May 2016)."),
])
def test_alt_text_describes_the_trend_over_the_span(measures, name, trend):
    fig, alt = charts.chart(name, measures, PERIOD, load_policy())
    charts.plt.close(fig)
    assert alt.endswith(trend)


def test_direct_pay_sensitivity_chart():
    # A = 77.5m, TML = 594.9m, D = 400m: each 5 points of non-compliance adds 0.05 * D / TML
    # = 3.4 points; at 80% compliance the share is (77.5 + 0.2 * 400) / 594.9 = 26%.
    frame = pd.DataFrame({
        "table": "T8", "period": PERIOD,
        "measure": ["outstanding_arrears", "total_maintenance_liability", "total_maintenance_liability"],
        "breakdown": ["all", "all", "direct_pay"],
        "value": [77.5e6, 594.9e6, 400e6], "unit": "gbp"})
    fig, alt = charts.chart("direct_pay_sensitivity", frame, PERIOD, load_policy())
    step = charts.sensitivity_step(charts.sensitivity_grid(frame, PERIOD))
    assert step == pytest.approx(0.05 * 400e6 / 594.9e6)
    assert fig.axes[0].get_title(loc="left") == (
        "Each 5 percentage point fall in Direct Pay compliance adds\nabout 3.4 percentage points")
    assert alt == (
        "Line chart of arrears as a share of total maintenance liability in August 2016 under "
        "Direct Pay compliance from 100% down to 80%. At full compliance the share is 13%; at 80% "
        "compliance it would be 26%. Each 5 percentage point reduction adds about 3.4 percentage "
        "points.")
    charts.plt.close(fig)


def test_png_is_deterministic(measures):
    policy = load_policy()
    one = charts.chart_figure(charts.chart("children", measures, PERIOD, policy))
    two = charts.chart_figure(charts.chart("children", measures, PERIOD, policy))
    assert hashlib.sha256(one.png).digest() == hashlib.sha256(two.png).digest()
    assert one.png[:8] == b"\x89PNG\r\n\x1a\n"
    html = one._repr_html_()
    assert 'alt="' in html and "281,100" in html


def test_chart_style_uses_afcharts_palette():
    assert charts.palette() == get_af_colours("categorical")
    assert charts._base_style_path().is_file()


def test_charts_do_not_reveal_suppressed_small_counts():
    """A count the tables publish as [c] (here 3 appeals with a CMS outcome) draws no bar."""
    frame = book_measures()
    mask = ((frame["table"] == "T11") & (frame["measure"] == "appeals_cleared")
            & (frame["breakdown"] == "cms_outcome") & (frame["period"] == "2015-08"))
    assert mask.sum() == 1
    frame.loc[mask, "value"] = 3.0
    fig, _ = charts.chart("appeals", frame, PERIOD, load_policy())
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert 3.0 not in heights
    assert any(math.isnan(h) for h in heights)          # the suppressed bar is a gap
    assert 20.0 in heights and 50.0 in heights          # published counts are drawn
    charts.plt.close(fig)


def test_suppressed_counts_are_gaps_in_lines_too(measures):
    """Lines of counts leave a [c] month as a gap (NaN), not a point at its true height."""
    frame = measures.copy()
    mask = ((frame["table"] == "T1") & (frame["measure"] == "arrears_only_applications")
            & (frame["period"] == "2015-09"))
    frame.loc[mask, "value"] = 4.0
    fig, _ = charts.chart("intake", frame, PERIOD, load_policy())
    arrears_line = fig.axes[0].lines[2]
    ys = list(arrears_line.get_ydata())
    assert math.isnan(ys[1]) and 4.0 not in ys
    charts.plt.close(fig)


def _ratio(rgba) -> float:
    """WCAG contrast on white, computed here from the drawn RGBA (alpha composited on white)."""
    r, g, b, a = rgba
    lin = []
    for c in (r, g, b):
        c = c * a + (1 - a)
        lin.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 1.05 / (0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] + 0.05)


@pytest.mark.parametrize("name", charts.chart_names())
def test_chart_text_and_graphics_contrast_on_white(name, measures):
    """Text 4.5:1 (WCAG 1.4.3), lines and the edges of areas and bars 3:1 (1.4.11)."""
    from matplotlib.colors import to_rgba

    fig, _ = charts.chart(name, measures, PERIOD, load_policy())
    try:
        ax = fig.axes[0]
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
        assert texts
        low = [(t.get_text(), round(_ratio(to_rgba(t.get_color())), 2)) for t in texts
               if _ratio(to_rgba(t.get_color())) < 4.5]
        assert low == []
        for line in ax.lines:
            assert _ratio(to_rgba(line.get_color())) >= 3, line.get_label()
        for poly in ax.collections:
            if poly.get_alpha() is not None and poly.get_alpha() < 1:
                continue  # a translucent band around its line (the line carries the meaning)
            edges = poly.get_edgecolor()
            assert len(edges) and all(_ratio(e) >= 3 for e in edges), name
        for patch in ax.patches:
            assert _ratio(patch.get_edgecolor()) >= 3 or _ratio(patch.get_facecolor()) >= 3
    finally:
        charts.plt.close(fig)


def _withhold(published, table, measure, months):
    at = (published["table"] == table) & (published["measure"] == measure) \
        & (published["period"].isin(months))
    assert at.sum() == len(months)
    published.loc[at, "value"] = "[c]"


def test_a_withheld_figure_is_neither_drawn_quoted_nor_ranked(measures):
    """A figure the tables withhold (e.g. a complement) is withheld by the chart too. Total
    intake withheld in August 2015, the first month: the title starts from September 2015 and
    the line has a gap there. The arrears share withheld in May 2016, its highest month: the
    alt text no longer names it (it said "highest 13% in May 2016")."""
    from cms_stats.publish.rounding import publish_tidy

    policy = load_policy()
    published = publish_tidy(measures, policy)
    _withhold(published, "T1", "total_intake", ["2015-08"])
    _withhold(published, "T8", "arrears_share_of_liability", ["2016-05"])
    fig, alt = charts.chart("intake", measures, PERIOD, policy, published)
    try:
        title = fig.axes[0].get_title(loc="left").replace("\n", " ")
        assert title.startswith("Total intake has grown from ") and "in September 2015 to" in title
        assert "from 13,000 in August 2015" not in alt
        assert math.isnan(fig.axes[0].lines[0].get_ydata()[0])
    finally:
        charts.plt.close(fig)
    fig, alt = charts.chart("arrears_share", measures, PERIOD, policy, published)
    charts.plt.close(fig)
    assert "May 2016" not in alt and "[c]" not in alt
    fig, alt = charts.chart("arrears_share", measures, PERIOD, policy, publish_tidy(measures, policy))
    charts.plt.close(fig)
    assert "(highest 13% in May 2016)" in alt  # what the withholding took away


def test_a_chart_whose_every_figure_is_withheld_is_not_drawn(measures):
    """Every share of the fee-exemptions chart withheld (a small folder): no chart, the
    chapter says why (the axis top is not computed from nothing)."""
    from cms_stats.book.unavailable import NoFigures
    from cms_stats.publish.rounding import publish_tidy

    policy = load_policy()
    published = publish_tidy(measures, policy)
    spec = charts.chart_specs()["fee_exemptions"]
    for ref in spec["series"]:
        at = (published["table"] == ref.get("table", spec["table"])) \
            & (published["measure"] == ref["measure"]) \
            & (published["breakdown"] == ref.get("breakdown", "all"))
        published.loc[at, "value"] = "[c]"
    with pytest.raises(NoFigures):
        charts.chart("fee_exemptions", measures, PERIOD, policy, published)
