"""Re-running a release's notebooks reproduces every output (nbval, strict), and a changed input
is caught with a readable expected-vs-actual diff naming the cell."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from cms_stats.qa import run_nbval
from cms_stats.qa.nbval_plugin import ACTUAL, EXPECTED
from cms_stats.qa.notebooks import SANITIZE_FILE, release_notebooks


# --------------------------------------------------------------------------------------------
# The harness itself, on a two-cell notebook (seconds, no release needed)


def _tiny_notebook(folder: Path, amounts: Path) -> Path:
    """A parameterised notebook that reads an input file by absolute path, executed once."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('amounts_file = ""')
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell(f"amounts_file = {str(amounts)!r}")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells = [
        params,
        injected,
        nbformat.v4.new_code_cell("import json\nrows = json.load(open(amounts_file))\n"
                                  "print(f'rows read: {len(rows)}')"),
        nbformat.v4.new_code_cell("total = sum(r['amount'] for r in rows)\nf'{total:,.2f}'"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    out = folder / "tiny.ipynb"
    nbformat.write(nb, out)
    return out


def test_nbval_harness_passes_then_catches_a_changed_input(tmp_path):
    amounts = tmp_path / "amounts.json"
    amounts.write_text(json.dumps([{"amount": 1200.50}, {"amount": 99.25}]))
    nb = _tiny_notebook(tmp_path, amounts)

    # Re-run from another working directory: inputs are read by absolute path.
    same = run_nbval(notebooks=[nb])
    assert same.ok, same.output
    assert "4 passed" in same.output

    amounts.write_text(json.dumps([{"amount": 1300.50}, {"amount": 99.25}]))  # one row's amount
    changed = run_nbval(notebooks=[nb])
    assert changed.returncode == 1, changed.output
    out = changed.output
    assert "tiny.ipynb::Cell 3" in out  # the cell is named
    assert "NOT REPRODUCED tiny.ipynb::Cell 3" in out
    assert "Cell 2" not in out.split("FAILURES")[1]  # the row count did not change: not reported
    assert f"--- {EXPECTED}" in out and f"+++ {ACTUAL}" in out
    assert re.search(r"^\s*-'1,299\.75'$", out, flags=re.MULTILINE), out  # stored
    assert re.search(r"^\s*\+'1,399\.75'$", out, flags=re.MULTILINE), out  # re-executed


def test_sanitize_file_patterns_are_explained_and_valid():
    text = SANITIZE_FILE.read_text(encoding="utf-8")
    lines = text.splitlines()
    pairs = 0
    for i, line in enumerate(lines):
        if line.startswith("regex: "):
            re.compile(line[len("regex: "):])
            assert lines[i + 1].startswith("replace: "), f"line {i + 2}: a replace: must follow"
            assert lines[i - 1].startswith("#"), f"line {i + 1}: each pattern needs a comment saying why"
            pairs += 1
    assert pairs == len(re.findall(r"^regex: ", text, flags=re.MULTILINE))


# --------------------------------------------------------------------------------------------
# The small release


@pytest.mark.slow
def test_small_release_notebooks_reproduce(small_release):
    notebooks = release_notebooks(small_release)
    assert len(notebooks) >= 2
    result = run_nbval(small_release)
    assert result.ok, result.output
    passed = int(re.search(r"(\d+) passed", result.output).group(1))
    code_cells = sum(1 for nb in notebooks for c in nbformat.read(nb, as_version=4).cells
                     if c.cell_type == "code")
    assert passed == code_cells, result.output  # every code cell ran and matched, none skipped


def _change_one_value(work: Path, period: str) -> tuple[str, int]:
    """Change total intake in the period, in a copy of the working files: the unrounded measure
    (``measures.parquet``, a number) and its published figure (``published.parquet``, text
    rounded by the policy), as a changed extract would."""
    import pandas as pd

    def row_of(df):
        row = (df["table"] == "T1") & (df["measure"] == "total_intake") & (df["period"] == period)
        row &= df["breakdown"] == "all"
        assert row.sum() == 1, f"expected one total_intake row for {period}, found {row.sum()}"
        return row

    measures = pd.read_parquet(work / "measures.parquet")
    row = row_of(measures)
    before = float(measures.loc[row, "value"].iloc[0])
    after = before * 3 + 700  # far outside any rounding band
    measures.loc[row, "value"] = after
    measures.to_parquet(work / "measures.parquet", index=False)

    published = pd.read_parquet(work / "published.parquet")
    row = row_of(published)
    published_before = published.loc[row, "value"].iloc[0]
    published.loc[row, "value"] = str(int(round(after, -2)))
    published.to_parquet(work / "published.parquet", index=False)
    return (f"total_intake {period}: {before} -> {after} "
            f"(published {published_before} -> {int(round(after, -2))})"), int(round(after, -2))


@pytest.mark.slow
def test_changed_input_value_fails_with_readable_diff(small_release, tmp_path):
    period = small_release.name
    # A copy of the build root whose working files hold one changed value; the chapters find
    # their working files there (they carry no path: nbval runs with that build root).
    build = tmp_path / "build"
    work_copy = build / "work" / period
    shutil.copytree(small_release.parent.parent / "work" / period, work_copy)
    changed, published_after = _change_one_value(work_copy, period)
    copy_release = build / "release" / period
    (copy_release / "notebooks").mkdir(parents=True)
    shutil.copyfile(small_release / "notebooks" / "intake.ipynb", copy_release / "notebooks" / "intake.ipynb")

    result = run_nbval(copy_release)
    assert result.returncode == 1, f"{changed}: nbval still passed\n{result.output}"
    out = result.output
    assert re.search(r"NOT REPRODUCED intake\.ipynb::Cell \d+", out), out
    assert "Cell outputs differ" in out
    assert f"--- {EXPECTED}" in out and f"+++ {ACTUAL}" in out
    diff = out.split(f"+++ {ACTUAL}", 1)[1]
    assert re.search(r"^\s*-\S", diff, flags=re.MULTILINE) and re.search(r"^\s*\+\S", diff, flags=re.MULTILINE)
    # The new figure appears on an "actual" line, as the chapter shows it (thousands separator).
    assert re.search(rf"^\s*\+.*\b{re.escape(f'{published_after:,}')}\b", out, flags=re.MULTILINE), out
    assert max(len(line) for line in out.splitlines()) < 2_000  # embedded images are not dumped
