"""Charts for the chapters, in the Analysis Function style (afcharts).

One function per chart. Each takes the unrounded tidy measures frame, the release period and
the publication policy, and returns ``(fig, alt_text)``: a matplotlib figure whose title states
the message (computed from the data) and a text alternative that says what the chart shows,
including the latest published value. Lines are labelled directly instead of with a legend.
:func:`chart_figure` turns the pair into a deterministic PNG with alt text for the book.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
import math
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # charts are rendered to PNG, never to a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from cms_stats import paths  # noqa: E402
from cms_stats.book import format as fmt  # noqa: E402
from cms_stats.book.values import series, shown, shown_raw  # noqa: E402

__all__ = [
    "chart_style",
    "palette",
    "ChartFigure",
    "chart_figure",
    "figure_png",
    "intake_chart",
    "caseload_chart",
    "fee_exemptions_chart",
    "children_chart",
    "compliance_chart",
    "service_type_chart",
    "arrears_share_chart",
    "arrears_liability_chart",
    "direct_pay_sensitivity_chart",
    "changes_of_circumstances_chart",
    "reconsiderations_chart",
    "appeals_chart",
    "complaints_chart",
    "telephony_chart",
    "accuracy_chart",
]


# --------------------------------------------------------------------------- style
@lru_cache(maxsize=1)
def chart_style() -> dict:
    """The chart style data file (``resources/chart_style.yaml``) as a dict."""
    with open(paths.RESOURCES_DIR / "chart_style.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _base_style_path() -> Path:
    import afcharts

    return Path(afcharts.__file__).parent / f"{chart_style()['base_style']}.mplstyle"


def palette(name: str | None = None) -> list[str]:
    """AF colours (hex) for series: the style's palette, or a named afcharts palette."""
    from afcharts.af_colours import get_af_colours

    return list(get_af_colours(name or chart_style()["palette"]))


@contextmanager
def _styled():
    style = chart_style()
    with plt.style.context([str(_base_style_path()), style.get("rc", {})]):
        yield


def _new_figure(title: str):
    style = chart_style()["figure"]
    fig, ax = plt.subplots(figsize=(style["width_in"], style["height_in"]), dpi=style["dpi"])
    ax.set_title("\n".join(textwrap.wrap(title, style.get("title_wrap_chars", 62))), loc="left")
    return fig, ax


# --------------------------------------------------------------------------- output
def figure_png(fig) -> bytes:
    """Render a figure to PNG bytes, deterministically (fixed size and dpi, no metadata)."""
    style = chart_style()["figure"]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=style["dpi"], metadata={"Software": None})
    return buffer.getvalue()


class ChartFigure:
    """A chart ready for the book: PNG image, alt text and a visible description.

    In HTML (web book and PDF printed from it) it renders as a ``<figure>`` whose ``<img>``
    carries the alt text and whose caption is the description; other front ends get the PNG.
    """

    def __init__(self, png: bytes, alt: str, description: str = "", figure_id: str = ""):
        self.png = png
        self.alt = alt
        self.description = description
        self.figure_id = figure_id

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        ident = f' id="{html.escape(self.figure_id)}"' if self.figure_id else ""
        caption = (
            f"<figcaption>{html.escape(self.description)}</figcaption>" if self.description else ""
        )
        return (
            f'<figure class="cms-chart"{ident}>'
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" '
            f'style="max-width:100%;height:auto" />{caption}</figure>'
        )

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:  # the text/plain a terminal shows: the alt text
        return self.alt


def chart_figure(chart, description: str = "", figure_id: str = "") -> ChartFigure:
    """Turn a chart helper's ``(fig, alt_text)`` into a :class:`ChartFigure` and close the figure."""
    fig, alt = chart
    try:
        png = figure_png(fig)
    finally:
        plt.close(fig)
    return ChartFigure(png, alt, description, figure_id)


# --------------------------------------------------------------------------- axes helpers
def _positions(months: list[str], all_months: list[str]) -> list[int]:
    index = {m: i for i, m in enumerate(all_months)}
    return [index[m] for m in months]


def _month_axis(ax, months: list[str]) -> None:
    """Label the x axis with months: every month in a short series, else every sixth."""
    step = 1 if len(months) <= 8 else (3 if len(months) <= 18 else 6)
    last = len(months) - 1
    # Tick the latest month and step back, so the reference period is always labelled.
    ticks = list(range(last, -1, -step))[::-1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{fmt.month_name(months[i])[:3]}\n{months[i][:4]}" for i in ticks])
    ax.set_xlim(-0.5, last + 0.5 + max(1, len(months) * 0.18))  # room for direct labels


def _count_axis(ax) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(bottom=0)


def _percent_axis(ax, top: float = 100) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_ylim(0, top)


def _millions_axis(ax) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"£{v / 1e6:,.0f}m"))
    ax.set_ylim(bottom=0)


def _label_end(ax, x: float, y: float, text: str, colour: str) -> None:
    """A direct label to the right of the last point of a line."""
    style = chart_style()["label"]
    ax.annotate(
        text,
        xy=(x, y),
        xytext=(style["offset_points"], 0),
        textcoords="offset points",
        va="center",
        ha="left",
        color=colour,
        fontsize=style["fontsize"],
        fontweight="bold",
    )


def _spread_labels(values: list[float], min_gap: float) -> list[float]:
    """Nudge label heights apart so direct labels at line ends do not overlap."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = list(values)
    for previous, current in zip(order, order[1:]):
        if placed[current] - placed[previous] < min_gap:
            placed[current] = placed[previous] + min_gap
    return placed


def _suppressed(values) -> np.ndarray:
    """Counts below the suppression threshold as gaps: a bar or a point must not reveal a count
    that the tables publish as ``[c]``."""
    from cms_stats.publish.policy import load_policy

    arr = np.asarray(values, dtype="float64")
    return np.where((arr > 0) & (arr < load_policy().threshold), np.nan, arr)


def _lines(ax, data: dict[str, pd.Series], months: list[str], scale: float = 1.0) -> None:
    """Plot several series as lines with direct labels at their ends."""
    colours = palette()
    ends = []
    for i, (label, s) in enumerate(data.items()):
        xs = _positions(list(s.index), months)
        ys = [v * scale for v in s.values]
        if scale == 1.0:  # counts (shares are drawn in percent)
            ys = list(_suppressed(ys))
        ax.plot(xs, ys, color=colours[i % len(colours)])
        ends.append((xs[-1], ys[-1], label, colours[i % len(colours)]))
    low, high = ax.get_ylim()
    if scale == 100:  # percentage charts are drawn on a 0-100 axis: space labels for that
        low, high = min(low, 0), max(high, 100)
    heights = _spread_labels([e[1] for e in ends], (high - low) * 0.06)
    for (x, _, label, colour), y in zip(ends, heights):
        _label_end(ax, x, y, label, colour)


def _stacked_bars(ax, parts: dict[str, pd.Series], months: list[str], room: float) -> None:
    """Monthly counts as two stacked bars with direct labels at the right (suppressed counts
    are gaps); ``room`` is the share of the width kept for the labels."""
    (low_name, low), (high_name, high) = parts.items()
    colours = palette()
    xs = list(range(len(months)))
    ax.bar(xs, _suppressed(low.values), color=colours[0], width=0.8)
    ax.bar(xs, _suppressed(high.values), bottom=_suppressed(low.values), color=colours[1], width=0.8)
    _count_axis(ax)
    _label_end(ax, xs[-1] + 0.4, low.iloc[-1] / 2, low_name, colours[0])
    _label_end(ax, xs[-1] + 0.4, low.iloc[-1] + high.iloc[-1] / 2, high_name, colours[1])
    _month_axis(ax, months)
    ax.set_xlim(-0.7, len(months) - 0.5 + max(2, len(months) * room))


def _months_between(first: str, last: str) -> list[str]:
    months = [first]
    while months[-1] < last:
        months.append(fmt.shift_month(months[-1], 1))
    return months


def _growth_title(what: str, s: pd.Series, period: str, back: int = 3) -> str:
    """'<what> has grown by 19% since May 2016' from unrounded values."""
    since = fmt.shift_month(period, -back)
    if since not in s.index or s[since] == 0:
        return f"{what} in {fmt.month_label(period)}"
    change = s[period] / s[since] - 1
    size = fmt.fmt_percent_change(change)
    if float(size.rstrip("%")) == 0:
        return f"{what} was little changed from {fmt.month_label(since)}"
    verb = "grown" if change > 0 else "fallen"
    return f"{what} has {verb} by {size} since {fmt.month_label(since)}"


def _pct(measures, measure, period, policy, breakdown="all") -> str:
    return shown(measures, measure, period, policy, breakdown=breakdown)


# --------------------------------------------------------------------------- T1, T2, T3
def intake_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T1: monthly new applications, arrears-only applications and total intake (lines)."""
    total = series(measures, "total_intake", table="T1", upto=period)
    new = series(measures, "new_applications", table="T1", upto=period)
    arrears = series(measures, "arrears_only_applications", table="T1", upto=period)
    months = _months_between(total.index[0], period)
    with _styled():
        fig, ax = _new_figure(_growth_title("Total intake", total, period))
        _lines(ax, {"Total intake": total, "New applications": new, "Arrears only": arrears}, months)
        _count_axis(ax)
        _month_axis(ax, months)
        ax.set_ylabel("Applications received in the month")
    alt = (
        f"Line chart of applications received each month from {fmt.month_label(months[0])} to "
        f"{fmt.month_label(period)}: total intake, new applications and arrears-only applications. "
        f"In {fmt.month_label(period)} total intake was {_pct(measures, 'total_intake', period, policy)}, "
        f"of which {_pct(measures, 'new_applications', period, policy)} new applications and "
        f"{_pct(measures, 'arrears_only_applications', period, policy)} arrears-only applications."
    )
    return fig, alt


def caseload_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T2: cases at month end by origin, stacked areas (new applications, arrears only)."""
    total = series(measures, "caseload", "all", table="T2", upto=period)
    new = series(measures, "caseload", "new_application", table="T2", upto=period).reindex(total.index, fill_value=0)
    arrears = series(measures, "caseload", "arrears_only", table="T2", upto=period).reindex(total.index, fill_value=0)
    months = list(total.index)
    colours = palette()
    with _styled():
        fig, ax = _new_figure(_growth_title("Caseload", total, period))
        xs = list(range(len(months)))
        ax.stackplot(xs, _suppressed(new.values), _suppressed(arrears.values), colors=colours[:2])
        _count_axis(ax)
        _label_end(ax, xs[-1], new.iloc[-1] / 2, "New applications", colours[0])
        _label_end(ax, xs[-1], new.iloc[-1] + arrears.iloc[-1] / 2, "Arrears only", colours[1])
        _month_axis(ax, months)
        ax.set_ylabel("Cases at the end of the month")
    alt = (
        f"Stacked area chart of the caseload at the end of each month from "
        f"{fmt.month_label(months[0])} to {fmt.month_label(period)}, split into cases from new "
        f"applications and arrears-only cases. At the end of {fmt.month_label(period)} the caseload was "
        f"{_pct(measures, 'caseload', period, policy)}: "
        f"{_pct(measures, 'caseload', period, policy, 'new_application')} from new applications and "
        f"{_pct(measures, 'caseload', period, policy, 'arrears_only')} arrears only."
    )
    return fig, alt


def fee_exemptions_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T3: share of new applications exempt from the application fee, monthly."""
    share = series(measures, "fee_exemption_share", table="T3", upto=period)
    months = list(share.index)
    latest = _pct(measures, "fee_exemption_share", period, policy)
    low, high = share.min(), share.max()
    with _styled():
        fig, ax = _new_figure(
            f"Fee exemptions were {latest} of new applications in {fmt.month_label(period)}"
        )
        _lines(ax, {"Exempt from the fee": share}, months, scale=100)
        _percent_axis(ax, top=max(50, math.ceil(high * 100 / 10) * 10 + 10))
        _month_axis(ax, months)
        ax.set_ylabel("Share of new applications")
    alt = (
        f"Line chart of the share of new applications exempt from the application fee each month "
        f"from {fmt.month_label(months[0])} to {fmt.month_label(period)}. The share ranged from "
        f"{fmt.fmt_share(low)} to {fmt.fmt_share(high)} and was {latest} in {fmt.month_label(period)}."
    )
    return fig, alt


# --------------------------------------------------------------------------- T4
def children_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T4: children benefiting in the quarter, with the 95% confidence interval as a band."""
    est = series(measures, "children_benefiting", "estimate", table="T4", upto=period)
    lower = series(measures, "children_benefiting", "lower_95", table="T4", upto=period).reindex(est.index)
    upper = series(measures, "children_benefiting", "upper_95", table="T4", upto=period).reindex(est.index)
    months = list(est.index)
    colour = palette()[0]
    band = chart_style()["confidence_band"]["alpha"]
    latest = _pct(measures, "children_benefiting", period, policy, "estimate")
    lo = _pct(measures, "children_benefiting", period, policy, "lower_95")
    hi = _pct(measures, "children_benefiting", period, policy, "upper_95")
    with _styled():
        fig, ax = _new_figure(_growth_title("Children benefiting", est, period))
        xs = list(range(len(months)))
        ax.fill_between(xs, lower.values, upper.values, color=colour, alpha=band, linewidth=0)
        ax.plot(xs, est.values, color=colour)
        _count_axis(ax)
        _label_end(ax, xs[-1], est.iloc[-1], "Estimate", colour)
        ax.annotate(
            "95% confidence interval",
            xy=(xs[len(xs) // 2], upper.iloc[len(xs) // 2]),
            xytext=(0, 14),
            textcoords="offset points",
            ha="center",
            color=colour,
            fontsize=chart_style()["label"]["fontsize"],
        )
        _month_axis(ax, months)
        ax.set_ylabel("Children in the quarter to the month")
    alt = (
        f"Line chart of the estimated number of children benefiting from maintenance in the quarter "
        f"to each month from {fmt.month_label(months[0])} to {fmt.month_label(period)}, with the 95% "
        f"confidence interval shown as a shaded band. In the quarter to {fmt.month_label(period)} the "
        f"estimate was {latest} children (95% confidence interval {lo} to {hi})."
    )
    return fig, alt


# --------------------------------------------------------------------------- T5, T6, T7
def compliance_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T5 and T6: case groups contributing and cash paid, as shares, in the quarter to each month."""
    groups = series(measures, "case_groups_contributing_share", table="T5", upto=period)
    cash = series(measures, "cash_paid_share", table="T6", upto=period)
    months = _months_between(min(groups.index[0], cash.index[0]), period)
    g, c = _pct(measures, "case_groups_contributing_share", period, policy), _pct(measures, "cash_paid_share", period, policy)
    with _styled():
        fig, ax = _new_figure(
            f"In the quarter to {fmt.month_label(period)}, {g} of case groups contributed "
            f"and {c} of cash due was paid"
        )
        _lines(ax, {"Case groups contributing": groups, "Cash due that was paid": cash}, months, scale=100)
        _percent_axis(ax)
        _month_axis(ax, months)
        ax.set_ylabel("Share in the quarter to the month")
    alt = (
        f"Line chart of two compliance shares in the quarter to each month from "
        f"{fmt.month_label(months[0])} to {fmt.month_label(period)}: the share of case groups with a "
        f"current liability that contributed towards it, and the share of cash due that was paid. "
        f"In the quarter to {fmt.month_label(period)} they were {g} and {c}."
    )
    return fig, alt


def service_type_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T7: share of cases due to pay that use Direct Pay, monthly from August 2014."""
    share = series(measures, "direct_pay_share", table="T7", upto=period)
    months = list(share.index)
    dp = _pct(measures, "direct_pay_share", period, policy)
    cp = fmt.fmt_share(1 - share[period]) if period in share.index else fmt.SYMBOL_NOT_AVAILABLE
    with _styled():
        fig, ax = _new_figure(f"{dp} of cases due to pay used Direct Pay in {fmt.month_label(period)}")
        _lines(ax, {"Direct Pay": share, "Collect and Pay": 1 - share}, months, scale=100)
        _percent_axis(ax)
        _month_axis(ax, months)
        ax.set_ylabel("Share of cases due to pay")
    alt = (
        f"Line chart of the service type chosen by cases due to pay maintenance at the end of each "
        f"month from {fmt.month_label(months[0])} to {fmt.month_label(period)}. At the end of "
        f"{fmt.month_label(period)}, {dp} paid by Direct Pay and {cp} through Collect and Pay "
        f"({_pct(measures, 'cases_due_to_pay', period, policy, 'direct_pay')} and "
        f"{_pct(measures, 'cases_due_to_pay', period, policy, 'collect_and_pay')} cases)."
    )
    return fig, alt


# --------------------------------------------------------------------------- T8
def arrears_share_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T8: outstanding arrears as a share of total maintenance liability, monthly."""
    share = series(measures, "arrears_share_of_liability", table="T8", upto=period)
    months = list(share.index)
    latest = _pct(measures, "arrears_share_of_liability", period, policy)
    with _styled():
        fig, ax = _new_figure(
            f"Arrears were {latest} of total maintenance liability in {fmt.month_label(period)}"
        )
        _lines(ax, {"Arrears share": share}, months, scale=100)
        _percent_axis(ax, top=max(30, math.ceil(share.max() * 100 / 10) * 10 + 5))
        _month_axis(ax, months)
        ax.set_ylabel("Share of cumulative liability")
    alt = (
        f"Line chart of outstanding maintenance arrears as a share of cumulative total maintenance "
        f"liability at the end of each month from {fmt.month_label(months[0])} to "
        f"{fmt.month_label(period)}. The share was {latest} in {fmt.month_label(period)}, assuming "
        f"Direct Pay cases pay in full."
    )
    return fig, alt


def arrears_liability_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T8: arrears and proxy amount collected, stacked to total maintenance liability."""
    arrears = series(measures, "outstanding_arrears", table="T8", upto=period)
    collected = series(measures, "proxy_amount_collected", table="T8", upto=period).reindex(arrears.index)
    months = list(arrears.index)
    focus = palette(chart_style()["focus_palette"])
    tml = shown(measures, "total_maintenance_liability", period, policy, long_money=True)
    arr = shown(measures, "outstanding_arrears", period, policy)
    col = shown(measures, "proxy_amount_collected", period, policy)
    with _styled():
        fig, ax = _new_figure(
            f"Total maintenance liability reached {tml} by {fmt.month_label(period)}"
        )
        xs = list(range(len(months)))
        ax.stackplot(xs, arrears.values, collected.values, colors=[focus[0], focus[1]])
        _millions_axis(ax)
        _label_end(ax, xs[-1], arrears.iloc[-1] / 2, "Arrears", focus[0])
        _label_end(ax, xs[-1], arrears.iloc[-1] + collected.iloc[-1] / 2, "Proxy collected", "#3D3D3D")
        _month_axis(ax, months)
        ax.set_ylabel("Cumulative to the month")
    alt = (
        f"Stacked area chart from {fmt.month_label(months[0])} to {fmt.month_label(period)}: the "
        f"lower area is outstanding maintenance arrears, the upper area the proxy amount collected; "
        f"together they make the cumulative total maintenance liability. In {fmt.month_label(period)} "
        f"liability was {tml}, arrears {arr} and the proxy amount collected {col}."
    )
    return fig, alt


def direct_pay_sensitivity_chart(sensitivity: pd.DataFrame, period: str) -> tuple:
    """Arrears share of liability if Direct Pay cases paid only a share of what they owe.

    Parameters
    ----------
    sensitivity : DataFrame
        Columns ``compliance`` (0..1) and ``arrears_share`` (0..1) at the period, as
        as :func:`cms_stats.book.chapter.sensitivity_grid` returns.
    """
    grid = sensitivity.sort_values("compliance", ascending=False)
    xs = (grid["compliance"] * 100).tolist()
    ys = (grid["arrears_share"] * 100).tolist()
    step = sensitivity_step(grid)
    colour = palette()[0]
    with _styled():
        fig, ax = _new_figure(
            f"Each {fmt.fmt_pp(0.05, adjective=True)} fall in Direct Pay compliance adds "
            f"about {fmt.fmt_pp(step)}"
        )
        ax.plot(xs, ys, color=colour, marker="o")
        ax.set_xticks(sorted({5 * round(x / 5) for x in xs}))
        ax.invert_xaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        _percent_axis(ax, top=max(ys) * 1.15)
        ax.set_xlabel("Direct Pay compliance assumed")
        ax.set_ylabel("Arrears share of liability")
        ax.annotate(f"{fmt.fmt_share(ys[0] / 100)} at full compliance", xy=(xs[0], ys[0]),
                    xytext=(0, -18), textcoords="offset points", ha="left", color=colour,
                    fontsize=chart_style()["label"]["fontsize"], fontweight="bold")
    alt = (
        f"Line chart of arrears as a share of total maintenance liability in {fmt.month_label(period)} "
        f"under Direct Pay compliance from {fmt.fmt_share(xs[0] / 100)} down to "
        f"{fmt.fmt_share(xs[-1] / 100)}. At full compliance the share is {fmt.fmt_share(ys[0] / 100)}; "
        f"at {fmt.fmt_share(xs[-1] / 100)} compliance it would be {fmt.fmt_share(ys[-1] / 100)}. Each "
        f"{fmt.fmt_pp(0.05, adjective=True)} reduction adds about {fmt.fmt_pp(step)}."
    )
    return fig, alt


def sensitivity_step(grid: pd.DataFrame) -> float:
    """Increase of the arrears share for a 5 percentage point fall in compliance from full."""
    by_c = grid.set_index(grid["compliance"].round(6))["arrears_share"]
    return float(by_c[0.95] - by_c[1.0])


# --------------------------------------------------------------------------- T9 - T14
def changes_of_circumstances_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T9: share of changes of circumstances cleared within 28 days (to the month before P)."""
    share = series(measures, "cleared_within_28_days_share", table="T9", upto=period)
    latest_month = share.index[-1]
    months = list(share.index)
    latest = _pct(measures, "cleared_within_28_days_share", latest_month, policy)
    received = _pct(measures, "changes_of_circumstances_received", latest_month, policy)
    with _styled():
        fig, ax = _new_figure(
            f"{latest} of changes received in {fmt.month_label(latest_month)} were cleared within 28 days"
        )
        _lines(ax, {"Cleared within 28 days": share}, months, scale=100)
        _percent_axis(ax)
        _month_axis(ax, months)
        ax.set_ylabel("Share of changes received")
    alt = (
        f"Line chart of the share of changes of circumstances received each month that were cleared "
        f"within 28 days, from {fmt.month_label(months[0])} to {fmt.month_label(latest_month)}. Of the "
        f"{received} received in {fmt.month_label(latest_month)}, {latest} were cleared within 28 days."
    )
    return fig, alt


def reconsiderations_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T10: share of mandatory reconsiderations cleared within 20 days."""
    share = series(measures, "cleared_within_20_days_share", table="T10", upto=period)
    months = list(share.index)
    latest = _pct(measures, "cleared_within_20_days_share", period, policy)
    with _styled():
        fig, ax = _new_figure(
            f"{latest} of mandatory reconsiderations cleared in {fmt.month_label(period)} took 20 days or less"
        )
        _lines(ax, {"Cleared within 20 days": share}, months, scale=100)
        _percent_axis(ax)
        _month_axis(ax, months)
        ax.set_ylabel("Share of those cleared")
    alt = (
        f"Line chart of the share of mandatory reconsiderations cleared each month that were cleared "
        f"within 20 days, from {fmt.month_label(months[0])} to {fmt.month_label(period)}. In "
        f"{fmt.month_label(period)}, {_pct(measures, 'mandatory_reconsiderations_cleared', period, policy)} "
        f"were cleared, {latest} of them within 20 days."
    )
    return fig, alt


def appeals_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T11: appeals cleared each month by outcome (stacked bars)."""
    tribunal = series(measures, "appeals_cleared", "tribunal_outcome", table="T11", upto=period)
    cms = series(measures, "appeals_cleared", "cms_outcome", table="T11", upto=period).reindex(tribunal.index, fill_value=0)
    months = list(tribunal.index)
    with _styled():
        fig, ax = _new_figure(
            f"{_pct(measures, 'appeals_cleared', period, policy)} appeals were cleared in {fmt.month_label(period)}"
        )
        _stacked_bars(ax, {"Tribunal outcome": tribunal, "CMS outcome": cms}, months, room=0.3)
        ax.set_ylabel("Appeals cleared in the month")
    alt = (
        f"Stacked bar chart of appeals cleared each month from {fmt.month_label(months[0])} to "
        f"{fmt.month_label(period)}, split into tribunal outcomes and CMS outcomes. In "
        f"{fmt.month_label(period)}, {_pct(measures, 'appeals_cleared', period, policy)} appeals were "
        f"cleared: {_pct(measures, 'appeals_cleared', period, policy, 'tribunal_outcome')} tribunal "
        f"outcomes and {_pct(measures, 'appeals_cleared', period, policy, 'cms_outcome')} CMS outcomes."
    )
    return fig, alt


def complaints_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T12: complaints received each month, by stage (stacked bars)."""
    resolution = series(measures, "complaints_received", "resolution", table="T12", upto=period)
    review = series(measures, "complaints_received", "review", table="T12", upto=period).reindex(resolution.index, fill_value=0)
    months = list(resolution.index)
    latest = _pct(measures, "complaints_received", period, policy)
    with _styled():
        fig, ax = _new_figure(f"{latest} complaints were received in {fmt.month_label(period)}")
        _stacked_bars(ax, {"Resolution": resolution, "Review": review}, months, room=0.25)
        ax.set_ylabel("Complaints received in the month")
    alt = (
        f"Stacked bar chart of complaints received each month from {fmt.month_label(months[0])} to "
        f"{fmt.month_label(period)}, by stage (resolution, review). In {fmt.month_label(period)}, "
        f"{latest} complaints were received: "
        f"{_pct(measures, 'complaints_received', period, policy, 'resolution')} at resolution and "
        f"{_pct(measures, 'complaints_received', period, policy, 'review')} at review."
    )
    return fig, alt


def telephony_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T13: shares of calls answered, and answered within 30 seconds."""
    answered = series(measures, "calls_answered_share", table="T13", upto=period)
    quick = series(measures, "calls_answered_within_30_seconds_share", table="T13", upto=period)
    months = _months_between(answered.index[0], period)
    a = _pct(measures, "calls_answered_share", period, policy)
    q = _pct(measures, "calls_answered_within_30_seconds_share", period, policy)
    with _styled():
        fig, ax = _new_figure(f"In {fmt.month_label(period)}, {a} of calls were answered, {q} within 30 seconds")
        _lines(ax, {"Answered": answered, "Within 30 seconds": quick}, months, scale=100)
        _percent_axis(ax, top=105)
        _month_axis(ax, months)
        ax.set_ylabel("Share of calls received")
    alt = (
        f"Line chart of the share of calls answered and the share answered within 30 seconds each "
        f"month from {fmt.month_label(months[0])} to {fmt.month_label(period)}. In "
        f"{fmt.month_label(period)}, {a} of calls were answered and {q} were answered within 30 seconds."
    )
    return fig, alt


def accuracy_chart(measures: pd.DataFrame, period: str, policy) -> tuple:
    """T14: share of checked calculations that were accurate, monthly."""
    share = series(measures, "accuracy_share", table="T14", upto=period)
    months = list(share.index)
    latest = _pct(measures, "accuracy_share", period, policy)
    with _styled():
        fig, ax = _new_figure(f"Accuracy was {latest} in {fmt.month_label(period)}")
        _lines(ax, {"Accurate": share}, months, scale=100)
        _percent_axis(ax, top=105)
        _month_axis(ax, months)
        ax.set_ylabel("Share of checks accurate")
    alt = (
        f"Line chart of the share of checked maintenance calculations that were accurate to within "
        f"£1 or 2% of the correct amount each month from {fmt.month_label(months[0])} to "
        f"{fmt.month_label(period)}. In {fmt.month_label(period)} accuracy was {latest}."
    )
    return fig, alt
