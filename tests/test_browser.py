"""The web book in a real browser (headless Chromium via playwright, Debian's /usr/bin/chromium).

Every page of the small release is opened once (one browser for the session): no console error,
no failed request, no request off the machine, every internal link answers 200 and every
#fragment exists, axe-core finds no violation of any impact (WCAG 2.2 AA and best practices, at
1280 and 390 px, with the light and the dark colour scheme asked for), and screenshots of the
Summary and a chapter are real pictures. A deliberately broken little site shows that
each of these checks can fail.
"""

from __future__ import annotations

import contextlib
import urllib.request
from pathlib import Path

import pytest
import yaml

from cms_stats import paths
from cms_stats.qa import check_site, list_pages, serve
from cms_stats.qa.layout import PHONE_WIDTHS, overflowing
from cms_stats.qa.site import AXE_JS, CHROMIUM, check_png

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")


def _lines(lines: list[str]) -> str:
    return "\n" + "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The checks can fail: a little site with one of each fault


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken_site")
    page = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1 id="top">{title}</h1>{body}</main></body></html>"""
    (root / "index.html").write_text(page.format(title="Home", body=(
        '<p><a href="other.html#present">fine</a> <a href="other.html#absent">no such id</a> '
        '<a href="missing.html">no such page</a> <a href="https://example.org/">external link, not requested</a></p>'
        '<script>console.error("boom from the page")</script>'
        '<img src="https://cdn.example.invalid/logo.png" alt="logo">')))
    (root / "other.html").write_text(page.format(title="Other", body=(
        '<h2 id="present">Present</h2><img src="_static/nothing.png">'
        '<p style="color:#bbb;background:#fff">low contrast text</p>'
        '<script>throw new Error("uncaught in other")</script>'
        # faults only a reader asking for the dark scheme, or on a phone, meets
        '<style>@media (prefers-color-scheme: dark) { .dk { color: #333; background: #000; } }'
        '@media (max-width: 500px) { .ph { color: #ccc; background: #fff; } }</style>'
        '<p class="dk">dark only</p><p class="ph">phone only</p>'
        '<h4>a best-practice fault: heading levels skipped</h4>')))
    return root


@pytest.fixture(scope="module")
def broken_report(broken_site, browser, tmp_path_factory):
    shots = tmp_path_factory.mktemp("broken_shots")
    return check_site(broken_site, browser=browser, screenshot_dir=shots,
                      screenshots={"home": "index.html", "ghost": "nowhere.html"})


def test_checker_catches_every_kind_of_fault(broken_report):
    r = broken_report
    assert not r.ok
    assert sorted(r.pages) == ["index.html", "other.html"]
    assert any("boom from the page" in e for e in r.console_errors), r.format()
    assert any("uncaught in other" in e for e in r.console_errors), r.format()
    assert any("_static/nothing.png" in e and "404" in e for e in r.failed_requests), r.format()
    assert any("cdn.example.invalid" in e for e in r.external_requests), r.format()
    assert not any("example.org" in e for e in r.external_requests)  # links are not followed off-site
    assert any("missing.html: HTTP 404" in e for e in r.broken_links), r.format()
    assert any("no id 'absent' on other.html" in e for e in r.missing_fragments), r.format()
    assert not any("present" in e for e in r.missing_fragments)
    axe = r.axe_violations()
    assert any("image-alt" in v and v.startswith("other.html") for v in axe), r.format()
    assert any("color-contrast" in v for v in axe), r.format()
    # every mode is checked, and a fault of any impact (best practice included) is reported
    contrast = [v for v in axe if "color-contrast" in v and v.startswith("other.html")]
    by_mode = {m: [v for v in contrast if f"({m})" in v]
               for m in ("light scheme, 1280 px", "light scheme, 390 px", "dark scheme, 1280 px",
                         "dark scheme, 390 px")}
    assert all(by_mode.values()), by_mode
    assert any(".dk" in v for v in by_mode["dark scheme, 1280 px"])
    assert not any(".dk" in v for v in by_mode["light scheme, 1280 px"] + by_mode["light scheme, 390 px"])
    assert any(".ph" in v for v in by_mode["light scheme, 390 px"])
    assert not any(".ph" in v for v in by_mode["light scheme, 1280 px"] + by_mode["dark scheme, 1280 px"])
    assert any("[moderate] heading-order" in v for v in axe), r.format()
    assert any("nowhere.html" in p for p in r.screenshot_problems)
    assert "RESULT: FAIL" in r.format()


def test_axe_on_chosen_pages_only_still_opens_every_page(broken_site, browser):
    """``axe_pages``: axe-core runs on the pages named (the low contrast of other.html is
    missed), every page is still opened and its links checked; an unknown page is an error."""
    from cms_stats.qa import QAError

    report = check_site(broken_site, browser=browser, axe_pages=["index.html"])
    assert sorted(report.pages) == ["index.html", "other.html"]
    assert report.pages["other.html"].axe_violations == []
    assert any("missing.html" in line for line in report.broken_links)
    assert "axe-core run on 1 of 2 pages (index.html)" in report.format()
    other = check_site(broken_site, browser=browser, axe_pages=["other.html"])
    found = other.axe_violations()
    assert any("color-contrast" in v and v.startswith("other.html") for v in found), other.format()
    assert not any(v.startswith("index.html") for v in found)
    with pytest.raises(QAError, match="no page nowhere.html to check with axe-core"):
        check_site(broken_site, browser=browser, axe_pages=["nowhere.html"])
    with pytest.raises(QAError, match="axe_pages names no page"):
        check_site(broken_site, browser=browser, axe_pages=[])


def test_serve_is_loopback_and_stops(broken_site):
    with serve(broken_site) as base:
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base + "index.html", timeout=10) as resp:
            assert resp.status == 200
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "index.html", timeout=2)


def test_png_check_rejects_a_blank_picture(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (800, 600), "white").save(blank)
    assert any("colours" in p for p in check_png(blank))
    (tmp_path / "not.png").write_bytes(b"GIF89a")
    assert check_png(tmp_path / "not.png") == [f"{tmp_path / 'not.png'}: not a PNG"]


# --------------------------------------------------------------------------------------------
# The small release's web book


@pytest.fixture(scope="module")
def site_report(small_release, browser, tmp_path_factory):
    assert AXE_JS.is_file(), "axe-core missing: run `npm ci` in the project"
    qa_dir = tmp_path_factory.mktemp("qa")  # the small release is shared: never written into
    report = check_site(small_release / "html", browser=browser, screenshot_dir=qa_dir)
    print(report.format())
    return report


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((paths.PROJECT_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    stack = list(toc.get("chapters", [])) + [c for p in toc.get("parts", []) for c in p.get("chapters", [])]
    while stack:
        entry = stack.pop(0)
        if "file" in entry:
            files.append(entry["file"])
        stack.extend(entry.get("sections", []))
    return [f"{f}.html" for f in files]


@pytest.mark.slow
def test_every_page_of_the_book_was_opened(site_report, small_release):
    opened = set(site_report.pages)
    assert opened == set(list_pages(small_release / "html"))
    missing = [p for p in _toc_pages() if p not in opened]
    assert not missing, f"chapters without a page: {missing}"
    assert not site_report.bad_pages, _lines(site_report.bad_pages)


@pytest.mark.slow
def test_no_console_errors(site_report):
    assert not site_report.console_errors, _lines(site_report.console_errors)


@pytest.mark.slow
def test_no_failed_requests(site_report):
    assert not site_report.failed_requests, _lines(site_report.failed_requests)


@pytest.mark.slow
def test_works_offline_every_request_is_local(site_report):
    assert not site_report.external_requests, _lines(site_report.external_requests)


@pytest.mark.slow
def test_internal_links_and_fragments(site_report):
    links = {link for p in site_report.pages.values() for link in p.links}
    assert len(links) >= len(site_report.pages)  # the navigation alone links every chapter
    assert not site_report.broken_links, _lines(site_report.broken_links)
    assert not site_report.missing_fragments, _lines(site_report.missing_fragments)


@pytest.mark.slow
def test_accessibility_axe_wcag22_aa(site_report):
    assert site_report.axe_checked
    violations = site_report.axe_violations()
    assert not violations, _lines(violations)


@pytest.mark.slow
def test_screenshots_of_summary_and_a_chapter(site_report):
    shots = site_report.screenshots
    assert set(shots) == {"summary", "chapter"}, shots
    for shot in shots.values():
        assert shot.stat().st_size > 20_000, f"{shot}: {shot.stat().st_size} bytes"
    assert not site_report.screenshot_problems, _lines(site_report.screenshot_problems)


# --------------------------------------------------------------------------------------------
# Reading on a phone and with a keyboard


@pytest.mark.slow
def test_no_page_scrolls_sideways_on_a_320_px_phone(small_release, browser):
    """Wide tables scroll inside their own region; nothing else pushes the page sideways."""
    wide = []
    with serve(small_release) as base:
        page = browser.new_page(viewport={"width": 320, "height": 800})
        for rel in list_pages(small_release / "html"):
            page.goto(base + "html/" + rel, wait_until="load")
            page.wait_for_load_state("networkidle")  # the root page redirects to the Summary
            width, view = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if width > view:
                wide.append(f"{rel}: {width} px for a {view} px screen")
        page.close()
    assert wide == []


_FOCUSED_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e), b = e.getBoundingClientRect();
  return {what: e.tagName + '.' + String(e.className).slice(0, 40) + ' ' + (e.textContent || '').trim().slice(0, 30),
          ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          shown: b.width > 0 && b.height > 0 && b.bottom > 0 && b.top < innerHeight
                 && b.right > 0 && b.left < innerWidth};
}"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_keyboard_focus_is_visible_on_every_control(small_release, browser, width):
    """Tabbing through a chapter: every control that takes focus is on screen with a focus
    ring of at least 2 px (WCAG 2.4.7, 2.4.11), the skip link and icon buttons included."""
    problems, seen = [], 0
    with serve(small_release) as base:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(base + "html/notebooks/intake.html", wait_until="load")
        for _ in range(45):
            page.keyboard.press("Tab")
            got = page.evaluate(_FOCUSED_JS)
            if got is None:
                continue
            seen += 1
            if not (got["ring"] and got["shown"]):
                problems.append(got)
        page.close()
    assert seen >= 20
    assert problems == []


@pytest.mark.slow
def test_table_captions_stay_on_a_390_px_screen(small_release, browser):
    """A wide table scrolls in its region; its caption is read from the left edge, no wider
    than the screen, even once the table is scrolled to its last column."""
    off = []
    with serve(small_release) as base:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        for rel in ("notebooks/methodology.html", "notebooks/intake.html", "notebooks/summary.html"):
            page.goto(base + "html/" + rel, wait_until="load")
            for scrolled in (False, True):
                if scrolled:
                    page.evaluate("document.querySelectorAll('.cms-table').forEach(r => r.scrollLeft = r.scrollWidth)")
                boxes = page.evaluate("""() => [...document.querySelectorAll('.cms-table caption .cms-caption')]
                    .map(c => { const b = c.getBoundingClientRect(); return [c.textContent.slice(0, 40), b.left, b.right]; })""")
                assert boxes, rel
                off += [f"{rel}: '{t}' at {round(l)}..{round(r)} px" for t, l, r in boxes
                        if l < 0 or r > 390]
        page.close()
    assert off == []


def test_a_table_wider_than_its_region_says_it_scrolls(small_release, browser):
    """A desktop's scroll bar is at the foot of a long table, out of sight: a table that does not
    fit its region says under its caption that it scrolls sideways, one that fits does not,
    and a table that comes to fit (a phone turned) drops the words, not its caption."""
    with serve(small_release) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(base + "html/notebooks/arrears.html", wait_until="load")
            t8 = """() => { const r = document.querySelector('#table-t8').closest('.cms-table');
                return [r.scrollWidth > r.clientWidth, !!r.querySelector('.cms-scroll-hint')]; }"""
            assert page.evaluate(t8) == [True, True]
            page.goto(base + "html/notebooks/intake.html", wait_until="load")
            assert page.evaluate("""() => [...document.querySelectorAll('.cms-table')].map(r =>
                [r.scrollWidth > r.clientWidth, !!r.querySelector('.cms-scroll-hint')])""") == [
                [False, False]]
            # a phone turned, or a window made wider: Table 1 scrolls at 390 px and fits at
            # 1280 px; the words go, not the caption
            page.set_viewport_size({"width": 390, "height": 900})
            page.goto(base + "html/notebooks/intake.html", wait_until="load")
            t1 = """() => { const r = document.querySelector('#table-t1').closest('.cms-table');
                return [r.scrollWidth > r.clientWidth, !!r.querySelector('.cms-scroll-hint'),
                        r.querySelector('.cms-caption').textContent]; }"""
            scrolls, hinted, caption = page.evaluate(t1)
            assert (scrolls, hinted) == (True, True) and caption.startswith("Table 1:")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.wait_for_function("() => !document.querySelector('#table-t1 .cms-scroll-hint')")
            assert page.evaluate(t1) == [False, False, caption.replace(
                "Scroll sideways to see every column.", "")]
        finally:
            page.close()


def test_a_dark_mode_stored_by_another_site_leaves_the_book_light(small_release, browser):
    """The theme keeps the colour mode under keys of the origin ("mode", "theme") that other
    books and sites on it share: a stored "dark" turned the book dark, its synthetic-data
    banner dark on dark. The book is drawn for the light mode whatever is stored."""
    with serve(small_release) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      color_scheme="dark")
        context.add_init_script('localStorage.setItem("mode", "dark");'
                                'localStorage.setItem("theme", "dark");')
        page = context.new_page()
        try:
            page.goto(base + "html/notebooks/summary.html", wait_until="load")
            page.wait_for_function("document.documentElement.dataset.theme !== undefined")
            shown = page.evaluate("""() => [document.documentElement.dataset.mode,
                document.documentElement.dataset.theme,
                getComputedStyle(document.body).backgroundColor]""")
        finally:
            context.close()
    assert shown == ["light", "light", "rgb(255, 255, 255)"]


@pytest.mark.slow
@pytest.mark.parametrize("width, natural", [(390, 440), (360, 440), (1280, 800)])
def test_a_phone_is_shown_the_chart_drawn_for_it(small_release, browser, width, natural):
    """A screen up to 600 px wide gets each chart drawn 440 px wide (book/figures.py), shown
    whole on the screen with its text at 70% of its size or more; a wider screen gets the
    800 px picture."""
    with serve(small_release) as base:
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(base + "html/notebooks/areas.html", wait_until="load")
        shown = page.evaluate("""() => [...document.querySelectorAll('figure.cms-chart img')].map(i =>
            [i.naturalWidth, i.getBoundingClientRect().width, i.getBoundingClientRect().right])""")
        page.close()
    assert len(shown) == 2  # the regional bar chart and the constituency map
    for natural_width, shown_width, right in shown:
        assert natural_width == natural and right <= width
        if width < 600:
            assert shown_width >= 0.7 * natural


def test_the_width_check_finds_what_reaches_beyond_a_phone_screen(browser, tmp_path):
    """``qa.layout.overflowing``: a wide picture, a wide block and a wide table that scrolls in
    an unlabelled box are found (once each, not their contents); a wide table in its own
    focusable, labelled region and a hidden wide element are not."""
    (tmp_path / "index.html").write_text("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Widths</title></head>
<body style="margin:0"><main>
<img id="wide-picture" alt="a picture" style="width:800px;height:10px" src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==">
<div id="wide-block" style="width:700px"><p>inside the wide block</p></div>
<div id="unlabelled" style="overflow-x:auto"><table id="table-in-a-box" style="width:900px"><tr><td>x</td></tr></table></div>
<div id="region" style="overflow-x:auto" tabindex="0" role="region" aria-label="Table 1">
  <table style="width:900px"><tr><td>fine</td></tr></table></div>
<div style="width:900px;visibility:hidden">hidden</div>
<div style="width:900px;display:none">not shown</div>
<p>fits</p></main></body></html>""")
    with serve(tmp_path) as base:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(base + "index.html", wait_until="load")
        found = overflowing(page)
        page.close()
    assert [line.split(" ")[0] for line in found] == [
        "img#wide-picture", "div#wide-block", "table#table-in-a-box"], found
    assert found[1].endswith("0..700 px of 390")
    # text spilling out of a box that fits is found by the page's width
    (tmp_path / "spill.html").write_text("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Spill</title></head>
<body style="margin:0"><main><p style="width:300px;white-space:nowrap">"""
                                         + "a line of words that does not wrap " * 4 + "</p></main></body></html>")
    with serve(tmp_path) as base:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(base + "spill.html", wait_until="load")
        found = overflowing(page)
        page.close()
    assert len(found) == 1 and found[0].startswith("page scrolls sideways: ") and found[0].endswith(" px of 390")


@pytest.mark.slow
@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_nothing_is_wider_than_a_phone_screen_but_a_table_in_its_region(small_release, browser,
                                                                         width):
    """Every page of the book at a phone's width: no chart, formula, code, control or text
    reaches beyond the screen; only a wide table scrolls, inside its own labelled region."""
    wide = []
    with serve(small_release) as base:
        page = browser.new_page(viewport={"width": width, "height": 800})
        for rel in list_pages(small_release / "html"):
            page.goto(base + "html/" + rel, wait_until="load")
            with contextlib.suppress(Exception):  # the root page redirects; MathJax typesets
                page.wait_for_load_state("networkidle", timeout=10_000)
            wide += [f"{rel}: {line}" for line in overflowing(page)]
        page.close()
    assert wide == [], _lines(wide)
