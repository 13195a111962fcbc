"""The cells of the book's HTML tables: how a figure, a symbol or a text is written."""

from __future__ import annotations

import html
import re

__all__ = ["td", "SYMBOL_NOTES", "symbol_links"]

_NUMBER = re.compile(r"^(\[[a-z]+\]|[-+−]?£?[\d,.]+(m|bn| million| pp|%)?|)$")


#: Where the Methodology explains each symbol: every one in a table links there.
SYMBOL_NOTES = {"[c]": "protecting-confidentiality", "[low]": "protecting-confidentiality",
                 "[x]": "rounding-and-symbols", "[z]": "rounding-and-symbols"}


def symbol_links() -> dict[str, str]:
    """Symbol -> the link its cell carries from a page of the book (``methodology.html#...``)."""
    return {s: f"methodology.html#{anchor}" for s, anchor in SYMBOL_NOTES.items()}


def td(value) -> str:
    """A cell: numbers and symbols right-aligned, text left-aligned (book.css); a symbol links
    to the Methodology's note on it."""
    text = str(value).strip()
    if text in SYMBOL_NOTES:
        return (f'<td style="text-align:right"><a href="methodology.html#{SYMBOL_NOTES[text]}">'
                f"{html.escape(text)}</a></td>")
    if _NUMBER.match(text):
        return f'<td style="text-align:right">{html.escape(text)}</td>'
    return f'<td class="cms-text">{html.escape(text)}</td>'
