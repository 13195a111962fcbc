"""Texts of the About chapter: where the data came from."""

from __future__ import annotations

from cms_stats.book.texts.shared import common
from cms_stats.months import month_words
from cms_stats.publish import load_metadata


def about(ch) -> dict[str, str]:
    """The source of the data (synthetic or administrative), the generator's seed and scale,
    and the last month of the extract."""
    out = common(ch)
    gen = ch.extract.get("generator") or {}
    pub = load_metadata()["publication"]  # the release facts, configured once
    out.update({
        "about_source": "synthetic" if ch.is_synthetic else "administrative",
        "about_seed": str(gen.get("seed", "")),
        "about_scale": str(gen.get("scale", "")),
        "about_last_label": month_words(str(ch.extract.get("last_month") or ch.period)),
        "about_period": ch.period,
        "about_contact": pub["contact"],
        "about_licence": pub["licence"],
    })
    return out
