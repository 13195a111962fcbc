"""Texts of the Applications (intake) chapter: T1."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common


def intake(ch) -> dict[str, str]:
    """Applications received in the period month, the change on the quarter and duplicates."""
    out = common(ch)
    out.update({
        "intake_total": ch.shown("total_intake", table="T1"),
        "intake_new": ch.shown("new_applications", table="T1"),
        "intake_arrears_only": ch.shown("arrears_only_applications", table="T1"),
        "intake_change": fmt.change_phrase(ch.change("total_intake", table="T1"), ch.month(3)),
        "intake_duplicates": ch.shown("duplicate_new_applications_removed", table="T1"),
    })
    # Duplicates as a share of all new applications received (kept + removed) in the quarter.
    months = [ch.month(k) for k in (2, 1, 0)]
    dup = sum(ch.value("duplicate_new_applications_removed", m, table="T1") for m in months)
    kept = sum(ch.value("new_applications", m, table="T1") for m in months)
    out["intake_duplicates_quarter"] = ch.shown_total("duplicate_new_applications_removed",
                                                      months, "T1")
    withheld = fmt.is_symbol(out["intake_duplicates_quarter"]) or fmt.is_symbol(
        ch.shown_total("new_applications", months, "T1"))
    out["intake_duplicates_quarter_share"] = (
        out["intake_duplicates_quarter"] if withheld  # never a share of a suppressed figure
        else fmt.fmt_share(dup / (dup + kept)) if dup + kept else fmt.SYMBOL_NOT_AVAILABLE)
    return out
