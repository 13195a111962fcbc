"""The release pipeline: from an extract folder to the published release folder.

``release(period)`` runs seven stages and prints one progress line per stage, with timings::

    [1/7] validating extracts
    [2/7] computing measures and working files
    [3/7] running chapters (papermill; cached chapters reused)
    [4/7] building the web book (jupyter-book html + singlehtml)
    [5/7] printing the PDF (Chromium)
    [6/7] writing spreadsheet, CSV and manifest
    [7/7] checking disclosure and moving into place

and writes ``<build>/release/<period>/``: ``html/``, ``book.pdf``, ``notebooks/`` (the executed
chapters), ``tables.xlsx``, ``csv/``, ``manifest.json`` and ``revisions.csv`` when a previous
period is given. The folder is built next to its final place and moved there only when complete:
a failed or interrupted release leaves the previous release as it was.

Unrounded working files go to ``<build>/work/<period>/`` (:func:`prepare_work`), never into the
release. Fast rebuilds use ``<build>/cache/<period>/``:

- a chapter cache keyed on the chapter's code cells, its parameters, the hash of the data and of
  the working files, and the hash of the ``cms_stats`` source tree. A narrative-only edit (markdown
  cells) re-executes nothing: the new markdown is merged with the cached code cells' outputs (glued
  values live there, so ``{glue:}`` roles in edited prose keep working);
- a persistent Sphinx source and doctree folder per builder, so an unchanged page is not re-read;
- ``last_run.json``: which chapters were executed and which were reused, and the stage timings.

``<build>`` is ``cms_stats.paths.build_dir()`` (``_build/`` or ``$CMS_STATS_BUILD_DIR``).
Importing this module has no side effect and imports nothing heavy.

Set-up it needs (all done by ``make setup``): the venv's ``python3`` kernelspec (installed with
ipykernel into ``.venv/share/jupyter/kernels``; its ``python`` resolves to the interpreter that
runs the release), MathJax 3 from ``npm ci`` (``node_modules/mathjax/es5``, served from the book's
``_static``; ``$CMS_STATS_MATHJAX_DIR`` points elsewhere), Debian ``chromium`` at
``/usr/bin/chromium`` (prints the PDF) and ``poppler-utils`` (the disclosure check reads the PDF).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cms_stats import paths

__all__ = [
    "Chapter",
    "ReleaseError",
    "book_chapters",
    "prepare_work",
    "release",
    "chapter_key",
    "chapter_key_parts",
    "last_run",
    "WORK_FILES",
]

N_STAGES = 7
#: The banner on every page of a book built from synthetic data.
SYNTHETIC_BANNER = ("These statistics are built from SYNTHETIC data made by a generator: they are "
                    "not official statistics and describe no real person or case.")
#: Working files written by :func:`prepare_work` (``revisions.csv`` only with a previous period).
WORK_FILES = ("measures.parquet", "published.parquet", "validation.json", "extract.json")
_WORK_STAMP = "work_key.json"
_WORK_FORMAT = 1  # bump when prepare_work writes its files differently
_CHROMIUM = "/usr/bin/chromium"
_CHAPTER_TIMEOUT_S = 1800
_KERNEL_START_TIMEOUT_S = 120
_BUILD_TIMEOUT_S = 900
_PRINT_TIMEOUT_S = 300
# MathJax 3 as installed by the set-up (`npm ci`, package.json); only what tex-chtml needs.
_MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml.js", "output/chtml", "ui", "a11y", "sre",
                  "adaptors")


class ReleaseError(Exception):
    """A release failed for a reason stated in one line (the CLI prints it, exit code 2)."""


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


# --------------------------------------------------------------------------------------------
# Hashing


def _sha256_file(path: Path) -> str:
    from cms_stats.publish.manifest import sha256_file

    return sha256_file(path)


def _tree_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
    )


def _hash_files(root: Path, memo: dict | None = None) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (relative POSIX path -> hex).

    ``memo`` maps ``"<abs path>"`` to ``[size, mtime_ns, digest]``: a file whose size and
    modification time are unchanged is not read again (full-scale extracts are large).
    """
    out = {}
    for p in _tree_files(root):
        st = p.stat()
        key = str(p)
        hit = memo.get(key) if memo is not None else None
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            digest = hit[2]
        else:
            digest = _sha256_file(p)
            if memo is not None:
                memo[key] = [st.st_size, st.st_mtime_ns, digest]
        out[p.relative_to(root).as_posix()] = digest
    return out


def _combine(hashes: dict[str, str]) -> str:
    """Combined hash, the same as :func:`cms_stats.publish.manifest.hash_folder` (path order)."""
    h = hashlib.sha256()
    for rel, digest in sorted(hashes.items(), key=lambda item: tuple(item[0].split("/"))):
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def _data_hash(data_dir: Path, cache_root: Path) -> str:
    """One hash of the whole extract folder (every file's path and content)."""
    memo_path = cache_root / "file_hashes.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    digest = _combine(_hash_files(data_dir, memo))
    with contextlib.suppress(OSError):
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_text(memo_path, json.dumps(memo))
    return digest


def _source_hash() -> str:
    """Hash of the ``cms_stats`` source tree (code, policies, styles) that chapters can use.

    The orchestration (this module, whose working-file format is versioned by ``_WORK_FORMAT``),
    the command line and the QA tools cannot change a chapter's outputs, so they are left out.
    """
    hashes = _hash_files(paths.PACKAGE_DIR)
    return _combine({rel: d for rel, d in hashes.items()
                     if rel not in ("cli.py", "release.py") and not rel.startswith("qa/")})


# --------------------------------------------------------------------------------------------
# Small file helpers


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds it (keeps the mtime Sphinx looks at)."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _move_into_place(staged: Path, final: Path) -> None:
    """Replace ``final`` by ``staged`` so that ``final`` is always either old or new, whole."""
    if not final.exists():
        os.rename(staged, final)
        return
    if _exchange(staged, final):
        shutil.rmtree(staged)  # now holds the old release
        return
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    os.rename(final, old)
    try:
        os.rename(staged, final)
    except BaseException:
        os.rename(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _lock(path: Path):
    """One release of a period at a time (they share the period's cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReleaseError(f"another release of this period is running (lock {path})") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_period_format(period: str) -> None:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(period)):
        raise ReleaseError(f"period {period!r} is not a month in the form YYYY-MM")


# --------------------------------------------------------------------------------------------
# The book's chapters


def book_chapters(notebooks_dir: Path | None = None, toc: Path | None = None) -> list[Chapter]:
    """The chapters in ``_toc.yml`` order, each with its MyST notebook in ``notebooks_dir``.

    Raises
    ------
    ReleaseError
        When a chapter listed in the table of contents has no notebook.
    """
    import yaml

    notebooks_dir = Path(notebooks_dir or paths.NOTEBOOKS_DIR)
    toc = Path(toc or paths.PROJECT_ROOT / "_toc.yml")
    spec = yaml.safe_load(toc.read_text(encoding="utf-8"))
    docnames = [spec["root"]] + [entry["file"] for entry in spec.get("chapters", [])]
    chapters = []
    for docname in docnames:
        name = Path(docname).name
        source = notebooks_dir / f"{name}.md"
        if not source.is_file():
            raise ReleaseError(f"chapter {docname!r} of {toc.name} has no notebook {source}")
        chapters.append(Chapter(name=name, docname=docname, source=source))
    return chapters


# --------------------------------------------------------------------------------------------
# Stage 1-2: validation, measures and the working files


def _published_validation(validation: dict) -> dict:
    """What the manifest may say of the validation: which files were checked and which
    quarantine reasons fired. Exact row counts stay in the working files: they are unrounded
    counts (a snapshot's row count is that month's caseload), and the book publishes them
    rounded by the policy."""
    return {
        "files_checked": sorted(validation.get("rows_in", {})),
        "quarantine_reasons": {file: sorted(reasons) for file, reasons
                               in sorted(validation.get("quarantined_by_reason", {}).items())},
    }


def _default_data_dir(data_dir) -> Path:
    return Path(data_dir or paths.DEFAULT_DATA_DIR).resolve()


def _validation_summary(report) -> dict:
    """Counts only (no rows): rows in / used / quarantined per file, quarantine by reason."""
    by_reason: dict[str, dict[str, int]] = {}
    for row in report.quarantine_counts().itertuples(index=False):
        by_reason.setdefault(str(row.file), {})[str(row.reason)] = int(row.rows)

    def ints(d):
        return {str(k): int(v) for k, v in sorted(dict(d or {}).items())}

    return {
        "rows_in": ints(report.rows_in),
        "rows_used": ints(report.rows_used),
        "rows_quarantined": ints(report.rows_quarantined),
        "quarantined_by_reason": by_reason,
    }


def _previous_published(previous: str, build_root: Path):
    """The published figures of an earlier release, for revisions: its ``csv/`` as published."""
    from cms_stats.publish.tidy_csv import read_csv

    _check_period_format(previous)
    folder = build_root / "release" / previous / "csv"
    if not folder.is_dir():
        raise ReleaseError(f"previous period {previous}: no published release at "
                           f"{folder.parent} (release {previous} first)")
    return read_csv(folder)


def _validate(data_dir: Path, period: str):
    from cms_stats.extracts import check_period, open_extracts, validate

    report = validate(data_dir)
    folder = open_extracts(data_dir)
    check_period(folder, period)
    return report, folder


def _compute_work(report, folder, data_dir: Path, period: str, work_dir: Path,
                  previous: str | None, build_root: Path, stamp: dict | None) -> Path:
    from cms_stats.measures import compute_all
    from cms_stats.publish.policy import load_policy
    from cms_stats.publish.revisions import apply_revisions
    from cms_stats.publish.rounding import publish_tidy

    measures = compute_all(folder, period)
    policy = load_policy()
    published = publish_tidy(measures, policy)
    revisions = None
    if previous:
        prev = _previous_published(previous, build_root)
        published, revisions = apply_revisions(published, prev, policy)

    # Written next to the final folder and swapped in whole: readers never see half a set.
    work_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{work_dir.name}.tmp-", dir=work_dir.parent))
    try:
        measures.to_parquet(tmp / "measures.parquet", index=False)
        published.to_parquet(tmp / "published.parquet", index=False)
        (tmp / "validation.json").write_text(
            json.dumps(_validation_summary(report), indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(data_dir / "extract.json", tmp / "extract.json")
        if revisions is not None:
            revisions.to_csv(tmp / "revisions.csv", index=False)
        if stamp is not None:
            (tmp / _WORK_STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        _move_into_place(tmp, work_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return work_dir


def prepare_work(period: str, data_dir=None, work_dir=None, previous: str | None = None) -> Path:
    """Validate the extracts and write the unrounded working files for ``period``.

    Writes to ``work_dir`` (default ``<build>/work/<period>/``): ``measures.parquet`` (tidy,
    unrounded), ``published.parquet`` (rounded by the publication policy, after revisions when
    ``previous`` is given), ``validation.json`` (row counts per file and quarantine counts by
    reason: counts only), ``revisions.csv`` (with ``previous``) and a copy of ``extract.json``.

    Parameters
    ----------
    period : str
        Reference month ``YYYY-MM``; must lie inside the data.
    data_dir : path, optional
        Extract folder (default ``cms_stats.paths.DEFAULT_DATA_DIR``).
    work_dir : path, optional
        Where the working files go.
    previous : str, optional
        Earlier period whose published figures are revised against.

    Returns
    -------
    Path
        The working folder.

    Raises
    ------
    cms_stats.extracts.ExtractError
        The extracts break the data contract.
    ReleaseError
        Bad period format, or no published figures for ``previous``.
    """
    _check_period_format(period)
    data_dir = _default_data_dir(data_dir)
    build_root = paths.build_dir()
    work_dir = Path(work_dir or build_root / "work" / period).resolve()
    report, folder = _validate(data_dir, period)
    return _compute_work(report, folder, data_dir, period, work_dir, previous, build_root, None)


# --------------------------------------------------------------------------------------------
# Stage 3: chapters (papermill) and the chapter cache


def _read_notebook(source: Path):
    import jupytext

    return jupytext.read(source, fmt="md:myst")


def _code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])]


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def chapter_input_hashes(work_dir: Path, names: list[str]) -> dict[str, str]:
    """The hash of exactly what each chapter reads (``resources/chapter_inputs.yaml``).

    The rows of its tables in ``measures.parquet`` and ``published.parquet`` and the working
    files it declares. A data change moves the hash only of the chapters whose tables it
    changes; ``load_chapter(chapter=...)`` hands a chapter nothing else, so nothing it reads
    is missing from its hash.
    """
    import pandas as pd

    from cms_stats.book.chapter import chapter_inputs

    declared = chapter_inputs()
    frames = [pd.read_parquet(work_dir / name) for name in ("measures.parquet", "published.parquet")]
    hashes = {}
    for name in names:
        if name not in declared:
            raise ReleaseError(f"chapter '{name}' declares no inputs in resources/chapter_inputs.yaml")
        digest = hashlib.sha256()
        for frame in frames:
            rows = frame[frame["table"].isin(declared[name]["tables"])]
            digest.update(rows.to_csv(index=False, lineterminator="\n").encode())
        for file in declared[name]["files"]:
            path = work_dir / file
            digest.update(f"{file}:{_sha256_file(path) if path.is_file() else 'absent'}\n".encode())
        hashes[name] = digest.hexdigest()
    return hashes


def chapter_key_parts(nb, parameters: dict, source_hash: str) -> dict[str, str]:
    """What a chapter's outputs depend on, one hash per part.

    ``code`` (the code cells only: markdown is not part of it, so editing the narrative
    re-executes nothing), ``parameters`` (with the chapter's own ``data_hash``), ``data`` (that
    hash: the chapter's declared inputs), ``source`` (the ``cms_stats`` source tree) and
    ``python`` (the interpreter).
    """
    return {
        "code": _digest(_code_sources(nb)),
        "parameters": _digest(parameters),
        "data": parameters.get("data_hash", ""),
        "source": source_hash,
        "python": _digest(sys.version),
    }


def chapter_key(nb, parameters: dict, source_hash: str) -> str:
    """The cache key of a chapter: one hash of :func:`chapter_key_parts`."""
    return _digest(chapter_key_parts(nb, parameters, source_hash))


def _stale_parts(cached_key: Path, parts: dict[str, str]) -> list[str]:
    """Which parts of a chapter's key changed since it was cached (all when never cached)."""
    try:
        old = json.loads(cached_key.read_text())
    except (OSError, ValueError):
        return ["not cached"]
    return [name for name, digest in parts.items() if old.get(name) != digest]


def _execute_chapter(source: str, out_path: str, parameters: dict, cwd: str) -> str | None:
    """Run one chapter with papermill (in a worker process). Returns an error line or None."""
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the venv's kernelspec, not ~/.local
    os.environ.setdefault("MPLBACKEND", "agg")
    import copy

    import papermill as pm

    nb = _read_notebook(Path(source))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for attempt in (1, 2):
        try:
            pm.execute_notebook(
                copy.deepcopy(nb), out_path, parameters=parameters, kernel_name="python3",
                cwd=cwd, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, execution_timeout=_CHAPTER_TIMEOUT_S,
                start_timeout=_KERNEL_START_TIMEOUT_S,
            )
        except pm.PapermillExecutionError as err:
            return f"cell {err.exec_count}: {err.ename}: {_one_line(err.evalue)}"
        except Exception as err:  # kernel died, timeout, bad notebook: still one line
            # A kernel that never answered (a port taken between choice and bind, a busy
            # machine) is started once more; a chapter that fails is not.
            if attempt == 1 and "didn't respond" in str(err):
                continue
            return f"{type(err).__name__}: {_one_line(str(err))}"
        return None
    return None


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))  # ANSI colours from tracebacks
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _merge_narrative(source_nb, executed_nb):
    """The edited notebook's cells with the cached execution's code outputs (cells in order).

    Returns None when the code cells do not line up (then the chapter is executed again).
    """
    import copy

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
            new = copy.deepcopy(cell)
            new.metadata.update({k: v for k, v in cell.metadata.items()})
            cells.append(new)
            continue
        done = copy.deepcopy(next(it))
        done.metadata["tags"] = list(cell.metadata.get("tags", []))
        for k, v in cell.metadata.items():
            if k != "tags":
                done.metadata[k] = v
        _tag_hidden(done)
        cells.append(done)
        if "parameters" in cell.metadata.get("tags", []):
            cells.extend(copy.deepcopy(injected))
    merged.cells = cells
    _stable_ids(merged)
    return merged


def _stable_ids(nb) -> None:
    """Cell ids from the cell's place (jupytext makes new random ids at every read), and
    markdown cells without papermill's timings: an unchanged chapter then stages byte-identical
    whether it was just executed or reused, and Sphinx does not read it again."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{cell.cell_type}-{i}"
        if cell.cell_type != "code":
            cell.metadata.pop("papermill", None)
            if cell.metadata.get("tags") == []:
                del cell.metadata["tags"]


def _tag_hidden(cell) -> None:
    """Parameter cells (papermill's and the author's) are not shown in the book."""
    tags = cell.metadata.setdefault("tags", [])
    if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
        tags.append("remove-cell")


def _worker_main() -> None:
    """A chapter worker process: one JSON job per stdin line, one JSON result per line."""
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not corrupt the result stream
    for line in sys.stdin:
        job = json.loads(line)
        error = _execute_chapter(job["source"], job["out"], job["parameters"], job["cwd"])
        out.write(json.dumps({"name": job["name"], "error": error}) + "\n")
        out.flush()


class _Workers:
    """Up to ``n`` long-lived worker processes executing chapters from a queue.

    Subprocesses (not multiprocessing) so the release works from any caller, including a
    script without a ``__main__`` guard, and a crashed kernel cannot take the release down.
    """

    def __init__(self, n: int, log: Path):
        self.log = open(log, "w")
        code = "from cms_stats.release import _worker_main; _worker_main()"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=self.log, text=True,
                                       env=env) for _ in range(n)]

    def run(self, jobs: list[dict], on_done: Callable[[dict], bool]) -> None:
        """Run ``jobs``; ``on_done(result)`` returns False to stop handing out jobs."""
        import selectors

        pending = list(jobs)
        busy: dict[int, dict] = {}
        sel = selectors.DefaultSelector()
        for i, proc in enumerate(self.procs):
            sel.register(proc.stdout, selectors.EVENT_READ, i)

        def hand_out(i: int) -> None:
            if pending:
                job = pending.pop(0)
                busy[i] = job
                self.procs[i].stdin.write(json.dumps(job) + "\n")
                self.procs[i].stdin.flush()

        for i in range(len(self.procs)):
            hand_out(i)
        deadline = time.monotonic() + _CHAPTER_TIMEOUT_S * max(1, len(jobs))
        while busy:
            events = sel.select(timeout=5)
            if time.monotonic() > deadline:
                raise ReleaseError("chapters did not finish in time")
            for key, _ in events:
                i = key.data
                line = self.procs[i].stdout.readline()
                if not line:  # the worker died (out of memory, killed)
                    job = busy.pop(i)
                    sel.unregister(key.fileobj)
                    on_done({"name": job["name"], "error":
                             f"the worker process died (exit {self.procs[i].wait()})"})
                    pending.clear()
                    continue
                result = json.loads(line)
                busy.pop(i)
                if on_done(result):
                    hand_out(i)
                else:
                    pending.clear()
        sel.close()

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()


def _run_chapters(chapters: list[Chapter], parameters: dict[str, dict], source_hash: str, cache: Path,
                  workers: int, say: Callable[[str], None],
                  reasons: dict[str, list[str]] | None = None) -> tuple[dict, list[str], list[str]]:
    """Execute or reuse every chapter; returns ({name: executed notebook}, executed, reused).

    ``parameters`` maps each chapter's name to its papermill parameters.

    ``reasons`` (filled in) says, per executed chapter, which parts of its key changed.
    """
    reasons = {} if reasons is None else reasons
    import nbformat

    chapter_cache = cache / "chapters"
    chapter_cache.mkdir(parents=True, exist_ok=True)
    notebooks, executed, reused, todo = {}, [], [], []
    for ch in chapters:
        nb = _read_notebook(ch.source)
        parts = chapter_key_parts(nb, parameters[ch.name], source_hash)
        cached_nb, cached_key = chapter_cache / f"{ch.name}.ipynb", chapter_cache / f"{ch.name}.key"
        stale = _stale_parts(cached_key, parts) if cached_nb.is_file() else ["not cached"]
        if not stale:
            merged = _merge_narrative(nb, nbformat.read(cached_nb, as_version=4))
            if merged is not None:
                notebooks[ch.name] = merged
                reused.append(ch.name)
                continue
            stale = ["cells do not line up"]
        reasons[ch.name] = stale
        todo.append((ch, json.dumps(parts, indent=1, sort_keys=True)))
    if not todo:
        return {ch.name: notebooks[ch.name] for ch in chapters}, executed, reused

    scratch = Path(tempfile.mkdtemp(prefix=".run-", dir=cache))
    by_name = {ch.name: (ch, key) for ch, key in todo}
    failures: list[str] = []

    def done(result: dict) -> bool:
        ch, key = by_name[result["name"]]
        if result["error"]:
            failures.append(f"chapter '{ch.title}' ({ch.source.name}) failed: {result['error']}")
            return False
        out = scratch / f"{ch.name}.ipynb"
        nb = nbformat.read(out, as_version=4)
        for cell in nb.cells:
            _tag_hidden(cell)
        _stable_ids(nb)
        nbformat.write(nb, out)
        (chapter_cache / f"{ch.name}.key").unlink(missing_ok=True)
        os.replace(out, chapter_cache / f"{ch.name}.ipynb")
        (chapter_cache / f"{ch.name}.key").write_text(key)
        notebooks[ch.name] = nb
        executed.append(ch.name)
        say(f"      executed {ch.name} ({', '.join(reasons[ch.name])} changed)")
        return True

    jobs = [{"name": ch.name, "source": str(ch.source), "out": str(scratch / f"{ch.name}.ipynb"),
             "parameters": parameters[ch.name], "cwd": str(ch.source.parent)} for ch, _ in todo]
    pool = _Workers(max(1, min(workers, len(todo))), cache / "chapters.log")
    try:
        pool.run(jobs, done)
    finally:
        pool.close()
        shutil.rmtree(scratch, ignore_errors=True)
    if failures:
        raise ReleaseError(failures[0])
    return {ch.name: notebooks[ch.name] for ch in chapters}, executed, reused


# --------------------------------------------------------------------------------------------
# Stage 4-5: the book (Sphinx via jupyter-book) and the PDF (Chromium)


def _mathjax_dir() -> Path:
    env = os.environ.get("CMS_STATS_MATHJAX_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(paths.PROJECT_ROOT / "node_modules" / "mathjax" / "es5")
    for c in candidates:
        if (c / "tex-chtml.js").is_file():
            return c
    raise ReleaseError(
        "MathJax 3 not found (node_modules/mathjax/es5/tex-chtml.js): run the set-up "
        "(`npm ci` in the project) so the book serves MathJax locally"
    )


def _stage_config(period: str, metadata: dict) -> bytes:
    import yaml

    from cms_stats.book.format import month_label

    config = yaml.safe_load((paths.PROJECT_ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{config.get('title', '')}: {month_label(period)}"
    html = config.setdefault("html", {})
    if metadata.get("source") == "synthetic":
        html["announcement"] = SYNTHETIC_BANNER
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {}) or {}
    config["sphinx"]["config"] = sphinx_config
    # Served from the book itself: nothing is fetched from the internet when reading.
    sphinx_config["html_static_path"] = ["_vendor"]
    sphinx_config["mathjax_path"] = "mathjax/tex-chtml.js"
    sphinx_config["html_css_files"] = ["print.css"]
    sphinx_config["templates_path"] = ["_templates"]
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True).encode()


def _stage_vendor(stage: Path) -> None:
    vendor = stage / "_vendor"
    _write_if_changed(vendor / "print.css", (paths.RESOURCES_DIR / "print.css").read_bytes())
    # Theme template overrides (resources/book/_templates -> <stage>/_templates).
    templates = paths.RESOURCES_DIR / "book" / "_templates"
    for p in _tree_files(templates):
        _write_if_changed(stage / "_templates" / p.relative_to(templates), p.read_bytes())
    mathjax = _mathjax_dir()
    stamp = stage / ".mathjax-source"  # outside _vendor: not published
    marker = f"{mathjax} {(mathjax / 'tex-chtml.js').stat().st_mtime_ns}"
    if stamp.is_file() and stamp.read_text() == marker:
        return
    shutil.rmtree(vendor / "mathjax", ignore_errors=True)
    for part in _MATHJAX_PARTS:
        src, dst = mathjax / part, vendor / "mathjax" / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.is_file():
            shutil.copyfile(src, dst)
    stamp.write_text(marker)


def _stage_book(stage: Path, chapters: list[Chapter], notebooks: dict, period: str,
                metadata: dict) -> bool:
    """Write the book's sources into the persistent staging folder (unchanged files untouched).

    Returns True when the configuration or the table of contents changed: then the kept Sphinx
    environments are not trusted (a page that is not re-read would keep stale links).
    """
    import nbformat

    changed = _write_if_changed(stage / "_config.yml", _stage_config(period, metadata))
    changed |= _write_if_changed(stage / "_toc.yml", (paths.PROJECT_ROOT / "_toc.yml").read_bytes())
    _stage_vendor(stage)
    wanted = set()
    for ch in chapters:
        target = stage / f"{ch.docname}.ipynb"
        wanted.add(target)
        _write_if_changed(target, nbformat.writes(notebooks[ch.name]).encode())
    for p in (stage / "notebooks").glob("*"):
        if p.is_file() and p not in wanted:
            p.unlink()
            changed = True
    return changed


def _jupyter_book(stage: Path, out: Path, builder: str, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
           str(stage), "--path-output", str(out), "--builder", builder,
           "-W", "-n", "--keep-going", "-q"]
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    fh = open(log, "w")
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=stage)
    proc._log_handle = fh  # closed by the caller
    return proc


_WARNING_RE = re.compile(r"^(?P<where>\S.*?):(?:\d+:)?\s*(?P<level>WARNING|ERROR|CRITICAL|SEVERE):"
                         r"\s*(?P<msg>.*)$")


def _build_failure(log: Path, builder: str, chapters: list[Chapter], stage: Path) -> str:
    """One line naming the chapter and the first warning or error of a failed build."""
    text = log.read_text(errors="replace") if log.is_file() else ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines = [ln for ln in text.splitlines() if ("WARNING:" in ln or "ERROR:" in ln)]
    if not lines:
        tail = [ln for ln in text.splitlines() if ln.strip()][-1:] or ["no output"]
        return f"book build ({builder}) failed: {_one_line(tail[0])} (log {log})"
    first = lines[0]
    where = ""
    for ch in chapters:
        if f"{ch.docname}.ipynb" in first or f"{ch.docname}" in first.replace(str(stage) + "/", ""):
            where = f"chapter '{ch.title}' ({ch.name}): "
            break
    msg = first.replace(str(stage) + "/", "")
    more = f" (+{len(lines) - 1} more; log {log})" if len(lines) > 1 else f" (log {log})"
    return f"book build ({builder}) failed: {where}{_one_line(msg)}{more}"


def _build_books(stage: Path, cache: Path, chapters: list[Chapter],
                 fresh: bool = False) -> tuple[Path, Path]:
    """html and singlehtml in parallel, each with its own persistent doctrees.

    Only pages whose staged notebook changed are read again (Sphinx compares file times), unless
    ``fresh``. A failed build discards its environment, so its warnings come back next time.
    """
    builds = {b: cache / f"sphinx-{b}" for b in ("html", "singlehtml")}
    procs = {}
    for builder, out in builds.items():
        if fresh:
            shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        procs[builder] = _jupyter_book(stage, out, builder, cache / f"sphinx-{builder}.log")
    failures = []
    for builder, proc in procs.items():
        try:
            rc = proc.wait(timeout=_BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        finally:
            proc._log_handle.close()
        if rc != 0 or not (builds[builder] / "_build" / builder / "index.html").is_file():
            failures.append(_build_failure(cache / f"sphinx-{builder}.log", builder, chapters,
                                           stage))
            # A failed build may have saved an environment that hides the warning next time.
            shutil.rmtree(builds[builder], ignore_errors=True)
    if failures:
        raise ReleaseError(failures[0])
    return builds["html"] / "_build" / "html", builds["singlehtml"] / "_build" / "singlehtml"


def _offline_problems(html_dir: Path) -> list[str]:
    """Scripts, styles, fonts or images the pages would fetch from the internet."""
    bad = []
    pat = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=["']((?:https?:)?//[^"']+)""",
                     re.I)
    for page in html_dir.rglob("*.html"):
        text = page.read_text(errors="replace")
        for m in pat.finditer(text):
            tag = text[m.start(): m.start() + 6].lower()
            if tag.startswith("<link") and not re.search(r'rel=["\'](?:stylesheet|preload|icon|modulepreload)',
                                                         text[m.start(): m.end() + 200]):
                continue
            bad.append(f"{page.relative_to(html_dir)}: {m.group(1)}")
    for css in html_dir.rglob("*.css"):
        for m in re.finditer(r"""url\(\s*['"]?((?:https?:)?//[^'")]+)""", css.read_text(errors="replace")):
            if not m.group(1).startswith("http://www.w3.org/"):
                bad.append(f"{css.relative_to(html_dir)}: {m.group(1)}")
    return bad


def _print_pdf(single_dir: Path, root_docname: str, pdf: Path, scratch: Path) -> None:
    built = single_dir / f"{root_docname}.html"
    if not built.is_file():
        raise ReleaseError(f"PDF: singlehtml root page {built} was not built")
    # The singlehtml builder links assets relative to its output root, whatever folder the
    # root page is written to: print a copy that sits at the root.
    page = single_dir / "_print.html"
    page.write_bytes(built.read_bytes())
    if not Path(_CHROMIUM).is_file():
        raise ReleaseError(f"PDF: {_CHROMIUM} not found (install the Debian package chromium)")
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=scratch))
    cmd = [_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-quic", "--disable-extensions", "--disable-dev-shm-usage",
           f"--user-data-dir={profile}", "--no-pdf-header-footer",
           "--virtual-time-budget=20000",  # let MathJax typeset before the page is printed
           f"--print-to-pdf={pdf}", page.as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PRINT_TIMEOUT_S,
                              env=dict(os.environ, HOME=str(profile)))
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"PDF: Chromium did not finish within {_PRINT_TIMEOUT_S} s") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        err = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()][-1:] or ["no output"]
        raise ReleaseError(f"PDF: Chromium failed (exit {proc.returncode}): {_one_line(err[0])}")


# --------------------------------------------------------------------------------------------
# Stage 6-7: tables, CSV, manifest; disclosure check


def _write_tables(out: Path, work_dir: Path, period: str, parameters: dict, data_dir: Path,
                  metadata: dict, chapters_run: dict) -> None:
    """``tables.xlsx``, ``csv/``, ``revisions.csv`` and ``manifest.json`` from the working files."""
    import pandas as pd

    from cms_stats.publish.manifest import write_manifest
    from cms_stats.publish.policy import load_metadata, load_policy
    from cms_stats.publish.rounding import publication_tables
    from cms_stats.publish.spreadsheet import write_spreadsheet
    from cms_stats.publish.tidy_csv import write_csv

    policy = load_policy()
    published = pd.read_parquet(work_dir / "published.parquet")
    revisions = None
    if (work_dir / "revisions.csv").is_file():
        shutil.copyfile(work_dir / "revisions.csv", out / "revisions.csv")
        revisions = pd.read_csv(work_dir / "revisions.csv", dtype=str, keep_default_na=False)
    tables = publication_tables(published, policy, load_metadata())
    write_spreadsheet(
        {k: v for k, v in tables.items() if k != "DQ"}, out / "tables.xlsx", period=period,
        is_synthetic=metadata.get("source") == "synthetic", revisions_log=revisions,
        quality=tables.get("DQ"), policy=policy)
    write_csv(published, out, policy)
    validation = json.loads((work_dir / "validation.json").read_text(encoding="utf-8"))
    write_manifest(
        out / "manifest.json", period=period, parameters=parameters, input_files=data_dir,
        extra={"extract": metadata, "validation": _published_validation(validation),
               "chapters": chapters_run})


def _check_disclosure(out: Path) -> None:
    from cms_stats.publish.disclosure import check_release
    from cms_stats.publish.policy import load_policy

    problems = check_release(out, load_policy())
    if problems:
        raise ReleaseError(f"disclosure check failed: {problems[0]}"
                           + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))


# --------------------------------------------------------------------------------------------
# The release


class _Stages:
    def __init__(self, progress: Callable[..., None] | None):
        self.progress = progress or (lambda *a, **k: None)
        self.timings: dict[str, float] = {}
        self._t0 = time.perf_counter()
        self._n = 0
        self._name = None
        self._start = None

    def say(self, text: str) -> None:
        self.progress(text)

    def start(self, name: str) -> None:
        self.finish()
        self._n += 1
        self._name, self._start = name, time.perf_counter()
        self.progress(f"[{self._n}/{N_STAGES}] {name} ...")

    def finish(self) -> None:
        if self._name is not None:
            took = time.perf_counter() - self._start
            self.timings[self._name] = round(took, 3)
            self.progress(f"      done in {took:.1f} s")
            self._name = None

    @property
    def total(self) -> float:
        return time.perf_counter() - self._t0


def release(period: str, data_dir=None, previous: str | None = None,
            progress: Callable[..., None] | None = print, *, notebooks_dir=None,
            build_dir=None, workers: int | None = None) -> Path:
    """Build the complete release of ``period`` and move it into ``<build>/release/<period>/``.

    Parameters
    ----------
    period : str
        Reference month ``YYYY-MM`` (normally a quarter end).
    data_dir : path, optional
        Extract folder (default ``cms_stats.paths.DEFAULT_DATA_DIR``).
    previous : str, optional
        Earlier period: its published figures are revised against (``revisions.csv``).
    progress : callable, optional
        Called with one line per stage (default ``print``); None for silence.
    notebooks_dir : path, optional
        Folder of the chapter notebooks (default ``cms_stats.paths.NOTEBOOKS_DIR``).
    build_dir : path, optional
        Build root (default ``cms_stats.paths.build_dir()``).
    workers : int, optional
        Chapters executed at once (default: 2, or 1 on a single core).

    Returns
    -------
    Path
        The release folder. ``<build>/cache/<period>/last_run.json`` records which chapters
        were executed and which were reused from the cache, with the stage timings.

    Raises
    ------
    cms_stats.extracts.ExtractError
        The extracts break the data contract (one line naming file, column, row).
    ReleaseError
        Anything else that stops the release, in one line (a failing chapter is named).
    """
    _check_period_format(period)
    stages = _Stages(progress)
    build_root = Path(build_dir or paths.build_dir()).resolve()
    data_dir = _default_data_dir(data_dir)
    notebooks_dir = Path(notebooks_dir or paths.NOTEBOOKS_DIR).resolve()
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    final = build_root / "release" / period
    cache = build_root / "cache" / period
    work_dir = build_root / "work" / period
    chapters = book_chapters(notebooks_dir)

    with _lock(build_root / "cache" / f"{period}.lock"):
        cache.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(final)

        stages.start("validating extracts")
        data_hash = _data_hash(data_dir, build_root / "cache")
        source_hash = _source_hash()
        stamp = {"format": _WORK_FORMAT, "period": period, "data_dir": str(data_dir),
                 "data_hash": data_hash,
                 "source_hash": source_hash, "previous": previous,
                 "previous_hash": _previous_hash(previous, build_root)}
        work_current = _stamp_matches(work_dir, stamp)
        if work_current:
            stages.say("      extracts unchanged since the last validation (working files reused)")
        else:
            report, folder = _validate(data_dir, period)

        stages.start("computing measures and working files")
        if not work_current:
            _compute_work(report, folder, data_dir, period, work_dir, previous, build_root, stamp)
        else:
            stages.say(f"      reused {work_dir}")
        metadata = json.loads((work_dir / "extract.json").read_text(encoding="utf-8"))

        stages.start("running chapters")
        # Each chapter's data_hash is the hash of the inputs it declares, so a data change
        # re-executes only the chapters that read what changed.
        input_hashes = chapter_input_hashes(work_dir, [ch.name for ch in chapters])
        parameters = {ch.name: {"period": period, "data_dir": str(data_dir),
                                "work_dir": str(work_dir), "data_hash": input_hashes[ch.name],
                                "previous": previous or ""} for ch in chapters}
        reasons: dict[str, list[str]] = {}
        notebooks, executed, reused = _run_chapters(chapters, parameters, source_hash, cache,
                                                    workers, stages.say, reasons)
        stages.say(f"      {len(executed)} executed, {len(reused)} reused from the cache")

        stages.start("building the web book")
        stage_dir = cache / "book"
        fresh = _stage_book(stage_dir, chapters, notebooks, period, metadata)
        html_dir, single_dir = _build_books(stage_dir, cache, chapters, fresh=fresh)
        offline = _offline_problems(html_dir) + _offline_problems(single_dir)
        if offline:
            raise ReleaseError(f"the book would fetch from the internet: {offline[0]}"
                               + (f" (+{len(offline) - 1} more)" if len(offline) > 1 else ""))

        tmp = Path(tempfile.mkdtemp(prefix=f".{period}.tmp-{os.getpid()}-", dir=final.parent))
        tmp.chmod(0o755)  # a published folder, readable by all (mkdtemp makes it private)
        try:
            shutil.copytree(html_dir, tmp / "html", ignore=shutil.ignore_patterns(".buildinfo"))
            nb_out = tmp / "notebooks"
            nb_out.mkdir()
            import nbformat

            for ch in chapters:
                nbformat.write(notebooks[ch.name], nb_out / f"{ch.name}.ipynb")

            stages.start("printing the PDF")
            _print_pdf(single_dir, chapters[0].docname, tmp / "book.pdf", cache)

            stages.start("writing spreadsheet, CSV and manifest")
            release_parameters = {"period": period, "data_dir": str(data_dir),
                                  "work_dir": str(work_dir), "data_hash": data_hash,
                                  "previous": previous or "",
                                  "chapter_data_hashes": input_hashes}
            _write_tables(tmp, work_dir, period, release_parameters, data_dir, metadata,
                          {"executed": executed, "reused": reused})

            stages.start("checking disclosure and moving into place")
            _check_disclosure(tmp)
            _move_into_place(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        stages.finish()

        record = {"period": period, "release": str(final), "executed": executed,
                  "reused": reused, "why_executed": reasons, "timings_s": stages.timings,
                  "total_s": round(stages.total, 3)}
        _atomic_write_text(cache / "last_run.json", json.dumps(record, indent=2) + "\n")
        stages.say(f"release {period} complete in {stages.total:.1f} s: {final}")
    return final


def _remove_stale(final: Path) -> None:
    """Temporary folders left by interrupted releases of this period (their process is gone)."""
    for p in final.parent.glob(f".{final.name}.tmp-*"):
        m = re.match(rf"\.{re.escape(final.name)}\.tmp-(\d+)-", p.name)
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)


def _previous_hash(previous: str | None, build_root: Path) -> str | None:
    if not previous:
        return None
    folder = build_root / "release" / previous / "csv"
    return _combine(_hash_files(folder)) if folder.is_dir() else None


def _stamp_matches(work_dir: Path, stamp: dict) -> bool:
    try:
        old = json.loads((work_dir / _WORK_STAMP).read_text())
    except (OSError, ValueError):
        return False
    return old == stamp and all((work_dir / n).is_file() for n in WORK_FILES)


def last_run(period: str, build_dir=None) -> dict:
    """The record of the latest release of ``period`` (``<build>/cache/<period>/last_run.json``).

    Keys: ``executed`` and ``reused`` (chapter names), ``why_executed`` (chapter -> the parts of
    its cache key that changed), ``timings_s`` (per stage), ``total_s``, ``release``.
    """
    build_root = Path(build_dir or paths.build_dir())
    return json.loads((build_root / "cache" / period / "last_run.json").read_text())
