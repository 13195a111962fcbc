"""Fast rebuilds: the chapter cache re-executes exactly the chapters whose inputs changed.

One build root for the module: a cold release, then
- a narrative-only edit (markdown cells): no chapter executed, the new prose (with a glued value)
  in the web book and the PDF;
- a change to one chapter's code: that chapter alone executed;
- a change to a data file: the chapters that read it executed again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cms_stats import paths
from cms_stats.release import book_chapters, last_run, release

pytestmark = pytest.mark.slow

PERIOD = "2016-08"


@pytest.fixture(scope="module")
def workspace(small_data, tmp_path_factory):
    """Copies of the data and the notebooks, a build root, and one cold release."""
    root = tmp_path_factory.mktemp("rebuild")
    data = root / "data"
    shutil.copytree(small_data, data)
    notebooks = root / "notebooks"
    shutil.copytree(paths.NOTEBOOKS_DIR, notebooks)
    build = root / "build"
    release(PERIOD, data_dir=data, notebooks_dir=notebooks, build_dir=build, progress=None)
    return {"data": data, "notebooks": notebooks, "build": build}


def _release(ws) -> dict:
    out = release(PERIOD, data_dir=ws["data"], notebooks_dir=ws["notebooks"], build_dir=ws["build"],
                  progress=None)
    run = last_run(PERIOD, build_dir=ws["build"])
    assert Path(run["release"]) == out
    return run


def _table_bytes(ws) -> dict[str, bytes]:
    out = ws["build"] / "release" / PERIOD
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and (p.name in ("tables.xlsx", "tables.ods")
                                or p.relative_to(out).parts[0] == "csv")}


def test_cold_release_executed_every_chapter(workspace):
    run = last_run(PERIOD, build_dir=workspace["build"])
    assert sorted(run["executed"]) == sorted(c.name for c in book_chapters(workspace["notebooks"]))
    assert run["reused"] == []
    assert run["tables"] == "written" and run["why_tables_written"] == ["not kept"]


def test_narrative_edit_executes_no_chapter(workspace):
    page = workspace["notebooks"] / "summary.md"
    text = page.read_text()
    # Prose added after the headlines, using a value glued by a code cell of the chapter.
    anchor = "## Changes on the quarter"
    assert anchor in text
    page.write_text(text.replace(
        anchor, "A sentence added by the rebuild test, for {glue:text}`period_label`.\n\n" + anchor))
    staged = workspace["build"] / "cache" / PERIOD / "book" / "notebooks"
    before = {p.name: p.stat().st_mtime_ns for p in staged.glob("*.ipynb")}
    tables = _table_bytes(workspace)
    run = _release(workspace)
    assert run["executed"] == [], run["why_executed"]
    assert len(run["reused"]) == len(book_chapters(workspace["notebooks"]))
    # The spreadsheet, CSV and revisions log do not depend on prose: copied, the same bytes.
    assert run["tables"] == "reused", run["why_tables_written"]
    assert _table_bytes(workspace) == tables
    # Only the edited page is staged again, so Sphinx reads only that page again.
    after = {p.name: p.stat().st_mtime_ns for p in staged.glob("*.ipynb")}
    assert [name for name in sorted(after) if after[name] != before.get(name)] == ["summary.ipynb"]

    out = workspace["build"] / "release" / PERIOD
    html = (out / "html" / "notebooks" / "summary.html").read_text()
    assert "A sentence added by the rebuild test, for" in html
    assert "August 2016" in html.split("A sentence added by the rebuild test, for", 1)[1][:400]
    pdf = subprocess.run(["pdftotext", str(out / "book.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    assert "A sentence added by the rebuild test" in " ".join(pdf.split())
    # The released notebook carries the new prose and the cached outputs.
    nb = json.loads((out / "notebooks" / "summary.ipynb").read_text())
    assert any("A sentence added by the rebuild test" in "".join(c["source"])
               for c in nb["cells"] if c["cell_type"] == "markdown")
    assert all(c.get("outputs") is not None for c in nb["cells"] if c["cell_type"] == "code")


def test_code_edit_executes_only_that_chapter(workspace):
    page = workspace["notebooks"] / "about.md"
    text = page.read_text()
    marker = "```{code-cell} ipython3\n:tags: [remove-input]\n\n"
    assert marker in text
    page.write_text(text.replace(marker, marker + "# edited by the rebuild test\n", 1))
    run = _release(workspace)
    assert run["executed"] == ["about"], run["why_executed"]
    assert run["why_executed"]["about"] == ["code"]
    assert run["tables"] == "reused", run["why_tables_written"]


def test_data_change_executes_the_chapters_that_read_it(workspace):
    # The latest payment grows by GBP 100: cash paid in the last quarter (T6) changes.
    path = workspace["data"] / "events" / "payments.parquet"
    table = pq.read_table(path)
    amounts = table.column("amount").to_pylist()
    dates = table.column("payment_date").to_pylist()
    latest = max(range(len(dates)), key=lambda i: dates[i])
    amounts[latest] = round(amounts[latest] + 100.0, 2)
    idx = table.schema.get_field_index("amount")
    table = table.set_column(idx, table.schema.field(idx), [amounts])
    pq.write_table(table, path)
    published_before = (workspace["build"] / "work" / PERIOD / "published.parquet").read_bytes()
    tables_before = _table_bytes(workspace)
    run = _release(workspace)
    # A larger payment changes cash paid (T6): the chapters that read T6 re-execute; chapters
    # whose tables it does not change are reused.
    for name in ("compliance", "summary"):
        assert name in run["executed"], name
        assert "data" in run["why_executed"][name]
    for name in ("intake", "caseload", "fee_exemptions", "arrears", "service_standards", "about"):
        assert name in run["reused"], name
    # The tables are written again exactly when the published (rounded) figures changed.
    published_after = (workspace["build"] / "work" / PERIOD / "published.parquet").read_bytes()
    assert run["tables"] == ("reused" if published_after == published_before else "written")
    if published_after != published_before:
        assert run["why_tables_written"] == ["files"]
        assert _table_bytes(workspace) != tables_before
