"""A drawn chart as the book shows it: deterministic PNGs, alt text and a caption.

Each chart of a chapter is drawn twice (:func:`cms_stats.book.charts.book_figure`): at the page
size, and at the phone size (``phone_figure`` in ``resources/chart_style.yaml``) that a screen
up to ``max_screen_px`` wide is given instead (``<picture>``), so the chart fits a phone's
screen whole with legible text, never wider than the screen.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")  # charts are rendered to PNG, never to a window

import matplotlib.pyplot as plt  # noqa: E402

from cms_stats.book.style import chart_style, figure_size  # noqa: E402

__all__ = ["ChartFigure", "chart_figure", "figure_png"]


def figure_png(fig) -> bytes:
    """Render a figure to PNG bytes, deterministically (fixed size and dpi, no metadata)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=figure_size()["dpi"], metadata={"Software": None})
    return buffer.getvalue()


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class ChartFigure:
    """A chart ready for the book: PNG image (and its phone drawing), alt text and a visible
    description.

    In HTML (web book and PDF printed from it) it renders as a ``<figure>`` whose ``<img>``
    carries the alt text and whose caption is the description; a screen no wider than the
    style's ``max_screen_px`` is given ``phone_png`` (a ``<source>`` of its ``<picture>``).
    Other front ends get the page PNG.
    """

    def __init__(self, png: bytes, alt: str, description: str = "", figure_id: str = "",
                 phone_png: bytes | None = None):
        self.png = png
        self.alt = alt
        self.description = description
        self.figure_id = figure_id
        self.phone_png = phone_png

    def _repr_html_(self) -> str:
        ident = f' id="{html.escape(self.figure_id)}"' if self.figure_id else ""
        caption = (
            f"<figcaption>{html.escape(self.description)}</figcaption>" if self.description else ""
        )
        source = ""
        if self.phone_png is not None:
            widest = chart_style()["phone_figure"]["max_screen_px"]
            source = (f'<source media="screen and (max-width: {widest}px)" '
                      f'srcset="{_data_url(self.phone_png)}" />')
        return (
            f'<figure class="cms-chart"{ident}><picture>{source}'
            f'<img src="{_data_url(self.png)}" alt="{html.escape(self.alt)}" '
            f'style="max-width:100%;height:auto" /></picture>{caption}</figure>'
        )

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:  # the text/plain a terminal shows: the alt text
        return self.alt


def chart_figure(chart, description: str = "", figure_id: str = "",
                 phone_png: bytes | None = None) -> ChartFigure:
    """Turn a chart helper's ``(fig, alt_text)`` into a :class:`ChartFigure` and close the
    figure (``phone_png``: the same chart drawn at the phone size, :func:`figure_png`)."""
    fig, alt = chart
    try:
        png = figure_png(fig)
    finally:
        plt.close(fig)
    return ChartFigure(png, alt, description, figure_id, phone_png)
