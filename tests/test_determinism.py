"""Two releases from the same inputs are the same: CSV bytes, spreadsheet cells, notebook outputs.

The second release is built from the same small extract into a separate build root (no shared
chapter cache, no shared working files), so every chapter is executed again from scratch.
"""

from __future__ import annotations

import json
import shutil

import pytest

from cms_stats.qa.compare import compare_csv, compare_notebooks, compare_releases, compare_workbooks

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def second_release(small_data, small_release, tmp_path_factory):
    from cms_stats.release import release

    root = tmp_path_factory.mktemp("second_build")
    out = release(small_release.name, data_dir=small_data, progress=None, build_dir=root)
    last_run = json.loads((root / "cache" / small_release.name / "last_run.json").read_text())
    assert last_run["reused"] == [], "the second release must execute every chapter itself"
    return out


def _roots(a, b):
    return a.resolve().parent.parent, b.resolve().parent.parent


def test_csv_files_are_byte_identical(small_release, second_release):
    names = sorted(p.name for p in (small_release / "csv").iterdir())
    assert any(n.endswith(".csv") for n in names)
    diffs = compare_csv(small_release / "csv", second_release / "csv")
    assert not diffs, "\n".join(diffs)


def test_spreadsheet_cell_values_are_identical(small_release, second_release):
    diffs = compare_workbooks(small_release / "tables.xlsx", second_release / "tables.xlsx")
    assert not diffs, "\n".join(diffs)


def test_notebook_outputs_are_identical(small_release, second_release):
    diffs = compare_notebooks(small_release / "notebooks", second_release / "notebooks",
                              _roots(small_release, second_release))
    assert not diffs, "\n".join(diffs)


def test_compare_releases_finds_nothing(small_release, second_release):
    assert compare_releases(small_release, second_release) == []


def test_comparison_detects_one_changed_value_in_each_output(second_release, tmp_path):
    """The comparisons can fail: change one byte, one cell, one output in a copy."""
    import nbformat
    from openpyxl import load_workbook

    copy = tmp_path / "copy"
    for part in ("csv", "notebooks"):
        shutil.copytree(second_release / part, copy / part)
    shutil.copyfile(second_release / "tables.xlsx", copy / "tables.xlsx")

    csv_file = next(p for p in sorted((copy / "csv").glob("*.csv")) if any(ch.isdigit() for ch in p.read_text()))
    text = csv_file.read_text(encoding="utf-8")
    i = next(k for k, ch in enumerate(text) if ch.isdigit() and k > text.index("\n"))
    csv_file.write_text(text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:], encoding="utf-8")
    diffs = compare_csv(second_release / "csv", copy / "csv")
    assert len(diffs) == 1 and diffs[0].startswith(f"csv/{csv_file.name}: bytes differ"), diffs

    wb = load_workbook(copy / "tables.xlsx")
    ws = wb[wb.sheetnames[-1]]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, (int, float)))
    cell.value = cell.value + 1
    wb.save(copy / "tables.xlsx")
    diffs = compare_workbooks(second_release / "tables.xlsx", copy / "tables.xlsx")
    assert diffs == [f"tables.xlsx[{ws.title}]!{cell.coordinate}: {cell.value - 1!r} vs {cell.value!r}"], diffs

    nb_file = sorted((copy / "notebooks").glob("*.ipynb"))[0]
    nb = nbformat.read(nb_file, as_version=4)
    index, target = next((i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("outputs"))
    output = target.outputs[0]
    if "text" in output:
        output["text"] = output["text"] + "changed\n"
    else:
        output.setdefault("data", {})["text/plain"] = "changed"
    nbformat.write(nb, nb_file)
    root = second_release.resolve().parent.parent
    diffs = compare_notebooks(second_release / "notebooks", copy / "notebooks", (root, root))
    assert len(diffs) == 1 and diffs[0].startswith(f"notebooks/{nb_file.name} cell {index} "), diffs
