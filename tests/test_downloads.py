"""Downloads that work wherever the release is served (issue 11): a web server publishing only
the release folder serves every page, asset and download the book links to; every chapter
offers the book, all the data and its tables near its top; the archive holds the release's
own files, byte for byte."""

from __future__ import annotations

import functools
import http.server
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cms_stats.book.downloads import archive_name
from cms_stats.registry import load_registry


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") in ("canonical",)):
                self.links.append(a[key])


@pytest.fixture(scope="module")
def served(small_release):
    """The release folder, and nothing above it, on a local web server."""
    handler = functools.partial(_QuietHandler, directory=str(small_release))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def test_every_link_and_asset_of_the_served_release_is_found(served):
    """Crawl from the book's first page: every page, asset and download answers 200, and
    every fragment of a page exists in it."""
    start = urllib.parse.urljoin(served, "html/notebooks/summary.html")
    seen, queue, missing, fragments = set(), [start], [], []
    pages: dict[str, _Links] = {}
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        status, body = _get(url)
        if status != 200:
            missing.append(url)
            continue
        if not url.endswith(".html"):
            continue
        parser = _Links()
        parser.feed(body.decode("utf-8", "replace"))
        pages[url] = parser
        for link in parser.links:
            target = urllib.parse.urljoin(url, link)
            if not target.startswith(served):
                assert not target.startswith(("http://", "https://")) or "127.0.0.1" not in target
                continue  # mailto:, the licence's web page: not files of the release
            clean, _, fragment = target.partition("#")
            if fragment:
                fragments.append((url, clean, fragment))
            queue.append(clean)
    assert missing == []
    for page, target, fragment in fragments:
        if target in pages:
            assert fragment in pages[target].ids, (page, target, fragment)
    got = {urllib.parse.urlparse(u).path for u in seen}
    for expected in ("/book.pdf", "/tables.xlsx", f"/{archive_name('2016-08')}", "/csv/T1.csv"):
        assert expected in got, expected
    assert len(pages) >= 10  # every chapter was reached


def test_every_chapter_offers_the_downloads_near_its_top(small_release):
    registry = load_registry()
    for page in sorted((small_release / "html" / "notebooks").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        at = text.find('class="cms-downloads-top"')
        assert at > 0, page.name
        # before the page's first table or chart
        first = min([i for i in (text.find("<table"), text.find("<img")) if i > 0] or [len(text)])
        assert at < first, page.name
        bar = text[at:text.find("</nav>", at)]
        for href in ("../../book.pdf", f"../../{archive_name('2016-08')}", "../../tables.xlsx"):
            assert f'href="{href}"' in bar, (page.name, href)
        for table in registry.chapter_tables(page.stem):
            if table in registry.tables_in_edition("2016-08"):
                assert f'href="../../csv/{table}.csv"' in bar, (page.name, table)
        # the page's download menu offers the book's PDF
        assert "btn-download-book-pdf" in text and "/../../book.pdf" in text, page.name


def test_the_archive_holds_the_release_files_byte_for_byte(small_release):
    archive = small_release / archive_name("2016-08")
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert {"book.pdf", "tables.xlsx", "csv/T1.csv", "csv/metadata.json"} <= set(names)
        for name in names:
            assert z.read(name) == (small_release / name).read_bytes(), name
    released = {p.relative_to(small_release).as_posix() for p in (small_release / "csv").rglob("*")
                if p.is_file()}
    assert released <= set(names)


def test_the_archive_is_the_same_bytes_from_the_same_files(tmp_path, monkeypatch):
    """Two release folders with the same files, written at different times and with different
    file times, give the same archive; one changed byte in one file gives another archive. Members
    carry the build date (SOURCE_DATE_EPOCH), never the file times."""
    import os
    import time

    from cms_stats.release.archive import write_data_archive

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1477440000")  # 26 October 2016
    archives = []
    for k, (mtime, table) in enumerate([(1_000_000_000, b"a,b\n1,2\n"), (1_600_000_000, b"a,b\n1,2\n"),
                                        (1_600_000_000, b"a,b\n1,3\n")]):
        folder = tmp_path / f"r{k}"
        (folder / "csv" / "ees").mkdir(parents=True)
        files = {"book.pdf": b"%PDF-1.7 book", "tables.xlsx": b"PK xlsx", "csv/T1.csv": table,
                 "csv/ees/t1.csv": b"x\n", "revisions.csv": b"table\n", "notes.txt": b"not in it"}
        for name in (sorted(files) if k % 2 == 0 else sorted(files, reverse=True)):
            (folder / name).write_bytes(files[name])
            os.utime(folder / name, (mtime, mtime))
        archives.append(write_data_archive(folder, "2016-08").read_bytes())
        time.sleep(1.1)  # a later wall clock must not show either
    assert archives[0] == archives[1]
    assert archives[1] != archives[2]
    with zipfile.ZipFile(tmp_path / "r0" / archive_name("2016-08")) as z:
        assert z.namelist() == ["book.pdf", "csv/T1.csv", "csv/ees/t1.csv", "revisions.csv",
                                "tables.xlsx"]
        assert {i.date_time for i in z.infolist()} == {(2016, 10, 26, 0, 0, 0)}
