"""The Methodology's data-quality tables: the rows quarantined by file and reason, and the rows
in, used and quarantined by file, each figure as the data-quality table (DQ) publishes it.

The functions take a :class:`~cms_stats.book.chapter.Chapter` (``validation``, ``policy``,
``shown``, ``shown_raw``); the chapter's methods of the same names call them.
"""

from __future__ import annotations

import pandas as pd

from cms_stats.book import format as fmt

__all__ = ["quarantine_counts", "rows_by_file", "files_withheld", "quarantine_shown"]


def quarantine_counts(ch) -> pd.DataFrame:
    """Quarantined rows by file and reason, from ``validation.json``, each as the data-quality
    table publishes it (:func:`quarantine_shown`: no small count is shown)."""
    rows = [(file, reason, quarantine_shown(ch, file, reason, n))
            for file, reasons in sorted(ch.validation.get("quarantined_by_reason", {}).items())
            for reason, n in sorted(reasons.items())]
    return pd.DataFrame(rows, columns=["File", "Reason", "Rows quarantined"])


def rows_by_file(ch) -> pd.DataFrame:
    """Rows in, used and quarantined by source, from ``validation.json``.

    Snapshots and samples are summed over their files (:func:`file_group`). Counts are shown by
    the policy's data-quality rounding (small counts as ``[c]``); a file one of whose reasons the
    data-quality table withholds shows neither rows used nor quarantined (:func:`files_withheld`).
    """
    v = ch.validation
    groups: dict[str, list[int]] = {}
    for file in sorted(set(v.get("rows_in", {})) | set(v.get("rows_used", {}))):
        counts = groups.setdefault(file_group(file), [0, 0, 0])
        for i, key in enumerate(("rows_in", "rows_used", "rows_quarantined")):
            counts[i] += int(v.get(key, {}).get(file, 0))

    def show(n):
        return ch.shown_raw(int(n), "DQ", "quarantined_rows", "count") if n else "0"

    withheld = files_withheld(ch)
    c = ch.policy.symbols["suppressed"]
    return pd.DataFrame([(name, show(counts[0]),
                          *((c, c) if name in withheld else (show(counts[1]), show(counts[2]))))
                         for name, counts in groups.items()],
                        columns=["File", "Rows in", "Rows used", "Rows quarantined"])


def quarantine_shown(ch, file: str, reason: str, n: int) -> str:
    """A file's rows quarantined for one reason as the data-quality table publishes them: its
    protection may withhold more than the small counts (a figure an earlier edition withheld,
    or one withheld so a small one cannot be worked out). Rounded by the policy where the table
    has no such figure (a chapter run outside a release)."""
    try:
        text = ch.shown("quarantined_rows", breakdown=f"{file}: {reason}", table="DQ")
    except KeyError:
        text = fmt.SYMBOL_NOT_AVAILABLE
    if text == fmt.SYMBOL_NOT_AVAILABLE:
        return ch.shown_raw(int(n), "DQ", "quarantined_rows", "count")
    return text


def files_withheld(ch) -> set[str]:
    """The files one of whose quarantine reasons the data-quality table withholds (``[c]`` in
    the rows quarantined by reason): their rows used and quarantined are not shown (the file's
    total less its other reasons, or its rows in less its rows used, would narrow it). Every
    other file's are, as the data-quality table publishes its reasons (a file with one reason
    shows the same figure in both tables); the rows read are always shown."""
    c = ch.policy.symbols["suppressed"]
    return {file_group(file)
            for file, reasons in ch.validation.get("quarantined_by_reason", {}).items()
            if any(quarantine_shown(ch, file, reason, n) == c for reason, n in reasons.items())}


def file_group(file: str) -> str:
    """A file of the folder as the rows-by-file table names it: monthly snapshots and
    six-monthly samples summed over their files (one snapshot's row count is that month's exact
    caseload, which the book publishes only rounded)."""
    if file.startswith("snapshots/"):
        return "snapshots/cases_YYYY-MM.parquet (all months)"
    if file.startswith("samples/"):
        return "samples/children_YYYY-MM.parquet (all samples)"
    return file
