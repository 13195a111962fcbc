"""The package's shape: layers import only downward, no import hidden in a function without a
reason, no source file doing too many jobs, and the book's table of contents from the registry."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cms_stats import paths
from cms_stats.registry import load_registry
from cms_stats.registry_docs import registry_files

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 500


def _lint(project: Path, package_parent: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_parent)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_layers_import_only_downward():
    result = _lint(paths.PROJECT_ROOT, paths.PACKAGE_DIR.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_back_reference_breaks_the_layer_contract(tmp_path):
    """The contract can fail: one upward import (measures -> release) in a copy of the package."""
    src = tmp_path / "src"
    shutil.copytree(paths.PACKAGE_DIR, src / "cms_stats", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(paths.PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    common = src / "cms_stats" / "measures" / "common.py"
    common.write_text(common.read_text() + "\nfrom cms_stats.release import release  # upward\n")
    result = _lint(tmp_path, src)
    assert result.returncode != 0
    assert "cms_stats.measures.common -> cms_stats.release" in result.stdout


def _modules():
    return sorted(p for p in paths.PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(paths.PACKAGE_DIR).as_posix())
def test_function_level_imports_say_why(path):
    """An import inside a function is kept only to defer a heavy import (or to keep a module out
    of a chapter's cache key), and a comment on it or just above it says so."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    unexplained = []
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                here = lines[node.lineno - 1]
                above, i = [], node.lineno - 2
                while i >= 0 and lines[i].strip().startswith("#"):  # the comment block above
                    above.append(lines[i])
                    i -= 1
                if "deferred" not in here and not any("deferred" in c for c in above):
                    unexplained.append(f"line {node.lineno}: {here.strip()}")
    assert not unexplained, "imports inside functions without a '# deferred: why' comment:\n" + "\n".join(unexplained)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(paths.PACKAGE_DIR).as_posix())
def test_no_source_file_does_too_much(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.name} has {n} lines (split it by job; the limit is {MAX_LINES})"


@pytest.mark.parametrize("path, text", registry_files().items(), ids=lambda v: getattr(v, "name", ""))
def test_files_generated_from_the_registry_are_current(path, text):
    """_toc.yml and DESIGN.md's table of tables: edited only through the registry."""
    assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run `cms-stats registry`"


def test_every_registry_chapter_has_a_notebook_and_no_notebook_is_unlisted():
    chapters = set(load_registry().chapters)
    notebooks = {p.stem for p in paths.NOTEBOOKS_DIR.glob("*.md")}
    assert chapters == notebooks


@pytest.mark.parametrize("chapter", list(load_registry().chapters))
def test_chapters_take_their_name_from_the_release(chapter):
    """No chapter types its own name: the release injects it (a copied notebook that kept the
    old name would load the wrong tables under a key that does not cover them)."""
    text = (paths.NOTEBOOKS_DIR / f"{chapter}.md").read_text(encoding="utf-8")
    assert f'chapter="{chapter}"' not in text and f"chapter='{chapter}'" not in text
    assert "chapter=chapter" in text
    assert 'chapter = ""' in text  # the parameter papermill replaces
