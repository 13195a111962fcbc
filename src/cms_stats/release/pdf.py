"""Stage 5: the PDF, printed by Debian's Chromium from the single-page build (A4 print CSS)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import urllib.parse
import subprocess
import tempfile
from pathlib import Path

from cms_stats.release.workers import one_line
from cms_stats.work import ReleaseError

__all__ = ["print_pdf"]


_CHROMIUM = "/usr/bin/chromium"
_PRINT_TIMEOUT_S = 300


def print_pdf(single_dir: Path, root_docname: str, pdf: Path, scratch: Path) -> None:
    built = single_dir / f"{root_docname}.html"
    if not built.is_file():
        raise ReleaseError(f"PDF: singlehtml root page {built} was not built")
    # The singlehtml builder links assets relative to its output root, whatever folder the
    # root page is written to: print a copy that sits at the root.
    page = single_dir / "_print.html"
    page.write_bytes(built.read_bytes())
    if not Path(_CHROMIUM).is_file():
        raise ReleaseError(f"PDF: {_CHROMIUM} not found (install the Debian package chromium)")
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=scratch))
    # Printed through a link of fixed length (``<tmp>/cms-print-XXXXXXXX/r``) to the folder the
    # book's ``../../`` links point to: the links Chromium writes have the same length on any
    # build machine, so once made relative (same bytes, padded) the PDF is byte-identical.
    link_dir = Path(tempfile.mkdtemp(prefix="cms-print-"))
    root = link_dir / "r"
    root.symlink_to(single_dir.parent.parent.resolve(), target_is_directory=True)
    page = root / single_dir.resolve().relative_to(single_dir.parent.parent.resolve()) / page.name
    cmd = [_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-quic", "--disable-extensions", "--disable-dev-shm-usage",
           f"--user-data-dir={profile}", "--no-pdf-header-footer",
           "--virtual-time-budget=20000",  # let MathJax typeset before the page is printed
           f"--print-to-pdf={pdf}", page.as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PRINT_TIMEOUT_S,
                              env=dict(os.environ, HOME=str(profile)))
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"PDF: Chromium did not finish within {_PRINT_TIMEOUT_S} s") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(link_dir, ignore_errors=True)
    if proc.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        err = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()][-1:] or ["no output"]
        raise ReleaseError(f"PDF: Chromium failed (exit {proc.returncode}): {one_line(err[0])}")
    _relative_links(pdf, root)
    _fix_dates(pdf)


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
