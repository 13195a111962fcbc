"""Stage 4: the web book, html and singlehtml, built by Jupyter Book from the executed chapters.

The book's sources are staged in a persistent folder (unchanged files untouched, so Sphinx does
not read them again); both builders run one after the other in one process (Sphinx and its
extensions imported once), with warnings as errors; MathJax and every
asset are served from the book's ``_static`` (nothing is fetched off the machine).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

from cms_stats import paths
from cms_stats.files import copy_path, read_yaml, tree_files, write_if_changed
from cms_stats.calendar import date_words
from cms_stats.months import month_words
from cms_stats.registry import load_registry
from cms_stats.registry_docs import toc
from cms_stats.release.workers import one_line
from cms_stats.work import ReleaseError

__all__ = ["SYNTHETIC_BANNER", "stage_book", "Books", "build_books", "offline_problems",
           "CHARTS_DIR", "externalise_images"]


#: The banner on every page of a book built from synthetic data.
SYNTHETIC_BANNER = ("These statistics are built from SYNTHETIC data made by a generator: they are "
                    "not official statistics and describe no real person or case.")
_BUILD_TIMEOUT_S = 900
# MathJax 3 as installed by the set-up (`npm ci`, package.json); only what tex-chtml needs.
_MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml.js", "output/chtml", "ui", "a11y", "sre",
                  "adaptors")


def _mathjax_dir() -> Path:
    env = os.environ.get("CMS_STATS_MATHJAX_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(paths.PROJECT_ROOT / "node_modules" / "mathjax" / "es5")
    for c in candidates:
        if (c / "tex-chtml.js").is_file():
            return c
    raise ReleaseError(
        "MathJax 3 not found (node_modules/mathjax/es5/tex-chtml.js): run the set-up "
        "(`npm ci` in the project) so the book serves MathJax locally"
    )


def _stage_config(period: str, metadata: dict, build_date=None) -> bytes:
    config = read_yaml((paths.PROJECT_ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{config.get('title', '')}: {month_words(period)}"
    html = config.setdefault("html", {})
    if metadata.get("source") == "synthetic":
        html["announcement"] = SYNTHETIC_BANNER
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {}) or {}
    config["sphinx"]["config"] = sphinx_config
    # Served from the book itself: nothing is fetched from the internet when reading.
    sphinx_config["html_static_path"] = ["_vendor"]
    sphinx_config["mathjax_path"] = "mathjax/tex-chtml.js"
    sphinx_config["html_css_files"] = ["book.css", "print.css"]
    sphinx_config["html_js_files"] = ["light-mode.js", "table-scroll.js"]
    sphinx_config["templates_path"] = ["_templates"]
    # "Last updated" in the footer, as UK readers write a date; with a fixed build date (an
    # edition's publication date, SOURCE_DATE_EPOCH) a rebuild writes the same footer, and the
    # date is in the staged configuration so a new date re-writes every page.
    sphinx_config["html_last_updated_fmt"] = "%-d %B %Y"
    if build_date is not None:
        sphinx_config["today"] = date_words(build_date)
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True).encode()


def _stage_vendor(stage: Path) -> bool:
    """Stage the book's own assets and MathJax; True when an asset of the book changed (Sphinx
    copies static files only when it writes a page, so a changed asset needs a fresh build)."""
    vendor = stage / "_vendor"
    changed = False
    for css in ("book.css", "print.css"):
        changed |= write_if_changed(vendor / css, (paths.RESOURCES_DIR / css).read_bytes())
    for script in ("light-mode.js", "table-scroll.js"):
        changed |= write_if_changed(vendor / script,
                                    (paths.RESOURCES_DIR / "book" / script).read_bytes())
    # The table builder's script ("Create your own table"); its data (explore/data.js) are
    # written beside it in the release, from the published CSV files (release.outputs).
    changed |= write_if_changed(vendor / "explore" / "explore.js",
                                (paths.RESOURCES_DIR / "book" / "explore.js").read_bytes())
    # Theme template overrides (resources/book/_templates -> <stage>/_templates).
    templates = paths.RESOURCES_DIR / "book" / "_templates"
    for p in tree_files(templates):
        changed |= write_if_changed(stage / "_templates" / p.relative_to(templates),
                                    p.read_bytes())
    mathjax = _mathjax_dir()
    stamp = stage / ".mathjax-source"  # outside _vendor: not published
    marker = f"{mathjax} {(mathjax / 'tex-chtml.js').stat().st_mtime_ns}"
    if stamp.is_file() and stamp.read_text() == marker:
        return changed
    shutil.rmtree(vendor / "mathjax", ignore_errors=True)
    for part in _MATHJAX_PARTS:
        copy_path(mathjax / part, vendor / "mathjax" / part)
    stamp.write_text(marker)
    return True


def stage_book(stage: Path, chapters: list, notebooks: dict, period: str,
                metadata: dict, build_date=None) -> bool:
    """Write the book's sources into the persistent staging folder (unchanged files untouched).

    Returns True when the configuration, the table of contents or an asset of the book (its
    stylesheets, the table builder's script, templates, MathJax) changed: then the kept Sphinx
    environments are not trusted (a page that is not re-read would keep stale links, and
    Sphinx copies static files only when it writes pages).
    """
    changed = write_if_changed(stage / "_config.yml", _stage_config(period, metadata, build_date))
    changed |= write_if_changed(stage / "_toc.yml", toc(load_registry(), period).encode())
    changed |= _stage_vendor(stage)
    wanted = set()
    for ch in chapters:
        target = stage / f"{ch.docname}.ipynb"
        wanted.add(target)
        write_if_changed(target, nbformat.writes(notebooks[ch.name]).encode())
    for p in (stage / "notebooks").glob("*"):
        if p.is_file() and p not in wanted:
            p.unlink()
            changed = True
    return changed


#: Where :func:`externalise_images` writes the charts, in each build's output folder.
CHARTS_DIR = "_charts"
_INLINE_PNG = re.compile(r'(?P<attr>\b(?:src|srcset))="data:image/png;base64,'
                         r'(?P<b64>[A-Za-z0-9+/=]+)"')
_CHART_REF = re.compile(re.escape(CHARTS_DIR) + r"/([0-9a-f]{24}\.png)")


def externalise_images(built: Path, root_relative: bool = False) -> int:
    """Write every PNG inlined in ``built``'s pages (``data:`` URLs: each chart at the page and
    the phone size, ``cms_stats.book.figures``) to ``CHARTS_DIR/<hash>.png`` once, and point
    the pages at it by relative URL; drop chart files no page refers to any more.

    A page then carries each picture once (a browser fetches only the ``<picture>`` source it
    shows), not every chart twice in base64; the files are beside the pages, so the book is
    still read offline. ``root_relative``: URLs relative to the output folder, as the
    singlehtml builder writes its links (its page is printed from a copy at the root).

    Returns
    -------
    int
        How many pages were rewritten (pages Sphinx did not write again are already done).
    """
    charts = built / CHARTS_DIR
    used: set[str] = set()
    rewritten = 0
    for page in sorted(built.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        prefix = "" if root_relative else "../" * (len(page.relative_to(built).parts) - 1)

        def to_file(m: re.Match) -> str:
            png = base64.b64decode(m.group("b64"))
            name = hashlib.sha256(png).hexdigest()[:24] + ".png"
            # written whole or not at all, and a file left half-written by a killed build is
            # written again (its name is the hash of what it should hold)
            write_if_changed(charts / name, png)
            return f'{m.group("attr")}="{prefix}{CHARTS_DIR}/{name}"'

        new = _INLINE_PNG.sub(to_file, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten += 1
        used.update(_CHART_REF.findall(new))
    if charts.is_dir():
        for stale in charts.iterdir():  # charts of pages since rebuilt with other charts
            if stale.name not in used:
                stale.unlink()
    return rewritten


#: The builders, in the order the one Sphinx process runs them: the single page first (the PDF
#: is printed from it while the html pages are written).
_BUILDERS = ("singlehtml", "html")
# Run by the book's one Sphinx process: Jupyter Book's own command line, once per builder, each
# builder with its own output and doctrees as before (same bytes), so Python, Sphinx, myst-nb,
# the theme and jupyter-cache are imported once, not twice. Each builder's output goes to its
# log; ``<out>/.exit`` (its exit status) tells the release the builder has ended.
_DRIVER = """
import os, sys, traceback
from jupyter_book.cli.main import main
stage, pairs = sys.argv[1], sys.argv[2:]
worst = 0
for builder, out, log in zip(pairs[0::3], pairs[1::3], pairs[2::3]):
    sys.stdout.flush(); sys.stderr.flush()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(fd, 1); os.dup2(fd, 2); os.close(fd)
    try:
        main(["build", stage, "--path-output", out, "--builder", builder,
              "-W", "-n", "--keep-going", "-q"], standalone_mode=False)
        rc = 0
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        rc = 1
    sys.stdout.flush(); sys.stderr.flush()
    with open(os.path.join(out, ".exit.tmp"), "w") as fh:
        fh.write(str(rc))
    os.replace(os.path.join(out, ".exit.tmp"), os.path.join(out, ".exit"))
    worst = worst or rc
sys.exit(worst)
"""


def _jupyter_book(stage: Path, outs: dict[str, Path], logs: dict[str, Path]) -> subprocess.Popen:
    args = []
    for builder in _BUILDERS:
        logs[builder].unlink(missing_ok=True)  # a failure is read from this build's log only
        (outs[builder] / ".exit").unlink(missing_ok=True)
        args += [builder, str(outs[builder]), str(logs[builder])]
    cmd = [sys.executable, "-c", _DRIVER, str(stage), *args]
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    # what the process says before its first build (an import failing) is in the first log
    fh = open(logs[_BUILDERS[0]], "w")
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=stage)
    proc._log_handle = fh  # closed by the caller
    return proc
_WARNING_RE = re.compile(r"^(?P<where>\S.*?):(?:\d+:)?\s*(?P<level>WARNING|ERROR|CRITICAL|SEVERE):"
                         r"\s*(?P<msg>.*)$")


def _build_failure(log: Path, builder: str, chapters: list, stage: Path) -> str:
    """One line naming the chapter and the first warning or error of a failed build."""
    text = log.read_text(errors="replace") if log.is_file() else ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines = [ln for ln in text.splitlines() if ("WARNING:" in ln or "ERROR:" in ln)]
    if not lines:
        tail = [ln for ln in text.splitlines() if ln.strip()][-1:] or ["no output"]
        return f"book build ({builder}) failed: {one_line(tail[0])} (log {log})"
    first = lines[0]
    where = ""
    for ch in chapters:
        if f"{ch.docname}.ipynb" in first or f"{ch.docname}" in first.replace(str(stage) + "/", ""):
            where = f"chapter '{ch.title}' ({ch.name}): "
            break
    msg = first.replace(str(stage) + "/", "")
    more = f" (+{len(lines) - 1} more; log {log})" if len(lines) > 1 else f" (log {log})"
    return f"book build ({builder}) failed: {where}{one_line(msg)}{more}"


class Books:
    """The singlehtml and html builds, started at once in one process (the single page first),
    each with its own persistent doctrees; :meth:`result` waits for one of them, so the PDF can
    be printed from the single page while the html pages are written.

    Only pages whose staged notebook changed are read again (Sphinx compares file times), unless
    ``fresh``. A failed build, or one stopped by :meth:`close` before it ended, discards its
    environment, so its warnings come back next time.
    """

    def __init__(self, stage: Path, cache: Path, chapters: list, fresh: bool = False):
        self.stage, self.cache, self.chapters = stage, cache, chapters
        self.outs = {b: cache / f"sphinx-{b}" for b in _BUILDERS}
        self.logs = {b: cache / f"sphinx-{b}.log" for b in _BUILDERS}
        self.built: dict[str, Path] = {}
        for out in self.outs.values():
            if fresh:
                shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = _jupyter_book(stage, self.outs, self.logs)

    def _exit_status(self, builder: str) -> int | None:
        """The builder's exit status once it has ended (None while it runs)."""
        marker = self.outs[builder] / ".exit"
        deadline = time.monotonic() + _BUILD_TIMEOUT_S
        while True:
            if marker.is_file():
                return int(marker.read_text() or 1)
            if self.proc is None or self.proc.poll() is not None:
                # ended without a word on this builder (killed, or died on import)
                return int(marker.read_text() or 1) if marker.is_file() else 1
            if time.monotonic() > deadline:
                self.close()
                return 1
            time.sleep(0.02)

    def result(self, builder: str) -> Path:
        """Wait for ``builder`` (``html`` or ``singlehtml``); its output folder.

        Raises
        ------
        ReleaseError
            The build failed: one line naming the chapter and the first warning.
        """
        if builder in self.built:
            return self.built[builder]
        out = self.outs[builder]
        rc = self._exit_status(builder)
        if builder == _BUILDERS[-1] and self.proc is not None:
            self.proc.wait()
            self.proc._log_handle.close()
            self.proc = None
        built = out / "_build" / builder
        if rc != 0 or not (built / "index.html").is_file():
            # A failed build may have saved an environment that hides the warning next time.
            shutil.rmtree(out, ignore_errors=True)
            raise ReleaseError(_build_failure(self.logs[builder], builder, self.chapters,
                                              self.stage))
        externalise_images(built, root_relative=builder == "singlehtml")
        self.built[builder] = built
        return built

    def close(self) -> None:
        """Stop a build still running (the release failed meanwhile); its environment goes."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc._log_handle.close()
            self.proc = None
            for builder, out in self.outs.items():
                # kept only when it finished cleanly: a failed builder's environment would
                # hide its warning from the next (incremental) build
                done = out / ".exit"
                if builder not in self.built and not (
                        done.is_file() and done.read_text().strip() == "0"):
                    shutil.rmtree(out, ignore_errors=True)

    def __enter__(self) -> "Books":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def build_books(stage: Path, cache: Path, chapters: list,
                 fresh: bool = False) -> tuple[Path, Path]:
    """html and singlehtml in one process (:class:`Books`); both output folders.

    Raises
    ------
    ReleaseError
        A build failed (the first to fail, in one line naming the chapter).
    """
    with Books(stage, cache, chapters, fresh) as books:
        html_dir = books.result("html")
        return html_dir, books.result("singlehtml")


def offline_problems(html_dir: Path) -> list[str]:
    """Scripts, styles, fonts or images the pages would fetch from the internet."""
    bad = []
    pat = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=["']((?:https?:)?//[^"']+)""",
                     re.I)
    for page in html_dir.rglob("*.html"):
        text = page.read_text(errors="replace")
        for m in pat.finditer(text):
            tag = text[m.start(): m.start() + 6].lower()
            if tag.startswith("<link") and not re.search(r'rel=["\'](?:stylesheet|preload|icon|modulepreload)',
                                                         text[m.start(): m.end() + 200]):
                continue
            bad.append(f"{page.relative_to(html_dir)}: {m.group(1)}")
    for css in html_dir.rglob("*.css"):
        for m in re.finditer(r"""url\(\s*['"]?((?:https?:)?//[^'")]+)""", css.read_text(errors="replace")):
            if not m.group(1).startswith("http://www.w3.org/"):
                bad.append(f"{css.relative_to(html_dir)}: {m.group(1)}")
    return bad
