"""The archive site: checking a published issue against its manifest, the landing page and
``latest/``.

Every file the site shows is written beside its final place and moved there whole
(:func:`cms_stats.files.move_into_place`): a reader never sees half a landing page.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from pathlib import Path

from cms_stats.calendar import Calendar, Issue, date_words
from cms_stats.files import atomic_write_text, hash_files, move_into_place
from cms_stats.months import month_words
from cms_stats.work import ReleaseError

__all__ = ["EditionError", "output_hashes", "check_issue", "write_landing", "write_latest",
           "landing_html"]

MANIFEST = "manifest.json"


class EditionError(ReleaseError):
    """The series cannot be built, for a reason stated in one line (the CLI prints it)."""


def output_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a published issue but its manifest (relative path -> hex)."""
    return {rel: d for rel, d in hash_files(folder).items() if rel != MANIFEST}


def check_issue(folder: Path, issue_id: str) -> None:
    """Stop in one line when a published issue no longer matches its manifest: a file changed,
    missing or added since it was published (the published record is immutable).

    Raises
    ------
    EditionError
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        recorded = manifest["extra"]["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        raise EditionError(f"edition {issue_id} in the archive ({folder}) has no readable "
                           f"manifest of its files: it cannot be checked") from None
    now = output_hashes(folder)
    problems = [f"{rel} changed" for rel in sorted(recorded) if rel in now and now[rel] != recorded[rel]]
    problems += [f"{rel} missing" for rel in sorted(set(recorded) - set(now))]
    problems += [f"{rel} added" for rel in sorted(set(now) - set(recorded))]
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise EditionError(f"edition {issue_id} in the archive ({folder}) does not match its "
                           f"manifest: {problems[0]}{more}; a published edition is never changed")


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def landing_html(site: Path, calendar: Calendar, present: list[Issue]) -> str:
    """The landing page: every edition of the calendar, newest first, with its publication
    date, status and links to its book, PDF, spreadsheet, CSV and revisions."""
    have = {i.id for i in present}
    latest = max(present, key=lambda i: i.published).id if present else None
    rows = []
    for ed in reversed(calendar.editions):
        for issue in reversed(ed.issues):
            if ed.status == "planned":
                status = f"planned ({ed.published_basis} date)" if ed.published_basis == "assumed" \
                    else "planned"
                links = "not yet published"
                when = ed.published.strftime("%B %Y")
            elif issue.id not in have:
                continue
            else:
                later = [i for i in ed.issues if i.published > issue.published and i.id in have]
                status = ("corrected edition" if issue.correction else "published")
                if later:
                    status += f"; superseded by the correction of {date_words(later[0].published)}"
                if issue.id == latest:
                    status += " (latest)"
                when = date_words(issue.published)
                d = f"{issue.id}/"
                parts = [_link(d + "html/index.html", "web book"), _link(d + "book.pdf", "PDF"),
                         _link(d + "tables.xlsx", "spreadsheet"),
                         _link(d + "csv/metadata.json", "CSV (metadata and files)")]
                if (site / issue.id / "tables.ods").is_file():
                    parts.insert(3, _link(d + "tables.ods", "spreadsheet (OpenDocument)"))
                if (site / issue.id / "revisions.csv").is_file():
                    parts.append(_link(d + "revisions.csv", "revisions"))
                parts.append(_link(d + "manifest.json", "manifest"))
                links = " · ".join(parts)
            title = f"Data to {month_words(ed.period)}" + (
                f" (correction {issue.correction.number})" if issue.correction else "")
            rows.append(f"<tr><th scope=\"row\">{html.escape(title)}</th>"
                        f"<td>{html.escape(when)}</td><td>{html.escape(status)}</td>"
                        f"<td>{links}</td></tr>")
    latest_p = (f'<p>The latest edition is always at {_link("latest/html/index.html", "latest/")}.</p>'
                if latest else "")
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Child Maintenance Service 2012 Scheme statistics: every edition</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
table{{border-collapse:collapse}}th,td{{border:1px solid #767676;padding:.4rem;text-align:left;vertical-align:top}}
a{{color:#1d4f91}}</style>
</head>
<body>
<main>
<h1>Child Maintenance Service 2012 Scheme statistics: every edition</h1>
<p>Each edition is kept as it was published: its web book, PDF, spreadsheet, CSV files and
manifest never change. A correction made after publication is a new edition beside the original.</p>
{latest_p}
<table>
<caption>Editions, newest first</caption>
<thead><tr><th scope="col">Edition</th><th scope="col">Published</th><th scope="col">Status</th><th scope="col">Downloads</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</main>
</body>
</html>
"""


def write_landing(site: Path, calendar: Calendar, present: list[Issue]) -> Path:
    """Write ``<site>/index.html`` whole."""
    path = site / "index.html"
    atomic_write_text(path, landing_html(site, calendar, present))
    return path


def write_latest(site: Path, issue_id: str) -> Path:
    """``<site>/latest/``: a copy of the latest issue, replaced whole (unchanged when it is
    already that issue)."""
    final = site / "latest"
    marker = final / ".issue"
    if marker.is_file() and marker.read_text(encoding="utf-8") == issue_id:
        return final
    tmp = Path(tempfile.mkdtemp(prefix=f".latest.tmp-{os.getpid()}-", dir=site))
    try:
        tmp.chmod(0o755)
        shutil.copytree(site / issue_id, tmp, dirs_exist_ok=True)
        (tmp / ".issue").write_text(issue_id, encoding="utf-8")
        move_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
