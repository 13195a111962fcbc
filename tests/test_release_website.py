"""The book's pages carry each chart once, as a file beside them (``externalise_images``)."""

from __future__ import annotations

import base64
import re

from cms_stats.book.figures import ChartFigure
from cms_stats.release.website import CHARTS_DIR, externalise_images

PAGE_PNG, PHONE_PNG, OTHER_PNG = b"\x89PNG page", b"\x89PNG phone", b"\x89PNG other"


def _page(figure: ChartFigure) -> str:
    return f"<html><body><p>text</p>{figure._repr_html_()}</body></html>"


def _targets(page, html: str) -> dict[str, bytes]:
    """Each image attribute's value -> the bytes of the file it points to."""
    found = re.findall(r'\b(?:src|srcset)="([^"]+)"', html)
    return {url: (page.parent / url).read_bytes() for url in found}


def test_inlined_charts_become_files_each_page_points_to(tmp_path):
    figure = ChartFigure(PAGE_PNG, "alt", "desc", "chart-a", phone_png=PHONE_PNG)
    (tmp_path / "notebooks").mkdir()
    pages = [tmp_path / "index.html", tmp_path / "notebooks" / "a.html",
             tmp_path / "notebooks" / "b.html"]
    for page in pages:
        page.write_text(_page(figure), encoding="utf-8")
    assert externalise_images(tmp_path) == 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "data:image" not in html
        assert sorted(_targets(page, html).values()) == sorted([PAGE_PNG, PHONE_PNG])
        assert "<picture><source media=" in html  # the phone drawing is still the phone's
    assert len(list((tmp_path / CHARTS_DIR).iterdir())) == 2  # each picture written once
    assert externalise_images(tmp_path) == 0  # done pages are left as they are


def test_charts_no_page_shows_any_more_are_dropped(tmp_path):
    page = tmp_path / "notebooks" / "a.html"
    page.parent.mkdir()
    page.write_text(_page(ChartFigure(PAGE_PNG, "alt", phone_png=PHONE_PNG)), encoding="utf-8")
    externalise_images(tmp_path)
    page.write_text(_page(ChartFigure(OTHER_PNG, "alt")), encoding="utf-8")  # rebuilt page
    assert externalise_images(tmp_path) == 1
    kept = [p.read_bytes() for p in (tmp_path / CHARTS_DIR).iterdir()]
    assert kept == [OTHER_PNG]


def test_single_page_links_are_relative_to_the_output_folder(tmp_path):
    # the singlehtml builder links from its output root (its page is printed from a copy there)
    page = tmp_path / "notebooks" / "summary.html"
    page.parent.mkdir()
    page.write_text(_page(ChartFigure(PAGE_PNG, "alt")), encoding="utf-8")
    externalise_images(tmp_path, root_relative=True)
    url = re.search(r'src="([^"]+)"', page.read_text(encoding="utf-8")).group(1)
    assert url.startswith(f"{CHARTS_DIR}/")
    assert (tmp_path / url).read_bytes() == PAGE_PNG


def test_other_inlined_images_are_left_alone(tmp_path):
    gif = "data:image/gif;base64," + base64.b64encode(b"GIF89a").decode()
    page = tmp_path / "index.html"
    page.write_text(f'<img src="{gif}" alt="x">', encoding="utf-8")
    assert externalise_images(tmp_path) == 0
    assert gif in page.read_text(encoding="utf-8")


def test_a_chart_left_half_written_is_written_again(tmp_path):
    """A build killed while writing a chart leaves a short file under the chart's name (the
    hash of its bytes): the next build writes it whole, not reuses it."""
    page = tmp_path / "index.html"
    page.write_text(_page(ChartFigure(PAGE_PNG, "alt")), encoding="utf-8")
    externalise_images(tmp_path)
    (chart,) = (tmp_path / CHARTS_DIR).iterdir()
    chart.write_bytes(PAGE_PNG[:3])
    page.write_text(_page(ChartFigure(PAGE_PNG, "alt")), encoding="utf-8")  # rebuilt page
    externalise_images(tmp_path)
    assert chart.read_bytes() == PAGE_PNG


def test_closing_keeps_only_a_builder_that_ended_cleanly(tmp_path):
    """The books closed before the html pages were collected (the release failed after the
    single page): a builder that ended with an error loses its environment, so its warning
    comes back in the next build; one that ended cleanly keeps it; one not ended loses it."""
    import subprocess
    import sys

    from cms_stats.release.website import Books

    books = Books.__new__(Books)
    books.outs = {name: tmp_path / name for name in ("failed", "clean", "running", "collected")}
    for name, status in (("failed", "1"), ("clean", "0"), ("collected", "1")):
        (tmp_path / name / ".doctrees").mkdir(parents=True)
        (tmp_path / name / ".exit").write_text(status)
    (tmp_path / "running" / ".doctrees").mkdir(parents=True)
    books.built = {"collected": tmp_path / "collected"}
    books.proc = subprocess.Popen([sys.executable, "-c", "pass"])
    books.proc._log_handle = open(tmp_path / "log", "w")
    books.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["clean", "collected"]
