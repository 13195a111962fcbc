"""Texts of the Summary chapter."""

from __future__ import annotations

from cms_stats.book.texts.shared import common


def summary(ch) -> dict[str, str]:
    """The common texts and the number of headlines of the edition."""
    out = common(ch)
    out["summary_headline_count"] = str(len(ch.headlines()))
    return out
