"""Stage 3: the chapters, executed by papermill or reused from the chapter cache.

A chapter's cache key (:func:`chapter_key_parts`) covers everything that can change its output:

- ``code``: its code cells (not its markdown: a narrative edit re-executes nothing; the new
  markdown is merged with the cached outputs, so glued values in edited prose keep working);
- ``parameters``: the papermill parameters, the chapter's own name among them;
- ``data``: the hash of exactly the working-file tables and files the registry declares for it
  (``load_chapter`` hands the chapter nothing else);
- ``source``: the content of every ``cms_stats`` module the chapter's kernel had imported when
  it finished (recorded at execution, :data:`DEPS_CELL`), and the package's data files
  (``resources/``). An edit to a module re-executes exactly the chapters that imported it;
  modules a chapter never imports (the extracts and measures layers reach it only through the
  working files) do not move its key;
- ``python``: the interpreter.

The hand-written cache is kept rather than jupyter-cache: jupyter-cache matches a notebook on
its code cells and kernelspec only (no data, no package source, no dependency record) and would
need those smuggled into notebook metadata; the narrative merge below also keeps papermill's
injected-parameters cell in place, which its merge does not know about.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from cms_stats import paths
from cms_stats.files import combine_hashes, hash_files, sha256_file
from cms_stats.registry import load_registry
from cms_stats.release.workers import Workers, read_notebook
from cms_stats.work import ReleaseError

__all__ = ["Chapter", "book_chapters", "chapter_workers", "chapter_input_hashes", "chapter_key_parts",
           "run_chapters", "merge_narrative", "source_part", "DEPS_TAG"]

#: Tag of the cell the release appends to record a chapter's imported modules (then removed).
DEPS_TAG = "cms-stats-deps"
DEPS_CELL = """import json as _json, sys as _sys
with open({path!r}, "w", encoding="utf-8") as _fh:
    _json.dump(sorted(str(getattr(_m, "__file__", None) or "") for _n, _m in list(_sys.modules.items())
                      if _n == "cms_stats" or _n.startswith("cms_stats.")), _fh)"""


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book: ``name`` (file stem), ``docname`` (path in the book, no suffix)."""
    name: str
    docname: str
    source: Path

    @property
    def title(self) -> str:
        """The page title: the first level-1 heading of the notebook."""
        for line in self.source.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return self.name


@contextlib.contextmanager
def chapter_workers(n: int, log: Path, env: dict[str, str] | None = None):
    """Chapter workers kept for several releases (a series of editions): each keeps its kernel
    across chapters and releases, reset before each chapter (:mod:`cms_stats.release.kernel`),
    so the series starts ``n`` kernels instead of ``n`` per edition."""
    pool = Workers(n, log, env=env)
    try:
        yield pool
    finally:
        pool.close()


def book_chapters(notebooks_dir: Path | None = None, period: str | None = None) -> list[Chapter]:
    """The registry's chapters in book order, each with its MyST notebook in ``notebooks_dir``;
    with ``period``, those in its edition (a chapter whose tables are all first published in a
    later edition is not in the book yet).

    Raises
    ------
    ReleaseError
        When a chapter of the registry has no notebook.
    """
    notebooks_dir = Path(notebooks_dir or paths.NOTEBOOKS_DIR)
    chapters = []
    registry = load_registry()
    for spec in (registry.chapters[name] for name in registry.chapters_in_edition(period)):
        source = notebooks_dir / f"{spec.name}.md"
        if not source.is_file():
            raise ReleaseError(f"chapter {spec.name!r} of the registry (tables.yaml) has no notebook {source}")
        chapters.append(Chapter(name=spec.name, docname=spec.docname, source=source))
    return chapters


def _code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])]


def digest(value) -> str:
    """SHA-256 of a JSON value (keys sorted)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def chapter_input_hashes(work_dir: Path, names: list[str]) -> dict[str, str]:
    """The hash of exactly what each chapter reads (its ``tables`` and ``files`` in the registry).

    The rows of its tables in ``measures.parquet`` and ``published.parquet`` and the working
    files it declares. A data change moves the hash only of the chapters whose tables it
    changes; ``load_chapter(chapter=...)`` hands a chapter nothing else, so nothing it reads
    is missing from its hash.
    """
    registry = load_registry()
    frames = [pd.read_parquet(work_dir / name) for name in ("measures.parquet", "published.parquet")]
    hashes = {}
    for name in names:
        spec = registry.chapter(name)
        h = hashlib.sha256()
        for frame in frames:
            rows = frame[frame["table"].isin(spec.tables)]
            h.update(rows.to_csv(index=False, lineterminator="\n").encode())
        for file in spec.files:
            path = work_dir / file
            h.update(f"{file}:{sha256_file(path) if path.is_file() else 'absent'}\n".encode())
        hashes[name] = h.hexdigest()
    return hashes


def source_part(modules: list[str] | None, package: dict[str, str]) -> str:
    """The ``source`` part of a chapter's key: the content of the ``cms_stats`` modules it
    imported and of ``resources/``, from ``package`` (:func:`package_hashes`, taken once when
    the release starts, so an edit made while chapters run shows as a change next time).

    ``None`` (no record: never executed), or a module that is not a file of this package (a
    kernel that imported another copy of ``cms_stats``), gives a value no record can match.
    """
    if modules is None:
        return "unknown"
    root = paths.PACKAGE_DIR.resolve()
    hashes = {}
    for file in modules:
        if not file:  # a module with no file (none of ours today) has no source to key on
            continue
        path = Path(file).resolve()
        if not path.is_relative_to(root):
            return "unknown: a module from outside the package (" + file + ")"
        rel = path.relative_to(root).as_posix()
        hashes[rel] = package.get(rel, "absent")
    hashes.update({rel: d for rel, d in package.items() if rel.startswith("resources/")})
    return combine_hashes(hashes)


def package_hashes() -> dict[str, str]:
    """SHA-256 of every file of the ``cms_stats`` package (relative path -> hex)."""
    return hash_files(paths.PACKAGE_DIR.resolve())


def _read_deps(path: Path) -> list[str] | None:
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def chapter_key_parts(nb, parameters: dict, source_hash: str) -> dict[str, str]:
    """What a chapter's outputs depend on, one hash per part (see the module's docstring)."""
    return {
        "code": digest(_code_sources(nb)),
        "parameters": digest(parameters),
        "data": parameters.get("data_hash", ""),
        "source": source_hash,
        "python": digest(sys.version),
    }


def stale_parts(cached_key: Path, parts: dict[str, str]) -> list[str]:
    """Which parts of a chapter's key changed since it was cached (all when never cached)."""
    try:
        old = json.loads(cached_key.read_text())
    except (OSError, ValueError):
        return ["not cached"]
    return [name for name, digest in parts.items() if old.get(name) != digest]


def merge_narrative(source_nb, executed_nb):
    """The edited notebook's cells with the cached execution's code outputs (cells in order).

    Returns None when the code cells do not line up (then the chapter is executed again).
    """
    executed_code = [c for c in executed_nb.cells if c.cell_type == "code"]
    injected = [c for c in executed_code if "injected-parameters" in c.metadata.get("tags", [])]
    ran = [c for c in executed_code if c not in injected]
    code = [c for c in source_nb.cells if c.cell_type == "code"]
    if len(ran) != len(code) or any(a.source != b.source for a, b in zip(ran, code)):
        return None
    merged = copy.deepcopy(executed_nb)
    cells = []
    it = iter(ran)
    for cell in source_nb.cells:
        if cell.cell_type != "code":
            cells.append(copy.deepcopy(cell))
            continue
        done = copy.deepcopy(next(it))
        done.metadata["tags"] = list(cell.metadata.get("tags", []))
        for k, v in cell.metadata.items():
            if k != "tags":
                done.metadata[k] = v
        tag_hidden(done)
        cells.append(done)
        if "parameters" in cell.metadata.get("tags", []):
            cells.extend(copy.deepcopy(injected))
    merged.cells = cells
    stable_ids(merged)
    return merged


def stable_ids(nb) -> None:
    """Cell ids from the cell's place (jupytext makes new random ids at every read), and
    markdown cells without papermill's timings: an unchanged chapter then stages byte-identical
    whether it was just executed or reused, and Sphinx does not read it again."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{cell.cell_type}-{i}"
        if cell.cell_type != "code":
            cell.metadata.pop("papermill", None)
            if cell.metadata.get("tags") == []:
                del cell.metadata["tags"]


def tag_hidden(cell) -> None:
    """Parameter cells (papermill's and the author's) are not shown in the book."""
    tags = cell.metadata.setdefault("tags", [])
    if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
        tags.append("remove-cell")


def run_chapters(chapters: list[Chapter], parameters: dict[str, dict], cache: Path, workers: int,
                 say: Callable[[str], None], reasons: dict[str, list[str]] | None = None,
                 env: dict[str, str] | None = None, pool: Workers | None = None
                 ) -> tuple[dict, list[str], list[str]]:
    """Execute or reuse every chapter; returns ({name: executed notebook}, executed, reused).

    ``parameters`` maps each chapter's name to its papermill parameters; ``env`` is added to
    the workers' environment. ``reasons`` (filled in) says, per executed chapter, which parts
    of its key changed. ``pool``: workers kept across releases (:func:`chapter_workers`; a
    series of editions starts its kernels once), used while all of them run; otherwise the
    release starts its own.
    """
    reasons = {} if reasons is None else reasons
    package = package_hashes()
    chapter_cache = cache / "chapters"
    chapter_cache.mkdir(parents=True, exist_ok=True)
    notebooks, executed, reused, todo = {}, [], [], []
    for ch in chapters:
        nb = read_notebook(ch.source, parameters[ch.name].get("period"))
        deps = _read_deps(chapter_cache / f"{ch.name}.deps.json")
        parts = chapter_key_parts(nb, parameters[ch.name], source_part(deps, package))
        cached_nb, cached_key = chapter_cache / f"{ch.name}.ipynb", chapter_cache / f"{ch.name}.key"
        stale = stale_parts(cached_key, parts) if cached_nb.is_file() else ["not cached"]
        if not stale:
            merged = merge_narrative(nb, nbformat.read(cached_nb, as_version=4))
            if merged is not None:
                notebooks[ch.name] = merged
                reused.append(ch.name)
                continue
            stale = ["cells do not line up"]
        reasons[ch.name] = stale
        todo.append((ch, parts))
    if not todo:
        return {ch.name: notebooks[ch.name] for ch in chapters}, executed, reused

    scratch = Path(tempfile.mkdtemp(prefix=".run-", dir=cache))
    by_name = {ch.name: (ch, parts) for ch, parts in todo}
    failures: list[str] = []

    def done(result: dict) -> bool:
        ch, parts = by_name[result["name"]]
        if result["error"]:
            failures.append(f"chapter '{ch.title}' ({ch.source.name}) failed: {result['error']}")
            return False
        out, deps_file = scratch / f"{ch.name}.ipynb", scratch / f"{ch.name}.deps.json"
        nb = nbformat.read(out, as_version=4)
        nb.cells = [c for c in nb.cells if DEPS_TAG not in c.metadata.get("tags", [])]
        # Paths of the build machine and clock times are not published: the same inputs give
        # the same notebook bytes (an edition rebuilt from its cut-off is byte-identical).
        for where in ("input_path", "output_path", "start_time", "end_time", "duration"):
            nb.metadata.get("papermill", {}).pop(where, None)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
            for where in ("start_time", "end_time", "duration"):
                cell.metadata.get("papermill", {}).pop(where, None)
        for cell in nb.cells:
            tag_hidden(cell)
        stable_ids(nb)
        nbformat.write(nb, out)
        # The key is stored with the modules this run imported: the next release compares
        # their content now with their content then.
        parts = dict(parts, source=source_part(_read_deps(deps_file), package))
        for suffix in ("key", "deps.json", "ipynb"):
            (chapter_cache / f"{ch.name}.{suffix}").unlink(missing_ok=True)
        os.replace(deps_file, chapter_cache / f"{ch.name}.deps.json")
        os.replace(out, chapter_cache / f"{ch.name}.ipynb")
        (chapter_cache / f"{ch.name}.key").write_text(json.dumps(parts, indent=1, sort_keys=True))
        notebooks[ch.name] = nb
        executed.append(ch.name)
        say(f"      executed {ch.name} ({', '.join(reasons[ch.name])} changed)")
        return True

    jobs = [{"name": ch.name, "source": str(ch.source), "out": str(scratch / f"{ch.name}.ipynb"),
             "parameters": parameters[ch.name], "cwd": str(ch.source.parent),
             "final_cell": DEPS_CELL.format(path=str(scratch / f"{ch.name}.deps.json")),
             "final_tag": DEPS_TAG} for ch, _ in todo]
    own = pool is None or not pool.alive()
    if own:
        pool = Workers(max(1, min(workers, len(todo))), cache / "chapters.log", env=env)
    try:
        pool.run(jobs, done)
    finally:
        if own:
            pool.close()
        shutil.rmtree(scratch, ignore_errors=True)
    if failures:
        raise ReleaseError(failures[0])
    return {ch.name: notebooks[ch.name] for ch in chapters}, executed, reused
