"""No stale output, ever: an edit to the package re-executes exactly the chapters that use it.

A copy of the project (package, notebooks, book config) in a temporary folder; releases run in
a subprocess with that copy first on ``PYTHONPATH``, so the edits below change the code the
release and its chapter kernels import, never the checkout's. One cold release, then one edit
per layer:

- extracts (a function body): the working files are computed again; no chapter executes, as no
  chapter imports the extracts layer and the figures are the same;
- measures (the closures definition changes): the working files are computed again; the
  chapter that reads Table 17 executes, and no other (no chapter imports the caseload code);
- publish (the rounding every chapter imports): every chapter executes;
- book, one chapter's generated wording: that chapter alone executes;
- book, the chart code: the chapters that draw execute, the others (About) do not;
- book, the headlines (only the Summary imports them): the Summary alone executes.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cms_stats import paths

pytestmark = pytest.mark.slow

PERIOD = "2016-08"


@pytest.fixture(scope="module")
def project(small_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(paths.PACKAGE_DIR, root / "src" / "cms_stats",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(paths.NOTEBOOKS_DIR, root / "notebooks")
    shutil.copyfile(paths.PROJECT_ROOT / "_config.yml", root / "_config.yml")
    (root / "node_modules").symlink_to(paths.PROJECT_ROOT / "node_modules")
    ws = {"root": root, "package": root / "src" / "cms_stats", "data": small_data,
          "build": root / "build"}
    run = _release(ws)
    assert run["working_files"] == "computed" and run["reused"] == []
    return ws


def _release(ws) -> dict:
    code = ("import sys; from cms_stats.release import release; "
            f"release({PERIOD!r}, data_dir={str(ws['data'])!r}, progress=None)")
    env = dict(os.environ, PYTHONPATH=str(ws["root"] / "src"), CMS_STATS_BUILD_DIR=str(ws["build"]))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((ws["build"] / "cache" / PERIOD / "last_run.json").read_text())


def _function(path: Path, name: str) -> ast.FunctionDef:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise AssertionError(f"no function {name} in {path}")


def _insert_in_body(path: Path, name: str, statement: str) -> None:
    """Insert ``statement`` as the first statement after the docstring of function ``name``."""
    func = _function(path, name)
    body = func.body[1:] if isinstance(func.body[0], ast.Expr) and isinstance(
        getattr(func.body[0], "value", None), ast.Constant) else func.body
    lines = path.read_text().splitlines(keepends=True)
    at = body[0].lineno - 1
    indent = re.match(r"\s*", lines[at]).group(0)
    lines.insert(at, f"{indent}{statement}\n")
    path.write_text("".join(lines))


def _importers(ws, module: str) -> set[str]:
    """Chapters whose kernel imported ``module`` (their recorded dependencies)."""
    chapters = ws["build"] / "cache" / PERIOD / "chapters"
    return {p.name.removesuffix(".deps.json") for p in chapters.glob("*.deps.json")
            if any(f.endswith("cms_stats/" + module) for f in json.loads(p.read_text()))}


def _all_chapters(ws) -> set[str]:
    return {p.stem for p in (ws["root"] / "notebooks").glob("*.md")}


def test_extracts_edit_recomputes_the_working_files_and_no_chapter(project):
    _insert_in_body(project["package"] / "extracts" / "folder.py", "open_extracts",
                    "_edited_by_the_layers_test = True")
    assert _importers(project, "extracts/folder.py") == set()
    run = _release(project)
    assert run["working_files"] == "computed"
    assert run["executed"] == [], run["why_executed"]


def test_measures_edit_executes_the_chapters_whose_figures_or_code_it_changes(project):
    # Closures "for another reason" left out: Table 17's closures (all, by reason, the share of
    # the caseload) change. The DQ check of closures against the snapshots comes from the same
    # function but is 0 on this data, so the Methodology (which shows DQ) is not executed. (An
    # edit to Table 2 alone would contradict Table 21's Great Britain caseload, which the
    # release audit refuses.)
    _insert_in_body(project["package"] / "measures" / "caseload.py", "closures_by_month",
                    "closures = closures.filter(closures.closure_reason != 'other')")
    # no chapter runs the caseload code: it reaches the book through the working files only
    assert _importers(project, "measures/caseload.py") == set()
    run = _release(project)
    assert run["working_files"] == "computed"
    # the chapters that read T17
    assert sorted(run["executed"]) == ["caseload"], run["why_executed"]
    assert run["why_executed"]["caseload"] == ["parameters", "data"]


def test_publish_edit_executes_every_chapter_that_imports_it(project):
    _insert_in_body(project["package"] / "publish" / "rounding.py", "round_value",
                    "_edited_by_the_layers_test = True")
    importers = _importers(project, "publish/rounding.py")
    assert importers == _all_chapters(project)  # every chapter publishes through the policy
    # the spreadsheet's code is imported by no chapter: an edit to it re-executes none
    assert _importers(project, "publish/spreadsheet.py") == set()
    run = _release(project)
    assert run["working_files"] == "computed"
    assert set(run["executed"]) == importers
    assert all(parts == ["source"] for parts in run["why_executed"].values()), run["why_executed"]


def test_wording_edit_executes_only_the_chapter_that_shows_it(project):
    module = project["package"] / "book" / "texts" / "caseload.py"
    text = module.read_text()
    glued = '"caseload_latest": ch.shown("caseload", table="T2"),'
    assert glued in text
    module.write_text(text.replace(glued, glued[:-1] + ' + " cases in all",', 1))
    run = _release(project)
    assert run["working_files"] == "reused"
    assert run["executed"] == ["caseload"], run["why_executed"]
    assert run["why_executed"]["caseload"] == ["source"]
    html = (project["build"] / "release" / PERIOD / "html" / "notebooks" / "caseload.html").read_text()
    assert re.search(r"[0-9,]+ cases in all", html)


def test_chart_edit_executes_only_the_chapters_that_draw(project):
    drawers = _importers(project, "book/charts.py")
    assert "about" not in drawers and "caseload" in drawers
    _insert_in_body(project["package"] / "book" / "charts.py", "chart",
                    "_edited_by_the_layers_test = True")
    run = _release(project)
    assert set(run["executed"]) == drawers, run["why_executed"]


def test_headlines_edit_executes_only_the_summary(project):
    module = project["package"] / "book" / "headlines.py"
    _insert_in_body(module, "headlines", "_edited_by_the_layers_test = True")
    assert _importers(project, "book/headlines.py") == {"summary"}
    run = _release(project)
    assert run["executed"] == ["summary"], run["why_executed"]
