"""Stage 5: the PDF, printed by Debian's Chromium (driven by playwright) from the single-page
build: A4, a title page with the release facts, contents of every chapter, page numbers.

Chromium prints only once the page is ready: fonts loaded, MathJax typeset and every image
decoded (the command line's ``--print-to-pdf`` prints after a time budget, so a busy machine
could print a page not yet typeset and a rebuild would differ). Tables too wide for the page at
the print size (8 pt) are split by columns, each part repeating the row headers; a table no
split can fit, or text below 8 pt, stops the release rather than printing it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import html
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

from cms_stats.calendar import CalendarError, date_words, load_calendar
from cms_stats.months import month_words
from cms_stats.publish import load_metadata
from cms_stats.work import ReleaseError

__all__ = ["print_pdf", "title_page"]


_CHROMIUM = "/usr/bin/chromium"
_PRINT_TIMEOUT_MS = 300_000
#: Page margins (mm): the print stylesheet's ``@page`` rules use the same.
_MARGIN = {"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}
_RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "book"


def title_page(period: str, facts: dict, extract: dict) -> dict:
    """The release facts the PDF's title page and running footer show, from the publication's
    configuration (``measures_metadata.yaml`` ``publication``), the release calendar's facts
    for this issue (``edition.json``) and the extract's description: nothing typed here.

    Parameters
    ----------
    period : str
        The release's period ``YYYY-MM``.
    facts : dict
        ``edition.json`` (empty for a release outside the edition series: the calendar's dates
        of the period's edition are then given as the edition's).
    extract : dict
        ``extract.json`` (``source`` says whether the data are synthetic).

    Returns
    -------
    dict
        ``title``, ``subtitle``, ``lines`` (the facts, in order), ``footer`` (the running
        footer's text) and ``synthetic`` (the statement, when the data are synthetic).
    """
    pub = load_metadata()["publication"]
    lines = [pub["statistics_status"]]
    if facts.get("published_words"):
        if facts.get("correction"):
            lines.append(f"Corrected edition, re-issued {facts['published_words']} (first "
                         f"published {facts['correction']['original_published_words']})")
        else:
            lines.append(f"Published {facts['published_words']}")
    else:
        lines += _calendar_lines(period)
    if facts.get("next"):
        lines.append(f"Next edition: {facts['next']['published_month_words']} "
                     f"(data to {facts['next']['period_words']})")
    if facts.get("known_at_words"):
        lines.append(f"Data as known on {facts['known_at_words']}")
    lines += [f"Produced by {pub['producer']}",
              f"Contact: {pub['contact']}",
              pub["licence"]]
    subtitle = f"Data to {month_words(period)}, {pub['geography']}"
    published = facts.get("published_words")
    return {"title": pub["title"], "subtitle": subtitle, "lines": lines,
            "footer": f"{pub['title']}: {month_words(period)}"
                      + (f" · published {published}" if published else ""),
            "synthetic": (pub["synthetic_statement"] if extract.get("source") == "synthetic"
                          else "")}


def _calendar_lines(period: str) -> list[str]:
    """For a release outside the edition series: the calendar's dates of the edition of its
    period, said to be the edition's (this book is built from the extract as it stands, not as
    known at the edition's cut-off); nothing when the period is not in the calendar."""
    try:
        cal = load_calendar()
        ed = cal.edition(period)
    except CalendarError:
        return []
    out = [f"The edition with data to {month_words(period)} is published {date_words(ed.published)}"
           f"{' (planned)' if ed.status != 'published' else ''}; this book is built from the "
           "extract as it stands, not as known at that edition's cut-off"]
    nxt = cal.next_edition(period)
    if nxt is not None:
        out.append(f"Next edition: {nxt.published.strftime('%B %Y')} (data to "
                   f"{month_words(nxt.period)})")
    return out


def print_pdf(single_dir: Path, root_docname: str, pdf: Path, scratch: Path,
              front: dict | None = None) -> None:
    """Print the single-page book ``single_dir/<root_docname>.html`` to ``pdf``.

    Parameters
    ----------
    single_dir : Path
        The singlehtml build.
    root_docname : str
        The book's root document (the Summary).
    pdf : Path
        Where to write the PDF.
    scratch : Path
        A folder for Chromium's profile.
    front : dict, optional
        :func:`title_page`'s facts; without them the PDF has no title page.
    """
    built = single_dir / f"{root_docname}.html"
    if not built.is_file():
        raise ReleaseError(f"PDF: singlehtml root page {built} was not built")
    if not Path(_CHROMIUM).is_file():
        raise ReleaseError(f"PDF: {_CHROMIUM} not found (install the Debian package chromium)")
    # The singlehtml builder links assets relative to its output root, whatever folder the
    # root page is written to: print a copy that sits at the root.
    (single_dir / "_print.html").write_bytes(built.read_bytes())
    # Printed through a link of fixed length (``<tmp>/cms-print-XXXXXXXX/r``) to the folder the
    # book's ``../../`` links point to: the links Chromium writes have the same length on any
    # build machine, so once made relative (same bytes, padded) the PDF is byte-identical.
    link_dir = Path(tempfile.mkdtemp(prefix="cms-print-"))
    root = link_dir / "r"
    root.symlink_to(single_dir.parent.parent.resolve(), target_is_directory=True)
    page = root / single_dir.resolve().relative_to(single_dir.parent.parent.resolve()) / "_print.html"
    try:
        _in_own_thread(lambda: _print(page, pdf, scratch, front))
    finally:
        shutil.rmtree(link_dir, ignore_errors=True)
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise ReleaseError("PDF: Chromium wrote no file")
    _relative_links(pdf, root)
    if b"file://" in pdf.read_bytes():
        raise ReleaseError("PDF: a link to a file of the build machine is left in book.pdf "
                           "(print.js makes such links text)")
    _fix_dates(pdf)
    _fix_node_ids(pdf)


def _in_own_thread(job) -> None:
    """Playwright's synchronous API refuses to run under a running asyncio loop (a release
    started from a notebook or an in-process kernel): run it in a thread of its own there."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop_running = False
    else:
        loop_running = True
    if not loop_running:
        return job()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(job).result()


def _print(page: Path, pdf: Path, scratch: Path, front: dict | None) -> None:
    from playwright.sync_api import Error, sync_playwright  # deferred: heavy, print stage only

    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=scratch))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=_CHROMIUM, env=dict(os.environ, HOME=str(profile)),
                args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage"])
            try:
                tab = browser.new_page(viewport={"width": 680, "height": 960})
                tab.set_default_timeout(_PRINT_TIMEOUT_MS)
                tab.goto(page.as_uri(), wait_until="load")
                tab.emulate_media(media="print")
                problems = tab.evaluate(_PREPARE_JS, front)
                if problems:
                    raise ReleaseError(f"PDF: {problems[0]}"
                                       + (f" (+{len(problems) - 1} more)" if len(problems) > 1
                                          else ""))
                def print_to_pdf() -> None:
                    tab.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True,
                            display_header_footer=True, margin=_MARGIN, outline=True,
                            tagged=True, header_template="<span></span>",
                            footer_template=_footer(front))

                # Printed twice: the first print says on which page each chapter starts (its
                # named destination), the contents then give it. Room for the numbers was kept
                # (print.js), so the second print is laid out as the first; checked.
                print_to_pdf()
                targets = tab.evaluate(_CONTENTS_TARGETS_JS)
                pages = contents_pages(pdf, targets)
                tab.evaluate(_CONTENTS_FILL_JS, pages)
                print_to_pdf()
                if contents_pages(pdf, targets) != pages:
                    raise ReleaseError("PDF: the chapters moved when their page numbers were "
                                       "written into the contents")
            finally:
                browser.close()
    except Error as err:
        raise ReleaseError(f"PDF: Chromium failed: {str(err).splitlines()[0]}") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)


_CONTENTS_TARGETS_JS = ("() => [...document.querySelectorAll('.cms-contents-page')]"
                        ".map((span) => span.dataset.target)")
_CONTENTS_FILL_JS = """(pages) => {
  for (const span of document.querySelectorAll('.cms-contents-page')) {
    span.textContent = String(pages[span.dataset.target]);
  }
}"""
_PDF_DEST = re.compile(r'^\s*(\d+)\s+\[[^\]]*\]\s+"(.*)"\s*$')


def contents_pages(pdf: Path, targets: list[str]) -> dict[str, int]:
    """The page each of ``targets`` (the ids of the chapters' sections) starts on in ``pdf``,
    from its named destinations (``pdfinfo -dests``, poppler: Chromium names one for each id).

    Raises
    ------
    ReleaseError
        A chapter with no destination in the PDF (its contents line would have no page).
    """
    out = subprocess.run(["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise ReleaseError(f"PDF: pdfinfo could not read {pdf.name}: "
                           f"{(out.stderr.strip().splitlines() or ['no message'])[0]}")
    dests: dict[str, int] = {}
    for line in out.stdout.splitlines():
        m = _PDF_DEST.match(line)
        if m:
            dests.setdefault(m.group(2), int(m.group(1)))
    missing = [t for t in targets if t not in dests]
    if missing:
        raise ReleaseError(f"PDF: no page for the chapter '{missing[0]}' of the contents")
    return {t: dests[t] for t in targets}


def _footer(front: dict | None) -> str:
    text = html.escape((front or {}).get("footer", ""))
    return ('<div style="font-family: sans-serif; font-size: 8pt; color: #000; width: 100%; '
            'padding: 0 15mm; box-sizing: border-box; display: flex; '
            'justify-content: space-between;">'
            f'<span>{text}</span><span>Page <span class="pageNumber"></span> of '
            '<span class="totalPages"></span></span></div>')


#: Run in the page before printing (``front`` is its argument): wait until it is ready, put
#: the title page and the contents first, split tables too wide for the page by columns and
#: check the print sizes. Returns the problems (a table no split can fit, text below 8 pt).
_PREPARE_JS = (_RESOURCES / "print.js").read_text(encoding="utf-8")


_PDF_FILE_URI = re.compile(rb"\(file://(/[^)]*)\)")


def _relative_links(pdf: Path, release_root: Path) -> None:
    """Links to the release's own files (the chapters' spreadsheet and CSV downloads, the
    previous editions) printed by Chromium as ``file://`` paths of the build machine become
    relative to the PDF (which sits where the web book's ``../../`` points), written in the
    same number of bytes (padded with PDF whitespace) so the cross-references stay right."""
    data = pdf.read_bytes()

    def relative(m: re.Match) -> bytes:
        target = urllib.parse.unquote(m.group(1).decode("utf-8", "replace"))
        rel = os.path.relpath(target, release_root).replace(os.sep, "/")
        new = b"(" + urllib.parse.quote(rel, safe="/.-_#").encode() + b")"
        if len(new) > len(m.group(0)):
            return m.group(0)
        return new + b" " * (len(m.group(0)) - len(new))

    fixed = _PDF_FILE_URI.sub(relative, data)
    if fixed != data:
        pdf.write_bytes(fixed)


_PDF_NODE_ID = re.compile(rb"\(node(\d{8})\)")


def _fix_node_ids(pdf: Path) -> None:
    """The tagged PDF names its structure elements by Chromium's DOM node ids (``node00000181``),
    a counter of every node the renderer made before, which differs by a few from one print to
    the next. Renumbered by rank (1, 2, ...; same eight digits, so the same bytes long and the
    same order in the ID tree): a rebuild is byte-identical."""
    data = pdf.read_bytes()
    rank = {old: f"{k:08d}".encode()
            for k, old in enumerate(sorted(set(_PDF_NODE_ID.findall(data))), start=1)}
    fixed = _PDF_NODE_ID.sub(lambda m: b"(node" + rank[m.group(1)] + b")", data)
    if fixed != data:
        pdf.write_bytes(fixed)


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


def _fix_dates(pdf: Path) -> None:
    """With ``SOURCE_DATE_EPOCH`` (an edition's publication date), the PDF's creation and
    modification dates become that date, written in the same number of bytes so the file's
    cross-reference offsets stay right: a rebuild is byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not (epoch and epoch.isdigit()):
        return
    stamp = dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    data = pdf.read_bytes()

    def same_length(m: re.Match) -> bytes:
        new = b"/" + m.group(1) + b" (D:" + stamp.encode() + b"+00'00')"
        return new if len(new) == len(m.group(0)) else m.group(0)

    pdf.write_bytes(_PDF_DATE.sub(same_length, data))
