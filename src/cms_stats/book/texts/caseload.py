"""Texts of the Caseload chapter: T2."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common


def caseload(ch) -> dict[str, str]:
    """Caseload at the end of the period month by origin, on the quarter and on the year."""
    out = common(ch)
    out.update({
        "caseload_latest": ch.shown("caseload", table="T2"),
        "caseload_new": ch.shown("caseload", breakdown="new_application", table="T2"),
        "caseload_arrears_only": ch.shown("caseload", breakdown="arrears_only", table="T2"),
        "caseload_change": fmt.change_phrase(ch.change("caseload", table="T2"), ch.month(3)),
        "caseload_year_change": fmt.change_phrase(ch.change("caseload", back=12, table="T2"),
                                                  ch.month(12)),
        "caseload_arrears_only_share": fmt.fmt_share(
            ch.value("caseload", breakdown="arrears_only", table="T2")
            / ch.value("caseload", table="T2")),
    })
    return out
