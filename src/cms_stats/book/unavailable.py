"""Figures a chapter cannot show: why, in the data's words (``edition.json`` ``not_available``,
decided before any chapter runs by :mod:`cms_stats.measures.availability`), and the sentence a
chart gives instead."""

from __future__ import annotations

import html

from cms_stats.months import month_words
from cms_stats.registry import load_registry

__all__ = ["NoFigures", "not_available_reason", "missing", "no_chart_reason", "no_chart"]


class NoFigures(ValueError):
    """A chart has no figure to draw (its series are empty to the period)."""


def not_available_reason(edition: dict, table: str, measure: str = "") -> str | None:
    """Why the extract folder gives no figure of ``table`` (or of ``measure``) for the period:
    a need the registry declares is unmet. None when the figures are there."""
    entry = (edition.get("not_available") or {}).get(table)
    if not entry or (entry.get("measures") and measure not in entry["measures"]):
        return None
    return str((entry.get("reasons") or {}).get(measure, entry["reason"]))


def missing(ch, measure: str, table: str | None) -> bool:
    """Whether ``measure`` of ``table`` is absent from the chapter's measures because the folder
    cannot give it (then it shows ``[x]``; any other absence is an error of the chapter)."""
    return bool(table and ch.not_available(table, measure)) and measure not in set(ch.measures["measure"])


def no_chart_reason(ch, name: str, table: str = "") -> str | None:
    """Why chart ``name`` (of ``table``, or of the table whose ``charts`` name it) has nothing
    to draw at the period: the table does not apply yet, or a measure of it is not available."""
    registry = load_registry()
    owner = table or next((t.id for t in registry.tables.values() if name in t.charts), "")
    if not owner:
        return None
    return ch.not_applicable(owner) or next(
        (r for m in registry.table(owner).measures if (r := ch.not_available(owner, m))), None)


def no_chart(period: str, reason: str) -> tuple[str, str]:
    """The sentence shown instead of a chart: ``(html, text)``."""
    text = f"No chart for {month_words(period)}: {reason}"
    return f'<p class="cms-no-chart">{html.escape(text)}</p>', text
