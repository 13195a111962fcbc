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
    if ch.is_synthetic:
        out["about_source_text"] = (
            f"The data is synthetic: it comes from a seeded generator (seed {out['about_seed']}, "
            f"scale {out['about_scale']}) that writes files in the same format as the real "
            "extracts; its figures are realistic in shape but are not Child Maintenance Service "
            "figures.")
    else:
        # An administrative folder describes its source, never a generator.
        out["about_source_text"] = (
            "The data is the Child Maintenance Service's administrative extract: monthly case "
            "snapshots, the events of the 2012 Scheme (applications, payments, maintenance "
            "calculations, changes of circumstances, mandatory reconsiderations), the six-monthly "
            "children sample and the management information on telephony, complaints, appeals "
            f"and accuracy, from {out['first_label']} to {out['about_last_label']}.")
    return out
