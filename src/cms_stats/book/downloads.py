"""What a reader can download, offered at the top of every chapter: the whole book as PDF, all
the data in one archive, the spreadsheet and the chapter's tables as CSV.

The files sit in the release folder beside ``html/`` (and in the site, in each edition's
folder), so the links climb from ``html/notebooks/<page>.html`` to the release's root.
"""

from __future__ import annotations

import html

from cms_stats.registry import load_registry

__all__ = ["archive_name", "downloads_bar", "ARCHIVE_FILES", "EXPLORE_CHAPTER"]

#: From a chapter page to the release folder.
RELEASE_ROOT = "../../"

#: The chapter of the table builder ("Create your own table"): every other chapter links it.
EXPLORE_CHAPTER = "explore"

#: What the "all the data" archive holds (files of the release folder; folders whole).
ARCHIVE_FILES = ("book.pdf", "tables.xlsx", "tables.ods", "csv", "revisions.csv")


def archive_name(release: str) -> str:
    """The archive of all the data of a release (its folder's name: period or issue id)."""
    return f"cms-statistics-{release}.zip"


def downloads_bar(release: str, period: str, chapter: str = "") -> tuple[str, str]:
    """The downloads line of a chapter: (HTML, text alternative).

    Parameters
    ----------
    release : str
        The release folder's name (the period, or the issue id in the editions site).
    period : str
        The edition's period (which tables it publishes).
    chapter : str
        The registry name of the chapter (its tables get CSV links); empty for none. Every
        chapter but the table builder's own page links to it ("Create your own table").

    Returns
    -------
    tuple of str
        The HTML (a ``<nav>`` landmark named "Downloads") and its plain-text alternative.
    """
    links = [("book.pdf", "the whole book (PDF)"),
             (archive_name(release), "all the data (ZIP: spreadsheet, CSV, PDF)"),
             ("tables.xlsx", "the spreadsheet (XLSX)")]
    tables = []
    if chapter:
        registry = load_registry()
        in_edition = set(registry.tables_in_edition(period))
        tables = [t for t in registry.chapter_tables(chapter) if t in in_edition]

    def a(href: str, label: str) -> str:
        return f'<a href="{RELEASE_ROOT}{html.escape(href)}">{html.escape(label)}</a>'

    body = "Download " + ", ".join(a(h, label) for h, label in links)
    text = "Download: " + ", ".join(h for h, _ in links)
    if tables:
        body += "; this chapter's tables as CSV: " + ", ".join(
            a(f"csv/{t}.csv", f"Table {t[1:]}") for t in tables)
        text += "; " + ", ".join(f"csv/{t}.csv" for t in tables)
    body += "."
    if chapter != EXPLORE_CHAPTER:
        body += (f' Or <a href="{EXPLORE_CHAPTER}.html">create your own table</a> from the '
                 "published figures.")
        text += f"; create your own table: {EXPLORE_CHAPTER}.html"
    return (f'<nav class="cms-downloads-top" aria-label="Downloads"><p>{body}</p></nav>', text)
