"""The printed book (issue 11): A4, a title page with the release facts, contents of every
chapter, page numbers, print sizes a reader can read, nothing clipped, no link to the build
machine, no near-empty page. Checked on the PDF itself with poppler (``pdfinfo``,
``pdftotext -bbox``, ``pdftoppm``), independently of the print script's own guards, which are
tested here on small hand-made pages."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from cms_stats.release.pdf import _fix_node_ids, print_pdf, title_page
from cms_stats.work import ReleaseError

from test_release import CHAPTERS

#: pdftotext's word box is the font's ascent + descent: about 1.16 em for the book's fonts
#: (body text at 10.5 pt gives 12.2 pt boxes). A box under this height is text under 8 pt.
_BOX_PER_PT = 1.16
_A4 = (595.0, 842.0)
_SIDE_MARGIN_PT = 15 / 25.4 * 72


def _in_body(words: list[dict]) -> list[dict]:
    """Words of the page body: not the running footer (each page's lowest line)."""
    footer = {}
    for w in words:
        footer[w["page"]] = max(footer.get(w["page"], 0), w["y1"])
    return [w for w in words if w["y1"] < footer[w["page"]] - 1]


def _words(pdf: Path) -> list[dict]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    words, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<',
                      line)
        if m:
            x0, y0, x1, y1 = map(float, m.groups()[:4])
            words.append({"page": page, "x0": x0, "x1": x1, "y1": y1, "height": y1 - y0,
                          "text": m.group(5)})
    return words


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [" ".join(p.split()) for p in text.split("\f")][:-1]


def test_every_page_is_a4_and_numbered(small_release):
    pdf = small_release / "book.pdf"
    info = subprocess.run(["pdfinfo", "-l", "1000", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    pages = _pages(pdf)
    assert len(sizes) == len(pages) > 10
    for w, h in sizes:
        assert abs(float(w) - _A4[0]) < 2 and abs(float(h) - _A4[1]) < 2
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in text, i


def test_the_screens_scroll_words_are_not_printed(small_release):
    """The web book says under a wide table's caption that it scrolls (table-scroll.js); on
    paper nothing scrolls, and a split table's captions were made from its caption's text, the
    words included."""
    text = " ".join(_pages(small_release / "book.pdf"))
    assert "Scroll sideways" not in text
    assert "(part 1 of" in text  # a table was split: its captions came from the caption's text


def test_the_title_page_gives_the_release_facts(small_release):
    """A release outside the edition series gives the calendar's dates of its period's edition
    as the edition's (the editions' own title pages are checked in test_editions); the rest
    comes from the publication's configuration."""
    first = _pages(small_release / "book.pdf")[0]
    assert first.startswith("Child Maintenance Service 2012 Scheme statistics "
                            "Data to August 2016, Great Britain")
    assert "Experimental statistics" in first and "SYNTHETIC DATA" in first
    assert "Contact: Child Maintenance Service statistics team, Department for Work and Pensions" in first
    assert "Open Government Licence" in first
    # the calendar's dates of the period's edition, said to be the edition's
    assert ("The edition with data to August 2016 is published 26 October 2016; this book is "
            "built from the extract as it stands") in first
    assert "Next edition: January 2017 (data to November 2016)" in first


def test_the_contents_list_every_chapter_in_order(small_release):
    contents = _pages(small_release / "book.pdf")[1]
    assert contents.startswith("Contents")
    at = [contents.find(title) for _, title in CHAPTERS]
    assert -1 not in at, [t for (_, t), i in zip(CHAPTERS, at) if i < 0]
    assert at == sorted(at)


def test_the_contents_give_the_page_each_chapter_starts_on(small_release):
    """The contents (print.js) give each chapter's page, filled in after a first print: the
    page named is the one whose text has the chapter's title as a line of its own, and the
    first page's number is after the contents."""
    pdf = small_release / "book.pdf"
    pages = _pages(pdf)
    contents = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", "2", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
    numbers = []
    for _, title in CHAPTERS:
        m = re.search(rf"\d+\. {re.escape(title)}\s+(\d+)\s*$", contents, re.M)
        assert m, f"no page for {title} in the contents"
        page = int(m.group(1))
        numbers.append(page)
        text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf),
                               "-"], capture_output=True, text=True, check=True).stdout
        assert title in [line.strip() for line in text.splitlines()], (title, page)
    assert 2 < numbers[0] and numbers == sorted(numbers) and numbers[-1] <= len(pages)
    # a chapter the PDF has no destination for stops the release rather than print no page
    from cms_stats.release.pdf import contents_pages

    with pytest.raises(ReleaseError, match="no page for the chapter 'no-such-chapter'"):
        contents_pages(pdf, ["summary", "no-such-chapter"])


def test_print_sizes_and_nothing_beyond_the_margins(small_release):
    words = _words(small_release / "book.pdf")
    heights = sorted(w["height"] for w in words)
    body = max(set(round(h, 1) for h in heights), key=[round(h, 1) for h in heights].count)
    assert body >= 10 * _BOX_PER_PT  # the commonest text is body text of 10 pt or more
    small = [w for w in words if w["height"] < 8 * _BOX_PER_PT - 0.1]
    # Only formulae (MathJax, in the Methodology) print smaller: on its pages.
    pages = _pages(small_release / "book.pdf")
    first = next(i for i, p in enumerate(pages, 1) if "Data sources" in p)
    last = next(i for i, p in enumerate(pages, 1) if "What these statistics are" in p)
    assert small and all(first <= w["page"] <= last for w in small), \
        [w for w in small if not first <= w["page"] <= last][:10]
    right = _A4[0] - _SIDE_MARGIN_PT + 2
    assert [w for w in _in_body(words)
            if w["x1"] > right or w["x0"] < _SIDE_MARGIN_PT - 2] == []


def test_links_never_point_to_the_build_machine(small_release):
    data = (small_release / "book.pdf").read_bytes()
    assert b"file://" not in data
    for target in re.findall(rb"/URI \(([^)]*)\)", data):
        target = target.decode().strip()
        if target.startswith(("http://", "https://", "#")):
            continue
        assert (small_release / target.split("#")[0]).exists(), target


def test_no_page_is_near_empty(small_release, tmp_path):
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(small_release / "book.pdf"),
                    str(tmp_path / "p")], check=True)
    fills = []
    for page in sorted(tmp_path.glob("p-*.pgm")):
        image = Image.open(page)
        w, h = image.size
        px = image.load()
        top, bottom = int(h * 0.04), int(h * 0.93)  # inside the margins, above the footer
        inked = sum(any(px[x, y] < 200 for x in range(0, w, 2)) for y in range(top, bottom))
        fills.append(inked / (bottom - top))
    # The title page and the contents stand alone; the last page ends the book.
    middle = fills[2:-1]
    assert min(middle) > 0.2, [(i + 3, round(f, 2)) for i, f in enumerate(middle) if f <= 0.2]


# --- the print script's guards, on small hand-made pages ----------------------------------

def _page(tmp_path: Path, body: str) -> Path:
    single = tmp_path / "_build" / "singlehtml"
    single.mkdir(parents=True)
    (single / "index.html").write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>t</title></head>"
        "<body><article class='bd-article'><section id='s'><h1>A chapter</h1>"
        f"{body}</section></article></body></html>", encoding="utf-8")
    return single


def test_text_below_8_pt_stops_the_print(tmp_path):
    single = _page(tmp_path, "<p style='font-size: 6pt'>a footnote too small to read</p>")
    with pytest.raises(ReleaseError, match=r"PDF: text 'a footnote too small to read' at 6\.0 pt"):
        print_pdf(single, "index", tmp_path / "book.pdf", tmp_path)


def _wide_table(columns: int, word: str) -> str:
    head = "".join(f"<th>{word}{i}</th>" for i in range(columns))
    row = "<tr><th>Aug 2016</th>" + "".join(f"<td>{i}</td>" for i in range(1, columns)) + "</tr>"
    return (f"<table style='font-size: 9pt'><caption>Wide</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{row}</tbody></table>")


def test_a_wide_table_is_split_by_columns_repeating_the_row_headers(tmp_path):
    single = _page(tmp_path, _wide_table(14, "Rowsquarantinedbyreason"))
    print_pdf(single, "index", tmp_path / "book.pdf", tmp_path)
    text = " ".join(_pages(tmp_path / "book.pdf"))
    parts = re.findall(r"Wide \(part (\d+) of (\d+)\)", text)
    assert len(parts) >= 2 and {n for _, n in parts} == {str(len(parts))}
    assert text.count("Aug 2016") == len(parts)  # the row header on every part
    for i in range(1, 14):
        assert f"Rowsquarantinedbyreason{i}" in text  # every column printed
    right = _A4[0] - _SIDE_MARGIN_PT + 2
    assert all(w["x1"] <= right for w in _in_body(_words(tmp_path / "book.pdf")))


def test_a_table_no_split_can_fit_stops_the_print(tmp_path):
    single = _page(tmp_path, _wide_table(3, "x" * 150))
    with pytest.raises(ReleaseError, match="table 'Wide' does not fit an A4 page"):
        print_pdf(single, "index", tmp_path / "book.pdf", tmp_path)


def test_the_title_page_facts_come_from_the_configuration_and_calendar():
    facts = {"published_words": "26 October 2016", "known_at_words": "30 September 2016",
             "next": {"published_month_words": "January 2017", "period_words": "November 2016"}}
    front = title_page("2016-08", facts, {"source": "administrative"})
    assert front["subtitle"] == "Data to August 2016, Great Britain"
    assert front["lines"][:4] == ["Experimental statistics", "Published 26 October 2016",
                                  "Next edition: January 2017 (data to November 2016)",
                                  "Data as known on 30 September 2016"]
    assert front["synthetic"] == ""
    assert front["footer"].endswith("August 2016 · published 26 October 2016")


def test_structure_ids_are_renumbered_by_rank(tmp_path):
    """Chromium names a tagged PDF's structure elements by its DOM node counter, which a print
    under load shifted by one (seen in the editions rebuild test): two prints that differ only
    there become the same bytes, as long, with the ids in the same order."""
    def fragment(first):
        ids = [first, first + 7, first + 14]
        return (f"/S /TH\n/ID (node{ids[0]:08d})>>\n/Headers [(node{ids[0]:08d}) "
                f"(node{ids[1]:08d})]\n/Names [(node{ids[0]:08d}) 1 0 R (node{ids[1]:08d}) 2 0 R "
                f"(node{ids[2]:08d}) 3 0 R]").encode()

    prints = []
    for k, first in enumerate((181, 182, 3000)):
        path = tmp_path / f"{k}.pdf"
        path.write_bytes(fragment(first))
        _fix_node_ids(path)
        prints.append(path.read_bytes())
    assert prints[0] == prints[1] == prints[2] == fragment(1).replace(b"00000008", b"00000002") \
        .replace(b"00000015", b"00000003")
    assert len(prints[0]) == len(fragment(181))
