"""Texts of the "Create your own table" page: which figures the table builder reads."""

from __future__ import annotations

from cms_stats.book.texts.shared import common


def explore(ch) -> dict[str, str]:
    """The edition the table builder's figures come from (its period, in words)."""
    out = common(ch)
    out["explore_source"] = (
        f"The figures are those this edition publishes, for the months from {out['first_label']} "
        f"to {out['period_label']}"
        + (", computed from synthetic data." if ch.is_synthetic else "."))
    return out
