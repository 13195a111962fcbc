"""The chapter notebooks: structure, parameters, and no number typed into the prose.

The scanner reads every markdown cell of ``notebooks/*.md`` and fails on a digit outside glue
roles, math, code and the explicit allow-list of definitional phrases (e.g. "28 days",
"95% confidence", "£1 or 2%").
"""

from __future__ import annotations

import re

import jupytext
import pytest

from cms_stats import paths

CHAPTERS = {
    "summary": "Summary",
    "intake": "Intake",
    "caseload": "Caseload",
    "fee_exemptions": "Application fee exemptions",
    "clearances": "Applications cleared and time to clear",
    "children": "Children benefiting",
    "compliance": "Compliance and service type",
    "arrears": "Arrears and liability",
    "enforcement": "Enforcement",
    "areas": "Areas",
    "service_standards": "Service standards",
    "explore": "Create your own table",
    "methodology": "Methodology",
    "about": "About these statistics",
}

# Definitions and references, not data: these may contain digits.
ALLOWED = [
    r"\bTable \d+\b", r"\bT\d+\b", r"95% confidence", r"\b28 days\b", r"\b20 days\b",
    r"\b30 seconds\b", r"£1 or 2%", r"\b1993\b", r"\b2003\b", r"\b2012\s+(statutory\s+)?[Ss]cheme\b",
    r"\b2012\s+statutory\b", r"\(?2010 boundaries\b", r"95% confident\b", r"\b100% snapshot\b", r"\b20 calendar days\b",
    r"</?h[1-6]\b",  # an HTML heading's tag (the table builder's page), not a figure
    # the 2012 Scheme's shared-care bands (nights a year with the paying parent): rules, not data
    r"\b52 or more nights\b", r"\b[Ff]ewer than 52 nights\b", r"\b52 to 103\b", r"\b104 to 155\b",
    r"\b156 to 174\b", r"\b175 or more\b",
    # Table 16's bands and boundaries (the registry's breakdown labels say the same)
    r"\b(6|12|26) weeks\b", r"\bat most (42|84|182) days\b", r"\b(0|42|84) to (41|83|181)( days)?",
    r"\b182 days or more\b",
]
STRIP = [
    r"\{glue(:\w+)?\}`[^`]*`",      # glue roles
    r"\{doc\}`[^`]*`",              # cross references
    r"\$\$.*?\$\$", r"\$[^$\n]+\$",  # math
    r"```.*?```", r"`[^`\n]*`",     # code
]


def typed_numbers(markdown: str) -> list[str]:
    """Digits left in prose after removing glue roles, math, code and allowed phrases."""
    text = markdown
    for pattern in STRIP:
        text = re.sub(pattern, " ", text, flags=re.S)
    text = re.sub(r"\s+", " ", text)  # allowed phrases may wrap across lines
    for pattern in ALLOWED:
        text = re.sub(pattern, " ", text)
    return re.findall(r"[^\n]{0,30}\d[^\n]{0,30}", text)


def test_scanner_catches_a_typed_number():
    assert typed_numbers("Caseload stood at 338,900 in {glue:text}`period_label`.")
    assert typed_numbers("In August 2016 the share rose.")
    assert not typed_numbers("Caseload stood at {glue:text}`caseload_latest`; see Table 2 and T2.")
    assert not typed_numbers("cleared within 28 days, the 95% confidence interval, $\\bar{x} \\pm 1.96$")
    assert not typed_numbers('<h2 id="your-table">Your table</h2>')
    assert typed_numbers('<h2 id="your-table">Your 12 tables</h2>')


def _notebook(name):
    return jupytext.read(paths.NOTEBOOKS_DIR / f"{name}.md")


def test_every_chapter_of_the_registry_is_checked_here():
    """A chapter added to the registry and not to CHAPTERS would escape the checks below."""
    from cms_stats.registry import load_registry

    assert sorted(CHAPTERS) == sorted(load_registry().chapter_order)


@pytest.mark.parametrize("name", sorted(CHAPTERS))
def test_no_typed_numbers_in_prose(name):
    nb = _notebook(name)
    found = [hit for cell in nb.cells if cell.cell_type == "markdown"
             for hit in typed_numbers(cell.source)]
    assert not found, f"{name}.md has typed numbers: {found}"


@pytest.mark.parametrize("name", sorted(CHAPTERS))
def test_chapter_structure(name):
    nb = _notebook(name)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first_md.source.splitlines()[0] == f"# {CHAPTERS[name]}"
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in ('period = "2016-08"', 'data_dir = ""', 'work_dir = ""', 'data_hash = ""', 'previous = ""'):
        assert line in params[0].source
    src = "\n".join(c.source for c in code)
    assert "book.load_chapter(period, data_dir, work_dir" in src
    assert "book.synthetic_notice(ch)" in src
    # every code cell is hidden from the reader: outputs only (or nothing)
    for c in code:
        assert {"remove-input", "remove-cell"} & set(c.metadata.get("tags", [])), c.source
    # thin: no cell longer than a few lines of calls into cms_stats.book
    assert all(len(c.source.splitlines()) <= 7 for c in code)


_DOC_LINK = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")
#: The first edition of the calendar, and the one the strategy's tables join.
_EDITIONS = ("2014-02", "2016-08")


def _doc_targets(text: str) -> set[str]:
    return {m.group(1).strip() for m in _DOC_LINK.finditer(text)}


@pytest.mark.parametrize("period", _EDITIONS)
def test_every_chapter_a_page_links_to_is_in_its_edition(period):
    """A chapter joins the book with its first table (Clearances, Enforcement and Areas in
    2016-08): a link to it in an earlier edition's pages would name a page its book does not
    have. Cells tagged ``table-<id>`` are left out of an edition before the table's."""
    from cms_stats.registry import load_registry
    from cms_stats.release.workers import read_notebook

    present = set(load_registry().chapters_in_edition(period))
    wrong = [f"{name}.md links to {target}" for name in sorted(present)
             for cell in read_notebook(paths.NOTEBOOKS_DIR / f"{name}.md", period).cells
             if cell.cell_type == "markdown"
             for target in _doc_targets(cell.source) if target not in present]
    assert wrong == []


def test_the_link_check_reads_every_form_of_link():
    assert _doc_targets("{doc}`intake <intake>`, {doc}`areas`, {doc}`about these\n<about>`") == {
        "intake", "areas", "about"}
    # the Summary names the chapters new in 2016-08, each in a cell of its table
    summary = (paths.NOTEBOOKS_DIR / "summary.md").read_text(encoding="utf-8")
    assert {"clearances", "enforcement", "areas"} <= _doc_targets(summary)
