"""Wording every chapter's texts share: the period in words, the quarter, changes of shares,
and the sentence for an edition before a table applies."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.style import recent_months
from cms_stats.months import month_name, month_words
from cms_stats.registry import load_registry

__all__ = ["common", "edition_note", "listing", "quarter_label", "recent_months", "share_change",
           "not_yet"]


def quarter_label(month: str) -> str:
    """``"2016-08"`` -> ``"the quarter to August 2016"``."""
    return f"the quarter to {month_words(month)}"


def common(ch) -> dict[str, str]:
    """Texts every chapter may use: the period and the comparison month in words.

    Returns
    -------
    dict
        ``period_label`` ("August 2016"), ``period_month`` ("August"), ``period_year``,
        ``compare_label`` (three months earlier), ``first_label`` (the first month of the
        data) and ``recent_from_label`` (the first month of the chapter tables).
    """
    first = str(ch.extract.get("first_month") or ch.measures["period"].min())
    return {
        "period_label": ch.label,
        "period_month": month_name(ch.period),
        "period_year": ch.period[:4],
        "compare_label": month_words(ch.month(3)),
        "first_label": month_words(first),
        "recent_from_label": month_words(ch.month(recent_months() - 1)),
    }


def share_change(ch, measure: str, table: str, quarter: bool = False) -> str:
    """A share's change on three months, as shown: ``"up 5 percentage points from 95% in May
    2016"`` (or ``"unchanged from ..."``), never contradicting the two figures it quotes."""
    before = ch.month(3)
    return fmt.pp_change_phrase(ch.change(measure, table=table), before,
                                ch.shown(measure, before, table=table), quarter=quarter,
                                current_text=ch.shown(measure, table=table))


def not_yet(ch, reason: str, rest: str) -> str:
    """Why an early edition has no figures for a table: the policy's reason, then what is
    missing (``rest`` continues "This edition covers the months to August 2016")."""
    return f"{reason} This edition covers the months to {ch.label}{rest}"


def listing(items: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def edition_note(ch, table: str, figures: str) -> str:
    """From which edition a table is published: ``figures`` ("Enforcement figures") "are
    published from the edition of August 2016", said for this edition (every month of the data
    once the table is in it)."""
    spec = load_registry().table(table)
    first = month_words(spec.first_edition)
    if spec.in_edition(ch.period):
        return f"{figures} are published from the edition of {first}, for every month of the data."
    return (f"This edition covers the months to {ch.label}; {figures[0].lower() + figures[1:]} "
            f"are published from the edition of {first}.")
