"""The edition on the page: the edition line, the correction notice and "What's changed".

Everything here is computed from ``edition.json`` (the release calendar's facts for this issue,
written by the release) and the working files: no date or count is typed. A notebook run on
its own (no ``edition.json``) shows none of it.
"""

from __future__ import annotations

import html

import pandas as pd

from cms_stats.book.chapter import Chapter, HTMLBlock, table_html
from cms_stats.months import month_words
from cms_stats.registry import load_registry

__all__ = ["edition_line", "correction_notice", "whats_changed"]

#: From a chapter page (``<edition>/html/notebooks/<page>.html``) to the site's root.
_SITE_ROOT = "../../../"


def edition_line(ch: Chapter) -> HTMLBlock:
    """``Published <date>. Next edition: <month year>.`` (both from the calendar)."""
    ed = ch.edition
    if not ed.get("published_words"):
        return HTMLBlock("", "")
    text = f"Published {ed['published_words']}."
    if ed.get("correction"):
        text = (f"Corrected edition, re-issued {ed['published_words']} (first published "
                f"{ed['correction']['original_published_words']}).")
    if ed.get("next"):
        text += f" Next edition: {ed['next']['published_month_words']}."
    return HTMLBlock(f'<p class="cms-edition">{html.escape(text)}</p>', text)


def correction_notice(ch: Chapter) -> HTMLBlock:
    """The notice at the top of a page whose tables this issue corrects (as the reference
    edition's footnote): empty on other pages and in issues that correct nothing."""
    corr = ch.edition.get("correction")
    if not corr:
        return HTMLBlock("", "")
    page_tables = set(load_registry().chapter(ch.chapter).tables) if ch.chapter else set()
    if ch.chapter and not page_tables & set(corr["tables"]):
        return HTMLBlock("", "")
    tables = ", ".join(f"Table {t[1:]}" for t in corr["tables"])
    text = (f"Following the initial publication on {corr['original_published_words']}, "
            f"{corr['reason']} Corrected tables: {tables}.")
    block = ('<div class="admonition important cms-correction" role="note">'
             '<p class="admonition-title">Correction</p>'
             f"<p>{html.escape(text)}</p></div>")
    return HTMLBlock(block, "Correction: " + text)


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _figure_label(row) -> str:
    return f"{row['measure'].replace('_', ' ')}" + (
        f" ({row['breakdown'].replace('_', ' ')})" if row["breakdown"] != "all" else "")


def whats_changed(ch: Chapter) -> HTMLBlock:
    """The "What's changed in this edition" section: the correction and its figures, figures
    revised and kept under the revisions rule, tables new in this edition, methodology changes
    (from the calendar) and links to the previous editions."""
    ed = ch.edition
    if not ed:
        return HTMLBlock("<p>No edition facts: this notebook was run outside a release.</p>",
                         "No edition facts.")
    parts, text = [], []

    def para(s: str) -> None:
        parts.append(f"<p>{html.escape(s)}</p>")
        text.append(s)

    if ed.get("published_words"):
        para(f"This edition has data to {ed['period_words']}, from the data as known on "
             f"{ed['known_at_words']}; it was published on {ed['published_words']}.")
    else:  # a release outside the series (cms-stats release): no calendar facts
        para(f"This release has data to {month_words(ch.period)}; it is not an edition of the "
             "series (cms-stats editions), so it has no publication date.")
    corr = ed.get("correction")
    if corr:
        fixed = pd.DataFrame(ed.get("corrected_figures") or [])
        para(f"It corrects the edition first published on {corr['original_published_words']}: "
             f"{corr['reason']} {len(fixed):,} published figures changed.")
        if len(fixed):
            frame = pd.DataFrame({
                "Table": fixed["table"], "Month": [month_words(m) for m in fixed["period"]],
                "Figure": [_figure_label(r) for _, r in fixed.iterrows()],
                "First published": fixed["previous"], "Corrected": fixed["revised"]})
            parts.append(table_html(frame, caption="Figures corrected in this edition",
                                    table_id="corrections").html)
    rev = ch.revisions
    if rev is None:
        para("Revisions: there is no earlier edition to revise against.")
    else:
        revised = rev["is_revised"].astype(str).str.lower() == "true"
        para(f"Revisions against the previous edition: {int(revised.sum()):,} figures revised "
             f"and {int((~revised).sum()):,} changes kept at the previously published figure "
             f"(less than {ch.policy.revision_threshold_percent:g}%).")
        parts.append(ch.revisions_table().html)
    new = ed.get("new_tables") or []
    registry = load_registry()
    if new:
        para("Tables new in this edition:")
        parts.append(_list([html.escape(registry.table(t).title) for t in new]))
    else:
        para("No table is new in this edition.")
    methods = ed.get("methodology") or []
    if methods:
        para("Changes of method in this edition:")
        parts.append(_list([html.escape(m["text"]) for m in methods]))
    else:
        para("No change of method in this edition.")
    prev = ed.get("previous_editions") or []
    if prev:
        para("Previous editions:")
        parts.append(_list([
            f'<a href="{_SITE_ROOT}{html.escape(p["id"])}/html/index.html">'
            f'Data to {html.escape(p["period_words"])}, published {html.escape(p["published_words"])}'
            f'</a>' for p in prev]))
    return HTMLBlock("".join(parts), "\n".join(text))
