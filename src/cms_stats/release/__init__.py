"""The release pipeline: from an extract folder to the published release folder.

:func:`release` reads like the pipeline. It runs six stages, each in its own modules, and
prints one progress line per stage with its timing::

    [1/6] validating extracts                       cms_stats.work
    [2/6] computing measures and working files      cms_stats.work
    [3/6] running chapters                          cms_stats.release.chapters (papermill, cache)
    [4/6] building the web book                     cms_stats.release.website (html + singlehtml)
    [5/6] printing the PDF; spreadsheet, CSV and manifest
                                                    cms_stats.release.pdf (Chromium, in a thread)
                                                    beside cms_stats.release.outputs
    [6/6] checking disclosure and moving into place cms_stats.release.outputs, cms_stats.files

The chapter workers start their kernels while the measures run (stage 2 uses one core of
two). The PDF is printed from the single-page build as soon as it is built, while the html
build finishes and then while the spreadsheet and CSV files are written (stage 5: Chromium on
one core, the tables on the other); the data archive and the manifest, which hold the PDF, wait
for it. The spreadsheet, CSV and revisions log are copied from the cache when their inputs are
unchanged (:mod:`cms_stats.release.kept`: a narrative-only rebuild).

It writes ``<build>/release/<period>/``: ``html/``, ``book.pdf``, ``notebooks/`` (the executed
chapters), ``tables.xlsx`` and ``tables.ods``, ``csv/`` (tidy files, ``metadata.json`` and the
Explore Education Statistics layout in ``csv/ees/``), ``manifest.json`` and ``revisions.csv`` when a previous
period is given. The folder is built next to its final place and moved there only when
complete: a failed or interrupted release leaves the previous release as it was. Unrounded
working files go to ``<build>/work/<period>/``, never into the release; ``<build>/cache/<period>/``
holds the chapter cache, the staged book and ``last_run.json`` (which chapters ran and why).
``<build>`` is ``cms_stats.paths.build_dir()`` (``_build/`` or ``$CMS_STATS_BUILD_DIR``).

Set-up it needs (all done by ``make setup``): the venv's ``python3`` kernelspec, MathJax 3 from
``npm ci`` (served from the book's ``_static``), Debian ``chromium`` (prints the PDF) and
``poppler-utils`` (the disclosure check reads the PDF).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from pathlib import Path

import nbformat

from cms_stats import paths
from cms_stats.files import (atomic_write_text, combine_hashes, hash_files, lock,
                             move_into_place, pid_alive)
from cms_stats.measures.engine import engine_name
from cms_stats.release.chapters import (Chapter, book_chapters, chapter_input_hashes,
                                        chapter_workers,
                                        chapter_key_parts, run_chapters)
from cms_stats.release.outputs import check_disclosure, screen_ahead, write_tables
from cms_stats.release.pdf import print_pdf, title_page
from cms_stats.release.website import Books, offline_problems, stage_book
from cms_stats.work import (WORK_FILES, WORK_FORMAT, WORK_STAMP, ReleaseError, measure_key,
                            check_period_format, compute_work, default_data_dir, measure_edition,
                            prepare_work, previous_folder)

__all__ = ["Chapter", "ReleaseError", "book_chapters", "prepare_work", "release",
           "chapter_env", "chapter_workers", "chapter_key_parts", "chapter_input_hashes", "last_run", "work_source_hash",
           "WORK_FILES"]

N_STAGES = 6
#: Parts of the package above the working files: they cannot change measures.parquet,
#: published.parquet or validation.json (the chapters key on what they import instead).
_ABOVE_WORK = ("book/", "release/", "qa/", "cli.py")


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of the processes it has waited for
    (chapter workers and their kernels, Sphinx, Chromium's driver)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class _Stages:
    """Progress lines and timings (wall and CPU seconds), one stage at a time."""
    def __init__(self, progress: Callable[..., None] | None):
        self.progress = progress or (lambda *a, **k: None)
        self.timings: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.marks: dict[str, float] = {}
        self._t0 = time.perf_counter()
        self._n = 0
        self._name = None
        self._start = None
        self._cpu_start = 0.0

    def say(self, text: str) -> None:
        self.progress(text)

    def mark(self, event: str) -> None:
        """When ``event`` happened, in seconds since the release started (``marks_s``: the
        book's two builds and the PDF overlap the stages)."""
        self.marks[event] = round(self.total, 3)

    def start(self, name: str) -> None:
        self.finish()
        self._n += 1
        self._name, self._start, self._cpu_start = name, time.perf_counter(), _cpu_seconds()
        self.progress(f"[{self._n}/{N_STAGES}] {name} ...")

    def finish(self) -> None:
        if self._name is not None:
            took = time.perf_counter() - self._start
            self.timings[self._name] = round(took, 3)
            # a process still running (a kept chapter pool) is counted when it is waited for
            self.cpu[self._name] = round(_cpu_seconds() - self._cpu_start, 3)
            self.progress(f"      done in {took:.1f} s")
            self._name = None

    @property
    def total(self) -> float:
        return time.perf_counter() - self._t0


def work_source_hash() -> str:
    """Hash of the package source the working files depend on: every module and data file
    below the book (extracts, measures, publish, the registry, the work stage itself)."""
    hashes = hash_files(paths.PACKAGE_DIR)
    return combine_hashes({rel: d for rel, d in hashes.items() if not rel.startswith(_ABOVE_WORK)})


def _data_hash(data_dir: Path, cache_root: Path) -> str:
    """One hash of the whole extract folder; unchanged files (size, mtime) are not read again."""
    memo_path = cache_root / "file_hashes.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    digest = combine_hashes(hash_files(data_dir, memo))
    try:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(memo_path, json.dumps(memo))
    except OSError:
        pass  # the memo only saves time
    return digest


def release(period: str, data_dir=None, previous: str | Path | None = None,
            progress: Callable[..., None] | None = print, *, notebooks_dir=None,
            build_dir=None, workers: int | None = None, known_at: dt.date | None = None,
            out: Path | None = None, edition: dict | None = None, corrects: Path | None = None,
            build_date: dt.date | None = None, measured=None,
            after_measures: Callable[[], None] | None = None, chapter_pool=None,
            engine: str | None = None) -> Path:
    """Build the complete release of ``period`` and move it into ``<build>/release/<period>/``.

    Parameters
    ----------
    period : str
        Reference month ``YYYY-MM`` (normally a quarter end).
    data_dir : path, optional
        Extract folder (default ``cms_stats.paths.DEFAULT_DATA_DIR``).
    previous : str or Path, optional
        Earlier period (its release under ``<build>/release/``) or the folder of the previous
        *published* edition: its published figures are revised against (``revisions.csv``).
    progress : callable, optional
        Called with one line per stage (default ``print``); None for silence.
    notebooks_dir : path, optional
        Folder of the chapter notebooks (default ``cms_stats.paths.NOTEBOOKS_DIR``).
    build_dir : path, optional
        Build root (default ``cms_stats.paths.build_dir()``).
    workers : int, optional
        Chapters executed at once (default: 2, or 1 on a single core).
    known_at : datetime.date, optional
        The edition's data cut-off: the folder as known at the end of that day (None: all of it).
    out : Path, optional
        Where the release goes (default ``<build>/release/<period>``); its name keys the cache
        and working files (``<build>/cache/<name>``), so issues of one period do not collide.
    edition : dict, optional
        The release calendar's facts for this issue (``cms_stats.editions.issue_facts``):
        shown in the book, the spreadsheet cover, the CSV metadata and the manifest.
    corrects : Path, optional
        The published folder of the issue this one corrects (its changed figures are listed).
    build_date : datetime.date, optional
        A fixed build date (the publication date): the footer's "Last updated", the manifest's
        build time and the PDF's dates, so a rebuild is byte-identical.
    measured : object with ``result()``, optional
        The validation and measures of this edition computed ahead
        (:func:`cms_stats.work.measure_edition`, e.g. while the previous edition was being
        published: :class:`cms_stats.editions.ahead.Ahead`); used when it was computed for this
        folder, period, cut-off and engine (``result()`` None: computed here).
    engine : str, optional
        The measures engine: ``duckdb`` (the default, embedded) or ``spark``
        (:func:`cms_stats.measures.engine.engine_name`; ``CMS_STATS_ENGINE`` when not given).
        Recorded in the manifest's parameters and in the working files' stamp.
    after_measures : callable, optional
        Called once this edition's working files are written or found current (the series starts measuring
        the next edition then, in a process of its own: it fills the time a core would be
        idle in this edition's chapters, book, PDF and checks).
    chapter_pool : Workers, optional
        Chapter workers kept across releases (:func:`cms_stats.release.chapters.chapter_workers`,
        started with this build root's environment); default: the release starts its own.

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
    check_period_format(period)
    stages = _Stages(progress)
    build_root = Path(build_dir or paths.build_dir()).resolve()
    data_dir = default_data_dir(data_dir)
    final = Path(out).resolve() if out else build_root / "release" / period
    name = final.name if out else period
    cache = build_root / "cache" / name
    work_dir = build_root / "work" / name
    chapters = book_chapters(Path(notebooks_dir or paths.NOTEBOOKS_DIR).resolve(), period)
    edition = dict(edition or {})
    if known_at is not None:
        edition.setdefault("known_at", known_at.isoformat())
    with lock(build_root / "cache" / f"{name}.lock", error=ReleaseError), \
            _source_date(build_date), contextlib.ExitStack() as closing:
        cache.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(final)
        _restore_aside(work_dir)  # an interrupted release's working files are not kept
        try:
            return _release(period, stages, build_root, data_dir, final, name, cache, work_dir,
                            chapters, edition, previous, known_at, corrects, measured,
                            after_measures, workers, build_date, engine_name(engine),
                            chapter_pool, closing)
        except BaseException:
            _restore_aside(work_dir)
            raise
        finally:
            shutil.rmtree(_aside(work_dir), ignore_errors=True)


def _aside(work_dir: Path) -> Path:
    return work_dir.parent / f".{work_dir.name}.previous"


def _set_aside(work_dir: Path) -> None:
    """Keep the working files of the release in place (``work/.<name>.previous``) while new
    ones are computed: a failed release puts them back (:func:`_restore_aside`)."""
    aside = _aside(work_dir)
    if work_dir.is_dir() and not aside.exists():
        shutil.copytree(work_dir, aside)


def _restore_aside(work_dir: Path) -> None:
    """Put the working files set aside back in place, swapped in whole (after a failed or
    interrupted release, so ``work/<name>`` describes the release in ``release/<name>``)."""
    aside = _aside(work_dir)
    if aside.is_dir():
        move_into_place(aside, work_dir)


def _release(period, stages, build_root, data_dir, final, name, cache, work_dir, chapters,
             edition, previous, known_at, corrects, measured, after_measures, workers,
             build_date, engine, chapter_pool=None,
             closing: contextlib.ExitStack | None = None) -> Path:
    """The stages of :func:`release` (its working files set aside until it succeeds).

    When the measures run, the chapter workers start first (unless ``chapter_pool`` is given
    and alive) and start their kernels while the measures run: the engine uses one core of
    two (``CMS_STATS_DUCKDB_THREADS``), the kernels' start and imports the other.
    ``closing`` closes them if the release stops before its chapters.
    """
    n_workers = workers or max(1, min(2, os.cpu_count() or 1))
    ahead_pool = None
    stages.start("validating extracts")
    data_hash = _data_hash(data_dir, build_root / "cache")
    stamp = {"format": WORK_FORMAT, "period": period, "data_dir": str(data_dir), "engine": engine,
             "data_hash": data_hash, "source_hash": work_source_hash(),
             "previous": str(previous) if previous else None,
             "previous_hash": _previous_hash(previous, build_root),
             "corrects_hash": _previous_hash(corrects, build_root),
             "known_at": known_at.isoformat() if known_at else None, "edition": edition}
    current = _stamp_matches(work_dir, stamp)
    if current:
        stages.say("      extracts and code unchanged since the last validation")

    stages.start("computing measures and working files")
    if current:
        stages.say(f"      reused {work_dir}")
    else:
        _set_aside(work_dir)  # restored if this release fails: work and release agree
        if closing is not None and (chapter_pool is None or not chapter_pool.alive()):
            ahead_pool = closing.enter_context(chapter_workers(
                n_workers, cache / "chapters.log", env=chapter_env(build_root)))
            ahead_pool.warm(str(chapters[0].source.parent))
        ahead = measured.result() if measured is not None else None
        if ahead is None or ahead["key"] != measure_key(data_dir, period, known_at, engine):
            ahead = measure_edition(data_dir, period, known_at, engine)
        else:
            stages.say("      validated and measured ahead, while the previous edition was "
                       "published")
        compute_work(ahead, data_dir, period, work_dir, previous, build_root, stamp,
                     edition=edition, corrects=corrects)
    metadata = json.loads((work_dir / "extract.json").read_text(encoding="utf-8"))
    summary = json.loads((work_dir / "validation.json").read_text(encoding="utf-8"))
    for stray in summary.get("unexpected_files") or []:
        stages.say(f"      warning: {stray}: unexpected file, not part of the contract (ignored)")
    facts = json.loads((work_dir / "edition.json").read_text(encoding="utf-8"))
    if after_measures is not None:
        after_measures()

    stages.start("running chapters")
    input_hashes = chapter_input_hashes(work_dir, [ch.name for ch in chapters])
    shown_previous = previous.name if isinstance(previous, Path) else previous
    parameters = {ch.name: _chapter_parameters(period, ch.name, input_hashes[ch.name],
                                               shown_previous, name) for ch in chapters}
    reasons: dict[str, list[str]] = {}
    notebooks, executed, reused = run_chapters(
        chapters, parameters, cache, n_workers, stages.say, reasons, env=chapter_env(build_root),
        pool=ahead_pool or chapter_pool)
    if ahead_pool is not None:
        ahead_pool.close()  # its kernels shut down now, not when the release ends
    stages.say(f"      {len(executed)} executed, {len(reused)} reused from the cache")

    stages.start("building the web book")
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-{os.getpid()}-", dir=final.parent))
    tmp.chmod(0o755)  # a published folder, readable by all (mkdtemp makes it private)
    try:
        books = _start_website(cache, chapters, notebooks, period, metadata, build_date)
        with books, ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf") as printing:
            # The PDF is printed from the single page as soon as it is built, while the html
            # build finishes (Chromium on the core the finished build leaves).
            single_dir = _offline(books.result("singlehtml"))
            stages.mark("singlehtml built")
            pdf = printing.submit(print_pdf, single_dir, chapters[0].docname, tmp / "book.pdf",
                                  cache, title_page(period, facts, metadata))
            earlier = [previous_folder(f, build_root) for f in (previous, corrects) if f]
            screened = {}

            def screen_then_wait_for_pdf() -> None:
                # the disclosure check of all but the PDF while Chromium prints it
                screened.update(screen_ahead(tmp, earlier, kept=cache / "audit",
                                             screened=cache / "screened"))
                stages.mark("screened all but the PDF")
                pdf.result()
                stages.mark("PDF printed")

            html_dir = _offline(books.result("html"))
            stages.mark("html built")
            shutil.copytree(html_dir, tmp / "html", ignore=shutil.ignore_patterns(".buildinfo"))
            (tmp / "notebooks").mkdir()
            for ch in chapters:
                nbformat.write(notebooks[ch.name], tmp / "notebooks" / f"{ch.name}.ipynb")

            stages.start("printing the PDF; spreadsheet, CSV and manifest")
            tables_stale = write_tables(
                tmp, work_dir, period,
                {"period": period, "data_dir": str(data_dir), "engine": engine,
                 "work_dir": work_dir.relative_to(build_root).as_posix(),
                 "data_hash": data_hash, "previous": str(shown_previous or ""),
                 "known_at": known_at.isoformat() if known_at else "",
                 "corrects": corrects.name if corrects else "",
                 "chapter_data_hashes": input_hashes},
                data_dir, metadata,
                # sorted: the order chapters finish in is not part of the release
                {"executed": sorted(executed), "reused": sorted(reused)}, facts,
                before_archive=screen_then_wait_for_pdf, kept=cache / "tables")
        if not tables_stale:
            stages.say("      spreadsheet, CSV and revisions reused: their inputs are unchanged")

        stages.start("checking disclosure and moving into place")
        check_disclosure(tmp, earlier, ahead=screened or None)
        move_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    stages.finish()
    record = {"period": period, "release": str(final),
              "working_files": "reused" if current else "computed", "executed": executed,
              "reused": reused, "why_executed": reasons,
              "tables": "written" if tables_stale else "reused", "why_tables_written": tables_stale,
              "audit": screened.get("audit"), "screening": screened.get("screening"),
              "timings_s": stages.timings,
              "cpu_s": stages.cpu, "marks_s": stages.marks, "total_s": round(stages.total, 3)}
    atomic_write_text(cache / "last_run.json", json.dumps(record, indent=2) + "\n")
    stages.say(f"release {period} complete in {stages.total:.1f} s: {final}")
    return final


def chapter_env(build_root: Path) -> dict[str, str]:
    """What a chapter worker's environment adds: the build root (the workers find the working
    files through it, never through a path in the parameters)."""
    return {"CMS_STATS_BUILD_DIR": str(build_root)}


def _chapter_parameters(period: str, chapter: str, data_hash: str, previous: str | None,
                        name: str) -> dict:
    """A chapter's papermill parameters: no path of the build machine (the workers find the
    working files through ``CMS_STATS_BUILD_DIR``; an issue named other than its period, a
    correction, gets its working folder relative to the build root), the chapter's name."""
    params = {"period": period, "chapter": chapter, "data_hash": data_hash,
              "previous": previous or ""}
    if name != period:
        params["work_dir"] = f"work/{name}"
    return params


@contextlib.contextmanager
def _source_date(build_date: dt.date | None):
    """``SOURCE_DATE_EPOCH`` set to ``build_date`` while the release runs (Sphinx's "Last
    updated", the manifest's build time and the PDF's dates read it), then restored."""
    if build_date is None:
        yield
        return
    old = os.environ.get("SOURCE_DATE_EPOCH")
    epoch = dt.datetime(build_date.year, build_date.month, build_date.day, tzinfo=dt.timezone.utc)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch.timestamp()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def _start_website(cache: Path, chapters: list[Chapter], notebooks: dict, period: str,
                   metadata: dict, build_date: dt.date | None = None) -> Books:
    """Stage the book and start its html and singlehtml builds (:class:`Books`)."""
    fresh = stage_book(cache / "book", chapters, notebooks, period, metadata,
                       build_date=build_date)
    return Books(cache / "book", cache, chapters, fresh=fresh)


def _offline(built: Path) -> Path:
    """``built``, once no page of it would fetch from the internet (else a one-line error)."""
    offline = offline_problems(built)
    if offline:
        raise ReleaseError(f"the book would fetch from the internet: {offline[0]}"
                           + (f" (+{len(offline) - 1} more)" if len(offline) > 1 else ""))
    return built


def _remove_stale(final: Path) -> None:
    """Temporary folders left by interrupted releases of this period (their process is gone)."""
    for p in final.parent.glob(f".{final.name}.tmp-*"):
        m = re.match(rf"\.{re.escape(final.name)}\.tmp-(\d+)-", p.name)
        if m and not pid_alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)


def _previous_hash(previous, build_root: Path) -> str | None:
    if not previous:
        return None
    folder = previous_folder(previous, build_root) / "csv"
    return combine_hashes(hash_files(folder)) if folder.is_dir() else None


def _stamp_matches(work_dir: Path, stamp: dict) -> bool:
    try:
        old = json.loads((work_dir / WORK_STAMP).read_text())
    except (OSError, ValueError):
        return False
    return old == stamp and all((work_dir / n).is_file() for n in WORK_FILES)


def last_run(period: str, build_dir=None) -> dict:
    """The record of the latest release of ``period`` (``<build>/cache/<period>/last_run.json``).

    Keys: ``working_files`` (``computed`` or ``reused``: whether validation and measures ran),
    ``executed`` and ``reused`` (chapter names), ``why_executed`` (chapter -> the parts of its
    cache key that changed), ``tables`` (``written`` or ``reused``: the spreadsheet, CSV and
    revisions log, :mod:`cms_stats.release.kept`) and ``why_tables_written`` (the parts of
    their key that changed), ``audit`` (``computed`` or ``reused``: the disclosure audit of
    the tables, kept with the key of the files it reads), ``timings_s`` (wall seconds per stage), ``cpu_s`` (CPU seconds per
    stage: the release's process and the processes it waited for), ``marks_s`` (when the
    single page and the html were built, the folder screened and the PDF printed: seconds
    since the start), ``total_s``, ``release``.
    """
    build_root = Path(build_dir or paths.build_dir())
    return json.loads((build_root / "cache" / period / "last_run.json").read_text())
