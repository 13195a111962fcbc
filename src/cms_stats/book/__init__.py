"""Chapter helpers for the notebooks: loading, computed texts, headlines, charts, tables.

A chapter notebook does::

    import cms_stats.book as book
    ch = book.load_chapter(period, data_dir, work_dir)
    book.synthetic_notice(ch)                 # the synthetic-data admonition (if synthetic)
    book.glue_texts(book.texts.intake(ch))    # every number of the prose, computed and glued
    ch.figure("intake", table="T1")           # a chart with alt text and a description
    ch.table("T1")                            # recent months of the publication table

Modules: :mod:`~cms_stats.book.format` (months, counts, money, percentages),
:mod:`~cms_stats.book.values` (reading and publishing values from the tidy measures),
:mod:`~cms_stats.book.headlines`, :mod:`~cms_stats.book.charts` (afcharts style; every chart
is an entry of ``resources/charts.yaml`` drawn by ``charts.chart(name, ...)`` as
``(fig, alt_text)``), :mod:`~cms_stats.book.texts` (a module per chapter of glued texts, each
imported on first use), :mod:`~cms_stats.book.chapter` (:func:`load_chapter`, display helpers).
"""

import importlib

from cms_stats.book import format, texts, values  # noqa: F401  (public modules)
from cms_stats.book.area_tables import area_table  # noqa: F401
from cms_stats.book.chapter import (  # noqa: F401
    Chapter,
    HTMLBlock,
    glue_texts,
    load_chapter,
    recent_table,
    synthetic_notice,
    table_html,
)

__all__ = ["area_table", "Chapter", "HTMLBlock", "Headline", "glue_texts", "load_chapter", "recent_table",
           "synthetic_notice", "table_html", "format", "headlines", "texts", "values", "charts", "editions"]

# Loaded on first use: charts imports matplotlib, and a chapter's cache key covers only the
# modules its kernel imported (a chapter that draws nothing does not key on the chart code).
_LAZY = {"charts": "cms_stats.book.charts", "headlines": "cms_stats.book.headlines",
         "editions": "cms_stats.book.editions"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name == "Headline":
        return importlib.import_module(_LAZY["headlines"]).Headline
    raise AttributeError(f"module 'cms_stats.book' has no attribute {name!r}")
