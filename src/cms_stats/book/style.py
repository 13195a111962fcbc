"""The book's style data (``resources/chart_style.yaml``), readable without matplotlib.

Chapters that draw nothing (and the texts every chapter glues) read settings such as
``recent_months`` from here, so they do not import the chart code (a chapter's cache key covers
only the modules it imports).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from functools import lru_cache

from cms_stats import paths
from cms_stats.files import read_yaml

__all__ = ["chart_style", "recent_months", "figure_size", "phone_size"]

_PHONE = contextvars.ContextVar("cms_chart_phone", default=False)


@lru_cache(maxsize=1)
def chart_style() -> dict:
    """The chart style data file (``resources/chart_style.yaml``) as a dict."""
    with open(paths.RESOURCES_DIR / "chart_style.yaml", encoding="utf-8") as handle:
        return read_yaml(handle)


def recent_months() -> int:
    """How many months a chapter's tables show (``recent_months``, default 13)."""
    return int(chart_style().get("recent_months", 13))


def figure_size() -> dict:
    """The size a chart is drawn at: ``figure`` of the style file, or inside
    :func:`phone_size` the same with ``phone_figure`` over it (width, height, title wrap)."""
    style = chart_style()
    return {**style["figure"], **style["phone_figure"]} if _PHONE.get() else style["figure"]


@contextlib.contextmanager
def phone_size() -> Iterator[None]:
    """Charts drawn inside this block are drawn at the phone size (:func:`figure_size`)."""
    token = _PHONE.set(True)
    try:
        yield
    finally:
        _PHONE.reset(token)
