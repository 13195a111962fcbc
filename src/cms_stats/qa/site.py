"""The web book in a real browser: every page, every internal link, offline, accessible.

``serve(html_dir)`` serves a built ``html/`` folder on 127.0.0.1 (a free port, a thread).
``check_site(html_dir)`` opens every page with headless Chromium (Debian's ``/usr/bin/chromium``
driven by playwright; no browser is downloaded) and records what a reader would hit:

- console errors and uncaught page errors;
- requests that failed or answered >= 400;
- requests to any host other than 127.0.0.1 (the book must work offline; they are blocked, so
  nothing leaves the machine, and recorded);
- internal links whose page does not answer 200, or whose ``#fragment`` is not an id on it;
- axe-core violations of the WCAG 2.2 AA rules and best practices, any impact, at 1280 and
  390 px in the light and dark colour schemes (``cms_stats.qa.axe``);
- full-page screenshots of chosen pages, checked to be real pictures.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import http.server
import json
import os
import posixpath
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cms_stats.qa.axe import (AXE_BLOCKING_IMPACTS, AXE_JS, AXE_RUN_JS, AXE_TAGS, FIRST_MODE,
                               axe_in_other_modes, mode_name)
from cms_stats.qa.png import check_png

CHROMIUM = os.environ.get("CMS_CHROMIUM", "/usr/bin/chromium")
# Quiet, offline, container-friendly Chromium: no sandbox (we run as root in CI), no GPU, and no
# background traffic of its own (component updates, sync, QUIC probes), so any request we see
# comes from the page.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
)
LOCAL_HOST = "127.0.0.1"
# Folders of a Sphinx build that hold assets, not pages of the book.
NON_PAGE_DIRS = ("_static", "_sources", "_images", "_downloads", "_panels_static")
VIEWPORT = {"width": FIRST_MODE[1], "height": 900}
PAGE_TIMEOUT_MS = 60_000


class QAError(RuntimeError):
    """A QA tool cannot run (missing browser, missing axe-core, missing folder)."""


# --------------------------------------------------------------------------------------------
# Serving


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, no access log on stderr (the report says what matters)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@contextlib.contextmanager
def serve(html_dir: str | os.PathLike[str], host: str = LOCAL_HOST) -> Iterator[str]:
    """Serve a folder over HTTP on a free local port for the duration of a ``with`` block.

    Parameters
    ----------
    html_dir : path
        The built web book (``<release>/html``).
    host : str
        Address to bind; loopback only by default.

    Yields
    ------
    str
        The base URL, ending with ``/`` (e.g. ``http://127.0.0.1:40123/``).
    """
    root = Path(html_dir)
    if not root.is_dir():
        raise QAError(f"{root}: no such folder to serve")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="qa-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------------------------
# The browser


def launch_browser(playwright):  # noqa: ANN001, ANN201 - playwright types are optional
    """Launch Debian's headless Chromium through playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        raise QAError(f"{CHROMIUM}: Chromium not found (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


@contextlib.contextmanager
def browser_session() -> Iterator[object]:
    """One headless Chromium for a block of checks (start it once, reuse it for many pages)."""
    from playwright.sync_api import sync_playwright  # deferred: heavy, and only for a browser run

    with sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------------------------
# The report


@dataclass
class PageReport:
    """What one page of the book did in the browser."""

    path: str
    status: int | None = None
    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    axe_violations: list[dict] = field(default_factory=list)


@dataclass
class SiteReport:
    """Everything ``check_site`` found; ``ok`` is True when nothing blocks publication."""

    html_dir: Path
    pages: dict[str, PageReport] = field(default_factory=dict)
    broken_links: list[str] = field(default_factory=list)
    missing_fragments: list[str] = field(default_factory=list)
    screenshots: dict[str, Path] = field(default_factory=dict)
    screenshot_problems: list[str] = field(default_factory=list)
    axe_checked: bool = False
    axe_pages: list[str] | None = None  # the pages axe-core ran on, when not every page

    # Problems, each a list of readable lines -------------------------------------------------
    @property
    def console_errors(self) -> list[str]:
        return [f"{p.path}: {m}" for p in self.pages.values() for m in p.console_errors + p.page_errors]

    @property
    def failed_requests(self) -> list[str]:
        return [f"{p.path}: {m}" for p in self.pages.values() for m in p.failed_requests]

    @property
    def external_requests(self) -> list[str]:
        return [f"{p.path}: {m}" for p in self.pages.values() for m in p.external_requests]

    @property
    def bad_pages(self) -> list[str]:
        return [f"{p.path}: HTTP {p.status}" for p in self.pages.values() if p.status != 200]

    def axe_violations(self, impacts: Sequence[str] = AXE_BLOCKING_IMPACTS) -> list[str]:
        """Readable lines, one per (page, rule): rule id, impact, targets, help text and URL."""
        lines = []
        for page in self.pages.values():
            for v in page.axe_violations:
                if v.get("impact") not in impacts:
                    continue
                targets = ["/".join(t) if isinstance(t, list) else str(t)
                           for n in v.get("nodes", []) for t in n.get("target", [])]
                shown = ", ".join(targets[:8]) + (f" (+{len(targets) - 8} more)" if len(targets) > 8 else "")
                node = v.get("nodes", [{}])[0] if v.get("nodes") else {}
                summary = " ".join(node.get("failureSummary", "").split())
                html = " ".join(node.get("html", "").split())[:160]
                lines.append(
                    f"{page.path} ({v.get('mode') or mode_name(FIRST_MODE)}): "
                    f"[{v.get('impact')}] {v.get('id')}: {v.get('help')} "
                    f"({len(targets)} nodes: {shown}) -- first node: {html} -- {summary} -- {v.get('helpUrl')}"
                )
        return lines

    def problems(self) -> dict[str, list[str]]:
        """Every blocking finding by kind (empty lists when the site is clean)."""
        return {
            "pages not served": self.bad_pages,
            "console errors": self.console_errors,
            "failed requests": self.failed_requests,
            "requests to other hosts": self.external_requests,
            "broken internal links": self.broken_links,
            "missing link targets (#fragment)": self.missing_fragments,
            "accessibility (axe, any impact, every mode)": self.axe_violations(),
            "screenshots": self.screenshot_problems,
        }

    @property
    def ok(self) -> bool:
        return not any(self.problems().values())

    def _axe_coverage(self) -> str:
        if not self.axe_checked:
            return "NOT run"
        if self.axe_pages is None:
            return "run on every page"
        return f"run on {len(self.axe_pages)} of {len(self.pages)} pages ({', '.join(self.axe_pages)})"

    def format(self) -> str:
        """A plain-text report for a log: counts, then every problem line."""
        n_links = len({link for p in self.pages.values() for link in p.links})
        out = [
            f"browser check of {self.html_dir}: {len(self.pages)} pages, {n_links} internal links, "
            f"axe-core {self._axe_coverage()} ({', '.join(AXE_TAGS)})"
        ]
        for kind, lines in self.problems().items():
            out.append(f"  {kind}: {len(lines)}")
            out.extend(f"    {line}" for line in lines)
        for name, shot in self.screenshots.items():
            out.append(f"  screenshot {name}: {shot}")
        out.append("  RESULT: " + ("PASS" if self.ok else "FAIL"))
        return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Checking


def list_pages(html_dir: str | os.PathLike[str]) -> list[str]:
    """Every HTML page of a built book, as paths relative to ``html_dir`` (posix, sorted)."""
    root = Path(html_dir)
    pages = []
    for f in root.rglob("*.html"):
        rel = f.relative_to(root)
        if rel.parts[0] in NON_PAGE_DIRS:
            continue
        pages.append(rel.as_posix())
    return sorted(pages)


def _http_status(url: str) -> int:
    req = urllib.request.Request(url, method="GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - local server only
            resp.read()
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


# Run in the page: every link's resolved URL, and every id a #fragment could point at.
_LINKS_AND_IDS_JS = """() => ({
  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id)
       .concat(Array.from(document.querySelectorAll('a[name]'), a => a.name)),
})"""



def _default_screenshots(html_dir: Path, pages: list[str]) -> dict[str, str]:
    """The root page (Summary) and the first other chapter in the book's navigation."""

    index = (html_dir / "index.html").read_text(encoding="utf-8", errors="replace")
    m = re.search(r'http-equiv="refresh"[^>]*url=([^"\'>]+)', index, flags=re.IGNORECASE)
    root = posixpath.normpath(m.group(1).strip()) if m else "index.html"
    shots = {"summary": root}
    root_html = (html_dir / root).read_text(encoding="utf-8", errors="replace") if (html_dir / root).exists() else ""
    nav = re.search(r'<nav class="bd-docs-nav[^"]*"[^>]*>(.*?)</nav>', root_html, flags=re.DOTALL)
    for href in re.findall(r'<a [^>]*href="([^"#]+)"', nav.group(1) if nav else root_html):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(root), href))
        if target != root and target in pages and target not in ("genindex.html", "search.html"):
            shots["chapter"] = target
            break
    return shots


def check_site(
    html_dir: str | os.PathLike[str],
    *,
    site_root: str | os.PathLike[str] | None = None,
    screenshot_dir: str | os.PathLike[str] | None = None,
    screenshots: dict[str, str] | None = None,
    axe: bool = True,
    axe_pages: Sequence[str] | None = None,
    browser: object | None = None,
    progress=None,  # noqa: ANN001 - callable(str) or None
) -> SiteReport:
    """Open every page of a built web book in headless Chromium and report what a reader would hit.

    Parameters
    ----------
    html_dir : path
        The built book (``<release>/html``).
    site_root : path, optional
        The folder served at ``/``. Default: the release folder when ``html_dir`` is a release's
        ``html/`` (a ``manifest.json`` beside it), so the book's links to the release's downloads
        (``../../tables.xlsx``, ``../../csv/T1.csv``) resolve as for a reader of the release
        folder; otherwise ``html_dir`` itself.
    screenshot_dir : path, optional
        Where to save full-page PNG screenshots (e.g. ``<release>/qa``); none taken when omitted.
    screenshots : dict, optional
        ``{name: page path}`` to screenshot; default the Summary (root) page and the first chapter.
    axe : bool
        Run axe-core (WCAG 2.2 AA tags; light, dark and phone) on every page, or on
        ``axe_pages``.
    axe_pages : sequence of str, optional
        With ``axe``, only these pages (paths as :func:`list_pages` gives them): the pages an
        archive site adds to a release whose every page was checked. Links, errors and
        screenshots still cover every page.
    browser : playwright Browser, optional
        Reuse an open browser (tests share one per session); otherwise one is launched.
    progress : callable, optional
        Called with a line per page.

    Returns
    -------
    SiteReport
        ``report.ok`` and ``report.format()``.
    """
    if browser is None and _loop_running():  # Playwright's sync API refuses a running loop:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # the browser gets its own thread
            return pool.submit(check_site, html_dir, site_root=site_root, screenshot_dir=screenshot_dir,
                               screenshots=screenshots, axe=axe, axe_pages=axe_pages,
                               progress=progress).result()
    html_dir = Path(html_dir).resolve()
    if not (html_dir / "index.html").is_file():
        raise QAError(f"{html_dir}: not a built web book (no index.html)")
    if site_root is None:
        site_root = html_dir.parent if (html_dir.parent / "manifest.json").is_file() else html_dir
        if _in_archive_site(html_dir.parent):  # its links to other editions resolve too
            site_root = html_dir.parent.parent
    site_root = Path(site_root).resolve()
    prefix = html_dir.relative_to(site_root).as_posix() + "/" if html_dir != site_root else ""
    pages = list_pages(html_dir)
    if not pages:
        raise QAError(f"{html_dir}: no HTML pages")
    if axe and not AXE_JS.is_file():
        raise QAError(f"{AXE_JS}: axe-core not installed (run: npm ci --ignore-scripts --no-audit --no-fund)")
    default_shots = screenshot_dir is not None and screenshots is None
    if default_shots:
        screenshots = _default_screenshots(html_dir, pages)
    shots_for = {page: name for name, page in (screenshots or {}).items()} if screenshot_dir else {}
    unknown = sorted(set(axe_pages or ()) - set(pages))
    if unknown:
        raise QAError(f"{html_dir}: no page {unknown[0]} to check with axe-core")
    if axe_pages is not None and not axe_pages:
        raise QAError(f"{html_dir}: axe_pages names no page (omit it to check every page)")
    axe_on = [p for p in pages if axe and (axe_pages is None or p in axe_pages)]
    report = SiteReport(html_dir=html_dir, axe_checked=axe,
                        axe_pages=None if axe_pages is None else axe_on)
    if default_shots and "chapter" not in screenshots:
        report.screenshot_problems.append("no chapter page found in the book's navigation to screenshot")
    report.screenshot_problems.extend(
        f"{p}: not a page of the book, no screenshot" for p in sorted(shots_for) if p not in pages
    )

    if browser is None:
        with browser_session() as own:
            return check_site(html_dir, site_root=site_root, screenshot_dir=screenshot_dir,
                              screenshots=screenshots, axe=axe, axe_pages=axe_pages, browser=own,
                              progress=progress)

    with serve(site_root) as base:
        origin = base.rstrip("/")
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        current: dict[str, PageReport] = {}

        def on_route(route):  # noqa: ANN001
            url = route.request.url
            host = urllib.parse.urlsplit(url).hostname
            if host == LOCAL_HOST or url.startswith(("data:", "blob:", "about:")):
                route.continue_()
            else:  # Offline by design: record and block, nothing leaves the machine.
                current["page"].external_requests.append(url)
                route.abort("blockedbyclient")

        context.route("**/*", on_route)
        try:
            for rel in pages:
                rep = PageReport(path=rel)
                current["page"] = rep
                page = context.new_page()
                page.on("console", lambda msg, rep=rep: rep.console_errors.append(
                    f"console.{msg.type}: {msg.text} @ {msg.location.get('url', '')}:{msg.location.get('lineNumber', '')}"
                ) if msg.type == "error" else None)
                page.on("pageerror", lambda err, rep=rep: rep.page_errors.append(f"uncaught: {err}"))
                page.on("requestfailed", lambda req, rep=rep: None if urllib.parse.urlsplit(req.url).hostname != LOCAL_HOST
                        else rep.failed_requests.append(f"{req.url}: {req.failure}"))
                page.on("response", lambda resp, rep=rep: rep.failed_requests.append(f"{resp.url}: HTTP {resp.status}")
                        if resp.status >= 400 and urllib.parse.urlsplit(resp.url).hostname == LOCAL_HOST else None)
                response = page.goto(base + prefix + rel, wait_until="load", timeout=PAGE_TIMEOUT_MS)
                rep.status = response.status if response else None
                with contextlib.suppress(Exception):  # late scripts (MathJax) settle; no hard wait
                    page.wait_for_load_state("networkidle", timeout=10_000)
                rep.title = page.title()
                found = page.evaluate(_LINKS_AND_IDS_JS)
                rep.ids = set(found["ids"])
                rep.links = sorted({u for u in found["links"] if u.startswith(origin + "/")})
                if rel in axe_on:
                    page.add_script_tag(path=str(AXE_JS))
                    rep.axe_violations = page.evaluate(AXE_RUN_JS, list(AXE_TAGS))
                if rel in shots_for:
                    out = Path(screenshot_dir) / f"{shots_for[rel]}.png"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(out), full_page=True)
                    report.screenshots[shots_for[rel]] = out
                    report.screenshot_problems.extend(check_png(out))
                page.close()
                report.pages[rel] = rep
                if progress:
                    n_axe = sum(1 for v in rep.axe_violations if v.get("impact") in AXE_BLOCKING_IMPACTS)
                    progress(f"  {rel}: HTTP {rep.status}, {len(rep.links)} links, "
                             f"{len(rep.console_errors) + len(rep.page_errors)} errors, {n_axe} axe violations")
            if axe_on:
                axe_in_other_modes(browser, lambda rel: base + prefix + rel, axe_on, on_route,
                                   lambda rel, found: report.pages[rel].axe_violations.extend(found),
                                   PAGE_TIMEOUT_MS)
        finally:
            context.close()

        for name, rel in (screenshots or {}).items() if screenshot_dir else ():
            if name not in report.screenshots and rel in pages:
                report.screenshot_problems.append(f"{rel}: screenshot '{name}' not taken")
        _check_links(report, origin, prefix)
    return report


def _loop_running() -> bool:
    try:
        return asyncio.get_running_loop() is not None
    except RuntimeError:
        return False


def _in_archive_site(release: Path) -> bool:
    """Whether a release folder is an edition of an archive site (``<site>/<issue>/``, with the
    landing page beside it and its manifest naming the issue)."""
    try:
        manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    edition = (manifest.get("extra") or {}).get("edition") or {}
    name, marker = release.name, release / ".issue"
    if name == "latest":  # a copy of the issue its ``.issue`` marker names
        name = marker.read_text(encoding="utf-8") if marker.is_file() else ""
    return edition.get("id") == name and (release.parent / "index.html").is_file()


def _check_links(report: SiteReport, origin: str, prefix: str = "") -> None:
    """Request every internal link once; check each #fragment is an id on its target page."""
    status: dict[str, int] = {}
    for page in report.pages.values():
        for link in page.links:
            parts = urllib.parse.urlsplit(link)
            target = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
            if target not in status:
                status[target] = _http_status(target)
            if status[target] != 200:
                report.broken_links.append(f"{page.path} -> {link}: HTTP {status[target]}")
                continue
            if not parts.fragment:
                continue
            rel = urllib.parse.unquote(parts.path[1:])
            if not rel.startswith(prefix):  # a download beside the book (csv/, tables.xlsx)
                continue
            rel = rel[len(prefix):] or "index.html"
            if rel.endswith("/"):
                rel += "index.html"
            frag = urllib.parse.unquote(parts.fragment)
            target_page = report.pages.get(rel)
            if target_page is None:
                if rel.endswith(".html"):
                    report.missing_fragments.append(f"{page.path} -> {link}: target page not checked")
                continue
            if frag not in target_page.ids:
                report.missing_fragments.append(f"{page.path} -> {link}: no id '{frag}' on {rel}")
