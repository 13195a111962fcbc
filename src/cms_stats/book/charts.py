"""Charts for the chapters, in the Analysis Function style (afcharts), drawn from data.

Every chart is an entry of ``resources/charts.yaml`` (its kind, table, series with their
labels, axis, the rule for the title that states the message, and the alt text), and one
function draws any of them: :func:`chart` takes the unrounded tidy measures frame, the release
period and the publication policy, and returns ``(fig, alt_text)``. The title and alt text
quote figures as published (rounded by the policy); changes are computed from unrounded values.
Lines are labelled directly instead of with a legend, and counts the tables publish as ``[c]``
are drawn as gaps. :func:`chart_figure` turns the pair into a deterministic PNG with alt text.
"""

from __future__ import annotations

import math
import textwrap
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # charts are rendered to PNG, never to a window

import afcharts  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from afcharts.af_colours import get_af_colours  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from cms_stats import paths  # noqa: E402
from cms_stats.book.area_charts import AREA_KINDS, area_chart  # noqa: E402
from cms_stats.files import read_yaml  # noqa: E402
from cms_stats.book.unavailable import NoFigures
from cms_stats.book import format as fmt  # noqa: E402
from cms_stats.book.chart_words import (figure_text, span_title, trend,  # noqa: E402
                                         withheld_months)
from cms_stats.book.contrast import darkened  # noqa: E402
from cms_stats.book.figures import ChartFigure, chart_figure, figure_png  # noqa: E402
from cms_stats.book.style import chart_style, figure_size, phone_size  # noqa: E402
from cms_stats.book.values import series  # noqa: E402
from cms_stats.months import month_short, month_words  # noqa: E402
from cms_stats.publish.policy import load_policy  # noqa: E402

__all__ = [
    "chart_style",
    "chart_specs",
    "chart_names",
    "chart",
    "palette",
    "ChartFigure",
    "chart_figure",
    "book_figure",
    "figure_png",
    "sensitivity_grid",
    "sensitivity_step",
]


# --------------------------------------------------------------------------- style
def _base_style_path() -> Path:
    return Path(afcharts.__file__).parent / f"{chart_style()['base_style']}.mplstyle"


def palette(name: str | None = None) -> list[str]:
    """AF colours (hex) for series: the style's palette, or a named afcharts palette."""
    return list(get_af_colours(name or chart_style()["palette"]))


@contextmanager
def _styled():
    style = chart_style()
    with plt.style.context([str(_base_style_path()), style.get("rc", {})]):
        yield


def _new_figure(title: str, wrap_chars: int | None = None):
    """A figure of the chart size (the page's, or the phone's inside ``style.phone_size()``)
    titled ``title``, wrapped at the size's ``title_wrap_chars``, or at ``wrap_chars`` (a chart
    whose axes start further right) narrowed in the same proportion for a phone."""
    style = figure_size()
    wrap = style["title_wrap_chars"]
    if wrap_chars:
        wrap = round(wrap_chars * wrap / chart_style()["figure"]["title_wrap_chars"])
    fig, ax = plt.subplots(figsize=(style["width_in"], style["height_in"]), dpi=style["dpi"])
    ax.set_title("\n".join(textwrap.wrap(title, wrap)), loc="left")
    return fig, ax


# --------------------------------------------------------------------------- specs
@lru_cache(maxsize=1)
def chart_specs() -> dict[str, dict]:
    """The chart specs (``resources/charts.yaml``): chart name -> spec."""
    with open(paths.RESOURCES_DIR / "charts.yaml", encoding="utf-8") as handle:
        return read_yaml(handle)


def chart_names() -> list[str]:
    """Every chart a chapter can draw, in the order of ``resources/charts.yaml``."""
    return list(chart_specs())


def book_figure(name: str, measures: pd.DataFrame, period: str, policy,
                published: pd.DataFrame | None = None, table: str = "") -> ChartFigure:
    """The chart ``name`` as a chapter shows it: drawn at the page size and at the phone size,
    its caption the title that states the message and where its figures are (``table``).

    Raises :class:`~cms_stats.book.unavailable.NoFigures` as :func:`chart` does.
    """
    fig, alt = chart(name, measures, period, policy, published)
    with phone_size():
        phone = chart_figure(chart(name, measures, period, policy, published))
    title = fig.axes[0].get_title(loc="left")
    where = f" The figures are in Table {table[1:]}." if table.startswith("T") else ""
    return chart_figure((fig, alt), description=f"{title}.{where}",
                        figure_id=f"chart-{name.replace('_', '-')}", phone_png=phone.png)


def chart(name: str, measures: pd.DataFrame, period: str, policy,
          published: pd.DataFrame | None = None) -> tuple:
    """Draw the chart ``name`` of ``resources/charts.yaml`` for a release period.

    Parameters
    ----------
    name : str
        A chart name (see :func:`chart_names`), as a notebook's ``ch.figure(name)`` gives it.
    measures : DataFrame
        Tidy unrounded measures (``table, period, measure, breakdown, value, unit``).
    period : str
        The reference month ``YYYY-MM``; months after it are not drawn.
    policy : cms_stats.publish.Policy
        The publication policy every figure quoted in the title and alt text is rounded by.
    published : DataFrame, optional
        The published tidy frame (after disclosure control and revisions): every figure quoted
        is read from it, and a figure it withholds is neither drawn, quoted nor ranked.

    Returns
    -------
    tuple
        ``(fig, alt_text)``: a matplotlib figure whose title states the message, and a text
        alternative saying what the chart shows, with the latest published figures.
    """
    spec = chart_specs()[name]
    if spec["kind"] == "sensitivity":
        return _sensitivity(spec, sensitivity_grid(measures, period), period)
    if spec["kind"] in AREA_KINDS:
        return area_chart(spec, measures, period, policy, published, _new_figure, _styled, palette)

    def masked(ref: dict) -> pd.Series:  # NaN where the tables withhold the figure
        s = _series(spec, ref, measures, period)
        return s.mask(s.index.isin(withheld_months(spec, ref, published)))

    data = [masked(ref) for ref in spec["series"]]
    # The months with a figure in any series: a month with none (e.g. no reconsideration
    # cleared, so no share) has no slot on the axis.
    months = sorted(set().union(*(s.index for s in data)))
    if not any(s.notna().any() for s in data):  # nothing cleared yet, or all withheld
        raise NoFigures(name)
    month = months[-1] if spec.get("month") == "latest" else period
    words = {"period": month_words(period), "month": month_words(month),
             "first": month_words(months[0])}
    for key, ref in (spec.get("values") or {}).items():
        words[key] = _value(spec, ref, data, measures, month, policy, published)
    title, ref = spec["title"], spec["series"][0]
    if isinstance(title, dict):
        ref = title
        heading = span_title(title, masked(title).reindex(months), spec, measures, policy,
                             published, period)
        # the title's subject in running text
        label = title["growth"][0].lower() + title["growth"][1:]
    else:
        heading, label = title.format(**words), f"\u201c{ref['label']}\u201d"
    with _styled():
        fig, ax = _new_figure(heading)
        _KINDS[spec["kind"]](ax, spec, data, months)
        ax.set_ylabel(spec["ylabel"])
    alt = " ".join(spec["alt"].split()).format(**words)
    said = trend(spec, ref, label, masked(ref).reindex(months), measures, policy, published)
    return fig, " ".join([alt, said]).strip()


def _series(spec: dict, ref: dict, measures: pd.DataFrame, period: str) -> pd.Series:
    s = series(measures, ref["measure"], ref.get("breakdown", "all"),
               table=ref.get("table", spec["table"]), upto=period)
    return 1 - s if ref.get("complement") else s


def _value(spec: dict, ref: dict, data: list[pd.Series], measures, month: str, policy,
           published) -> str:
    """A named figure of the title or alt text (see the header of ``charts.yaml``), as the
    tables publish it (a withheld share is its symbol, and is no one's minimum or maximum)."""
    if "share" in ref:
        s = data[ref["series"]]
        if ref["share"] == "latest":
            if month in s.index and not math.isnan(s[month]):
                return fmt.fmt_share(s[month])
            return figure_text(spec, spec["series"][ref["series"]], measures, month, policy,
                               published)
        return fmt.fmt_share(s.min() if ref["share"] == "min" else s.max())
    return figure_text(spec, ref, measures, month, policy, published,
                       long_money=ref.get("long_money", False))


# --------------------------------------------------------------------------- axes helpers
def _positions(months: list[str], all_months: list[str]) -> list[int]:
    index = {m: i for i, m in enumerate(all_months)}
    return [index[m] for m in months]


def _month_axis(ax, months: list[str]) -> None:
    """Label the x axis with months: every month in a short series, else every third or sixth;
    a long series (ten years of a series of editions) every twelfth or more, so that no more
    than the size's ``max_month_ticks`` labels share the axis and none runs into the next."""
    size = figure_size()  # a phone's narrower chart: fewer ticks, more room for the labels
    step = (1 if len(months) <= 8 else (3 if len(months) <= 18 else 6)) * size.get("tick_step", 1)
    last = len(months) - 1
    while last // step + 1 > max(1, size["max_month_ticks"]):
        step *= 2
    # Tick the latest month and step back, so the reference period is always labelled.
    ticks = list(range(last, -1, -step))[::-1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([month_short(months[i]).replace(" ", "\n") for i in ticks])
    ax.set_xlim(-0.5, last + 0.5 + max(1, len(months) * 0.18 * size.get("label_room", 1)))


def _value_axis(ax, spec: dict, data: list[pd.Series]) -> None:
    """The y axis of ``spec["axis"]``: counts, percent (0 to ``top``) or money in millions."""
    if spec["axis"] == "count":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylim(bottom=0)
    elif spec["axis"] == "millions":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"£{v / 1e6:,.0f}m"))
        ax.set_ylim(bottom=0)
    else:
        _percent_axis(ax, _percent_top(spec.get("top", 100), data))


def _percent_top(top, data: list[pd.Series]) -> float:
    """A fixed top, or room above the highest share drawn (``{at_least, round_up_to, plus}``)."""
    if not isinstance(top, dict):
        return top
    high = max(s.max() for s in data if s.notna().any()) * 100  # (withheld months are NaN)
    step = top["round_up_to"]
    return max(top["at_least"], math.ceil(high / step) * step + top["plus"])


def _percent_axis(ax, top: float = 100) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_ylim(0, top)


def _label_text(text: str) -> str:
    """A direct label as drawn: wrapped on a phone's chart (``label_wrap_chars``)."""
    wrap = figure_size().get("label_wrap_chars")
    return "\n".join(textwrap.wrap(text, wrap)) if wrap else text


def _label_end(ax, x: float, y: float, text: str, colour: str) -> None:
    """A direct label to the right of the last point of a line."""
    style = chart_style()["label"]
    ax.annotate(
        _label_text(text),
        xy=(x, y),
        xytext=(style["offset_points"], 0),
        textcoords="offset points",
        va="center",
        ha="left",
        color=darkened(colour, chart_style()["contrast"]["text"]),
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
    arr = np.asarray(values, dtype="float64")
    return np.where((arr > 0) & (arr < load_policy().threshold), np.nan, arr)


def _drawn(spec: dict, values) -> np.ndarray:
    """Values as drawn: counts with small ones suppressed, money and shares as they are."""
    return _suppressed(values) if spec["axis"] == "count" else np.asarray(values, dtype="float64")


def _colours(spec: dict) -> list[str]:
    return palette(chart_style()[f"{spec['palette']}_palette"] if "palette" in spec else None)


# --------------------------------------------------------------------------- kinds
def _lines(ax, spec: dict, data: list[pd.Series], months: list[str]) -> None:
    """Series as lines with direct labels at their ends (shares drawn in percent)."""
    scale = 100 if spec["axis"] == "percent" else 1.0
    colours = _colours(spec)
    ends = []
    for i, (ref, s) in enumerate(zip(spec["series"], data)):
        xs = _positions(list(s.index), months)
        ys = [v * scale for v in s.values]
        if spec["axis"] == "count":
            ys = list(_suppressed(ys))
        ax.plot(xs, ys, color=colours[i % len(colours)])
        ends.append((xs[-1], ys[-1], ref["label"], colours[i % len(colours)]))
    low, high = ax.get_ylim()
    if scale == 100:  # percentage charts are drawn on a 0-100 axis: space labels for that
        low, high = min(low, 0), max(high, 100)
    lines = max(_label_text(e[2]).count("\n") + 1 for e in ends)  # a wrapped label is taller
    heights = _spread_labels([e[1] for e in ends], (high - low) * 0.06 * lines)
    above = max(heights) - (high - (high - low) * 0.03 * lines)  # pushed up into the title
    heights = [h - max(above, 0) for h in heights]
    for (x, _, label, colour), y in zip(ends, heights):
        _label_end(ax, x, y, label, colour)
    _value_axis(ax, spec, data)
    _month_axis(ax, months)


def _stack_parts(spec: dict, data: list[pd.Series], months: list[str]):
    # A part missing in a month adds nothing to the stack in that month.
    return [s.reindex(months, fill_value=0) for s in data]


def _stack_labels(ax, spec: dict, parts: list[pd.Series], x: float, colours: list[str]) -> None:
    """Direct labels at the middle of each layer of the last month."""
    base = 0.0
    for i, (ref, part) in enumerate(zip(spec["series"], parts)):
        _label_end(ax, x, base + part.iloc[-1] / 2, ref["label"], ref.get("label_colour", colours[i]))
        base += part.iloc[-1]


def _stacked_area(ax, spec: dict, data: list[pd.Series], months: list[str]) -> None:
    """Layers stacked to a total (caseload by origin; liability = arrears + collected)."""
    parts = _stack_parts(spec, data, months)
    colours = _colours(spec)
    xs = list(range(len(months)))
    layers = ax.stackplot(xs, *[_drawn(spec, p.values) for p in parts], colors=colours[:len(parts)])
    for layer, colour in zip(layers, colours):  # a pale layer keeps a visible edge (3:1)
        layer.set_edgecolor(darkened(colour, chart_style()["contrast"]["graphics"]))
        layer.set_linewidth(1.0)
    _value_axis(ax, spec, data)
    _stack_labels(ax, spec, parts, xs[-1], colours)
    _month_axis(ax, months)


def _stacked_bars(ax, spec: dict, data: list[pd.Series], months: list[str]) -> None:
    """Monthly counts as stacked bars with direct labels at the right (suppressed counts are
    gaps); ``spec["room"]`` is the share of the width kept for the labels."""
    parts = _stack_parts(spec, data, months)
    colours = _colours(spec)
    xs = list(range(len(months)))
    bottom = None
    for i, part in enumerate(parts):
        heights = _drawn(spec, part.values)
        ax.bar(xs, heights, bottom=bottom, color=colours[i], width=0.8, linewidth=0.8,
               edgecolor=darkened(colours[i], chart_style()["contrast"]["graphics"]))
        bottom = heights if bottom is None else bottom + heights
    _value_axis(ax, spec, data)
    _stack_labels(ax, spec, parts, xs[-1] + 0.4, colours)
    _month_axis(ax, months)
    room = spec["room"] * figure_size().get("label_room", 1)
    ax.set_xlim(-0.7, len(months) - 0.5 + max(2, len(months) * room))


def _band(ax, spec: dict, data: list[pd.Series], months: list[str]) -> None:
    """An estimate with its confidence interval as a shaded band (series: estimate, lower,
    upper); the band is named once, above its middle."""
    est, lower, upper = (_drawn(spec, s.reindex(months).values) for s in data)
    colour = _colours(spec)[0]
    xs = list(range(len(months)))
    ax.fill_between(xs, lower, upper, color=colour,
                    alpha=chart_style()["confidence_band"]["alpha"], linewidth=0)
    ax.plot(xs, est, color=colour)
    _value_axis(ax, spec, data)
    _label_end(ax, xs[-1], est[-1], spec["series"][0]["label"], colour)
    middle = len(xs) // 2
    ax.annotate(spec["series"][1]["label"], xy=(xs[middle], upper[middle]), xytext=(0, 14),
                textcoords="offset points", ha="center",
                color=darkened(colour, chart_style()["contrast"]["text"]),
                fontsize=chart_style()["label"]["fontsize"])
    _month_axis(ax, months)


_KINDS = {"lines": _lines, "stacked_area": _stacked_area, "stacked_bars": _stacked_bars,
          "band": _band}


# --------------------------------------------------------------------------- Direct Pay
def sensitivity_grid(measures: pd.DataFrame, month: str) -> pd.DataFrame:
    """The arrears share of liability at ``month`` under Direct Pay compliance from 80% to 100%.

    Reads the T8 arrears, total maintenance liability and its Direct Pay part from the
    measures (:func:`cms_stats.measures.arrears.sensitivity_inputs`).

    Returns
    -------
    DataFrame
        ``compliance`` (0..1), ``arrears_share`` (0..1).
    """
    # deferred: only the arrears chapter draws it, so only its cache key covers this measure
    from cms_stats.measures.arrears import direct_pay_sensitivity, sensitivity_inputs

    return direct_pay_sensitivity(**sensitivity_inputs(measures, month))


def sensitivity_step(grid: pd.DataFrame) -> float:
    """Increase of the arrears share for a 5 percentage point fall in compliance from full."""
    by_c = grid.set_index(grid["compliance"].round(6))["arrears_share"]
    return float(by_c[0.95] - by_c[1.0])


def _sensitivity(spec: dict, grid: pd.DataFrame, period: str) -> tuple:
    """Arrears share of liability if Direct Pay cases paid only a share of what they owe."""
    grid = grid.sort_values("compliance", ascending=False)
    xs = (grid["compliance"] * 100).tolist()
    ys = (grid["arrears_share"] * 100).tolist()
    colour = palette()[0]
    words = {
        "period": month_words(period),
        "five_points": fmt.fmt_pp(0.05, adjective=True),
        "step": fmt.fmt_pp(sensitivity_step(grid), decimals=1),
        "full": fmt.fmt_share(ys[0] / 100),
        "top_compliance": fmt.fmt_share(xs[0] / 100),
        "low_compliance": fmt.fmt_share(xs[-1] / 100),
        "low_share": fmt.fmt_share(ys[-1] / 100),
    }
    with _styled():
        fig, ax = _new_figure(spec["title"].format(**words))
        ax.plot(xs, ys, color=colour, marker="o")
        ax.set_xticks(sorted({5 * round(x / 5) for x in xs}))
        ax.invert_xaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        _percent_axis(ax, top=max(ys) * 1.15)
        ax.set_xlabel(spec["xlabel"])
        ax.set_ylabel(spec["ylabel"])
        ax.annotate(spec["label"].format(**words), xy=(xs[0], ys[0]), xytext=(0, -18),
                    textcoords="offset points", ha="left",
                    color=darkened(colour, chart_style()["contrast"]["text"]),
                    fontsize=chart_style()["label"]["fontsize"], fontweight="bold")
    return fig, " ".join(spec["alt"].split()).format(**words)
