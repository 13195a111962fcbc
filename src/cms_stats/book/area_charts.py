"""Charts by area (``resources/charts.yaml`` kinds ``area_bars`` and ``hex_map``).

``area_bars``: horizontal bars of one measure at the period by country and English region, as
published (a withheld figure is no bar and is named in the text alternative). ``hex_map``: a
hexagonal cartogram of the 632 constituencies (one equal hexagon each, from the ``hex_q`` and
``hex_r`` of ``resources/areas.csv``, odd-r layout), coloured by the published count per
10,000 residents in bands; a figure the tables withhold is drawn in the ``withheld`` colour.
Rates are computed from the published (rounded) counts, so the map shows nothing the table
does not. The text alternative says what the map shows, with the bands, the highest and lowest
constituencies and how many are withheld.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.patches import Patch, RegularPolygon

from cms_stats import areas
from cms_stats.book import format as fmt
from cms_stats.book.style import figure_size
from cms_stats.months import month_words
from cms_stats.publish.rounding import round_value, to_number

__all__ = ["AREA_KINDS", "area_chart", "published_texts", "rates_per_10000"]

AREA_KINDS = ("area_bars", "hex_map")


def published_texts(spec: dict, measures: pd.DataFrame, period: str, policy,
                    published: pd.DataFrame | None) -> dict[str, str]:
    """Breakdown -> the figure of ``spec``'s measure at ``period`` as the tables publish it."""
    table, measure = spec["table"], spec["measure"]
    if published is not None:
        part = published[(published["table"] == table) & (published["period"] == period)
                         & (published["measure"] == measure)]
        return dict(zip(part["breakdown"], part["value"].astype(str)))
    part = measures[(measures["table"] == table) & (measures["period"] == period)
                    & (measures["measure"] == measure)]
    return {b: str(round_value(v, table, measure, u, policy))
            for b, v, u in zip(part["breakdown"], part["value"], part["unit"])}


def rates_per_10000(texts: dict[str, str]) -> pd.DataFrame:
    """The constituencies with their published count and count per 10,000 residents (NaN where
    withheld), in code order."""
    c = areas.constituencies()
    keys = [areas.constituency_key(code) for code in c["constituency_code"]]
    counts = [to_number(texts.get(k, "[x]")) for k in keys]
    count = np.array([math.nan if v is None else float(v) for v in counts])
    return pd.DataFrame({"key": keys, "name": c["constituency_name"], "q": c["hex_q"],
                         "r": c["hex_r"], "text": [texts.get(k, "[x]") for k in keys],
                         "count": count, "rate": count / c["population"].to_numpy() * 10_000})


def area_chart(spec: dict, measures: pd.DataFrame, period: str, policy,
               published: pd.DataFrame | None, new_figure, styled, palette) -> tuple:
    """``(fig, alt_text)`` of an area chart (see the module docstring).

    ``new_figure``, ``styled`` and ``palette`` are :mod:`cms_stats.book.charts`' own (one
    style for every chart).
    """
    texts = published_texts(spec, measures, period, policy, published)
    draw = _hex_map if spec["kind"] == "hex_map" else _area_bars
    return draw(spec, texts, period, new_figure, styled, palette)


def _area_bars(spec, texts, period, new_figure, styled, palette) -> tuple:
    labels = areas.area_breakdowns()
    shown = [b for b in spec["breakdowns"]]
    values = [to_number(texts.get(b, "[x]")) for b in shown]
    total = to_number(texts.get("all", "[x]"))
    words = {"period": month_words(period),
             "total": texts.get("all", "[x]") if total is None else fmt.fmt_count(total)}
    title = spec["title"].format(**words)
    with styled():
        fig, ax = new_figure(title, spec["title_wrap_chars"])
        y = np.arange(len(shown))[::-1]
        colour = palette()[0]
        ax.barh(y, [0 if v is None else v for v in values], color=colour)
        ax.set_yticks(y, [labels[b] for b in shown])
        ax.set_xlabel(spec["xlabel"])
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")
        if figure_size().get("x_bins"):  # a phone's narrower axis: fewer, apart
            ax.locator_params(axis="x", nbins=figure_size()["x_bins"])
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
    parts = [f"{labels[b]} {texts.get(b, '[x]') if v is None else fmt.fmt_count(v)}"
             for b, v in zip(shown, values)]
    alt = " ".join(spec["alt"].split()).format(**words) + " " + "; ".join(parts) + "."
    withheld = [labels[b] for b, v in zip(shown, values) if v is None]
    if withheld:
        alt += f" Not drawn (withheld or not available): {', '.join(withheld)}."
    return fig, alt


def _bands(rates: np.ndarray, count: int) -> tuple[np.ndarray, int]:
    """Band edges: equal numbers of constituencies in each band (quantiles), rounded to the
    fewest decimals that keep them apart; and those decimals."""
    known = rates[~np.isnan(rates)]
    if known.size == 0:
        return np.array([0.0, 1.0]), 0
    edges = np.quantile(known, np.linspace(0, 1, count + 1))
    for decimals in (0, 1, 2):  # whole numbers unless the bands would merge
        rounded = np.unique(np.round(edges, decimals))
        if len(rounded) == count + 1:
            break
    return rounded, decimals


def _hex_map(spec, texts, period, new_figure, styled, palette) -> tuple:
    frame = rates_per_10000(texts)
    colours = palette("sequential")[::-1][: spec["bands"]]  # light (few) to dark (many)
    edges, decimals = _bands(frame["rate"].to_numpy(), len(colours))
    colours = colours[: max(len(edges) - 1, 1)]
    band = np.clip(np.searchsorted(edges, frame["rate"].to_numpy(), side="right") - 1, 0,
                   len(colours) - 1)
    withheld = frame["rate"].isna().to_numpy()
    words = {"period": month_words(period)}
    with styled():
        fig, ax = new_figure(spec["title"].format(**words))
        fig.set_size_inches(fig.get_figwidth(), fig.get_figwidth() * 1.25)
        for q, r, b, hidden in zip(frame["q"], frame["r"], band, withheld):
            x = q + (0.5 if r % 2 else 0.0)
            ax.add_patch(RegularPolygon((x, r * math.sqrt(3) / 2), numVertices=6, radius=0.577,
                                        orientation=0, linewidth=0.3, edgecolor=spec["edge_colour"],
                                        facecolor=spec["withheld_colour"] if hidden else colours[b]))
        ax.set_xlim(frame["q"].min() - 1, frame["q"].max() + 1.5)
        ax.set_ylim(frame["r"].min() - 1, frame["r"].max() * math.sqrt(3) / 2 + 1)
        ax.set_aspect("equal")
        ax.axis("off")
        handles = [Patch(facecolor=colours[i], label=f"{edges[i]:,.{decimals}f} to {edges[i + 1]:,.{decimals}f}")
                   for i in range(len(colours))]
        handles.append(Patch(facecolor=spec["withheld_colour"], label="withheld [c]"))
        ax.legend(handles=handles, title=spec["legend_title"], loc="upper right", frameon=False)
    known = frame.loc[~withheld]
    alt = " ".join(spec["alt"].split()).format(**words)
    if len(known):
        top, low = known.loc[known["rate"].idxmax()], known.loc[known["rate"].idxmin()]
        alt += (f" Bands (cases per 10,000 residents): "
                + ", ".join(h.get_label() for h in handles[:-1])
                + f". Highest: {top['name']}, {top['rate']:,.0f} per 10,000 ({fmt.fmt_count(top['count'])} "
                f"cases); lowest: {low['name']}, {low['rate']:,.0f} per 10,000 "
                f"({fmt.fmt_count(low['count'])} cases).")
    alt += (f" {int(withheld.sum())} of {len(frame)} constituencies are withheld or not "
            "available and drawn in grey. Every figure is in Table 22.")
    return fig, alt
