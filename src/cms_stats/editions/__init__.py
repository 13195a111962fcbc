"""The quarterly series: every edition of the release calendar, built in order into one site.

>>> from cms_stats.editions import build_editions
>>> build_editions("2014-02", "2016-08")     # -> <build>/site/

Each *issue* (an edition as first published, and each correction of it) is built once, from
the data as known at its own date (``known_at``: the cut-off, or the correction's date), with
the revisions policy applied against the previous edition *as published in the archive* (the
files readers saw, never a recomputation), and frozen at its own address::

    <build>/site/index.html                       landing page: every edition, date, status, links
    <build>/site/<issue>/                         e.g. 2016-05/, 2016-08/, 2016-08-correction-1/
        html/  book.pdf  tables.xlsx  csv/  revisions.csv  notebooks/  manifest.json
    <build>/site/latest/                          a copy of the latest issue (a stable address)

An issue already in the archive is never rebuilt or touched: it is checked against its
manifest (every file's SHA-256, ``manifest.json`` ``extra.outputs``) and a tampered issue stops
the build in one line. Each issue is built beside the archive and moved into place whole; the
landing page and ``latest/`` are replaced whole after each issue.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from cms_stats import paths
from cms_stats.calendar import Calendar, CalendarError, Issue, date_words, load_calendar
from cms_stats.editions.ahead import Ahead, Measurer
from cms_stats.editions.site import (EditionError, check_issue, output_hashes, write_landing,
                                     write_latest)
from cms_stats.months import month_words
from cms_stats.release import chapter_env, chapter_workers, release
from cms_stats.work import default_data_dir

__all__ = ["EditionError", "build_editions", "issue_facts", "output_hashes", "check_issue",
           "site_dir", "published_issues"]


def site_dir(build_dir=None) -> Path:
    """The archive site: ``<build>/site``."""
    return Path(build_dir or paths.build_dir()).resolve() / "site"


def published_issues(calendar: Calendar, last: str | None = None) -> list[Issue]:
    """Every issue of the published editions, in order (up to edition ``last``)."""
    out = []
    for ed in calendar.editions:
        if ed.status != "published":
            continue
        out.extend(ed.issues)
        if ed.period == last:
            break
    return out


def _previous_issue(calendar: Calendar, issue: Issue) -> Issue | None:
    """What readers last saw of the previous edition when this issue was first published: the
    previous edition's latest issue published on or before this issue's original date."""
    prev = calendar.previous_edition(issue.period)
    if prev is None:
        return None
    seen = [i for i in prev.issues if i.published <= issue.edition.published]
    return seen[-1] if seen else None


def issue_facts(calendar: Calendar, issue: Issue) -> dict:
    """The calendar's facts for an issue, as the book, spreadsheet, CSV metadata and manifest
    show them (``edition.json``): dates as ISO and as words, the next edition, the previous
    issues (with their site addresses), methodology changes and the correction it is."""
    ed = issue.edition
    facts = {
        "id": issue.id, "period": ed.period, "period_words": month_words(ed.period),
        "cutoff": ed.cutoff.isoformat(), "cutoff_words": date_words(ed.cutoff),
        "known_at": issue.known_at.isoformat(), "known_at_words": date_words(issue.known_at),
        "published": issue.published.isoformat(), "published_words": date_words(issue.published),
        "published_basis": issue.correction.basis if issue.correction else ed.published_basis,
        "status": ed.status,
        "methodology": [{"text": t, "source": s} for t, s in ed.methodology],
    }
    nxt = calendar.next_edition(ed.period)
    if nxt is not None:
        facts["next"] = {"period": nxt.period, "period_words": month_words(nxt.period),
                         "published": nxt.published.isoformat(),
                         "published_month_words": nxt.published.strftime("%B %Y"),
                         "basis": nxt.published_basis}
    facts["previous_editions"] = [
        {"id": i.id, "period": i.period, "period_words": month_words(i.period),
         "published": i.published.isoformat(), "published_words": date_words(i.published),
         "href": f"../{i.id}/"}
        for i in reversed(published_issues(calendar)) if i.published < issue.published]
    if issue.correction is not None:
        c = issue.correction
        facts["correction"] = {"number": c.number, "reason": c.reason, "tables": list(c.tables),
                               "original_id": ed.period,
                               "original_published_words": date_words(ed.published),
                               "reissued_words": date_words(c.reissued), "source": c.source}
    return facts


def build_editions(first: str, last: str, data_dir=None, build_dir=None,
                   progress: Callable[..., None] | None = print, *, calendar: Calendar | None = None,
                   notebooks_dir=None, workers: int | None = None,
                   engine: str | None = None) -> Path:
    """Build every published issue of the editions ``first`` to ``last`` into the site.

    Parameters
    ----------
    first, last : str
        Editions (periods ``YYYY-MM``) of the release calendar.
    data_dir : path, optional
        Extract folder (default ``cms_stats.paths.DEFAULT_DATA_DIR``); each issue reads it as
        known at its own date.
    build_dir : path, optional
        Build root; the site is ``<build>/site``.
    progress : callable, optional
        One line per issue and per stage (default ``print``).
    calendar : Calendar, optional
        Another release calendar (tests); default ``resources/calendar.yaml``.
    notebooks_dir, workers, engine : optional
        As for :func:`cms_stats.release.release`.

    Returns
    -------
    Path
        The site folder.

    Raises
    ------
    EditionError
        One line: an edition not in the calendar, a planned edition asked for, the previous
        edition missing from the archive, an archived issue that no longer matches its manifest.
    cms_stats.extracts.ExtractError, cms_stats.release.ReleaseError
        As for a release (e.g. a cut-off before the folder's first month).
    """
    say = progress or (lambda *a, **k: None)
    try:
        calendar = calendar or load_calendar()
        wanted = calendar.between(first, last)
    except CalendarError as err:
        raise EditionError(str(err)) from None
    planned = [e.period for e in wanted if e.status != "published"]
    if planned:
        raise EditionError(f"edition {planned[0]} is planned, not published (release calendar)")
    build_root = Path(build_dir or paths.build_dir()).resolve()
    site = site_dir(build_root)
    site.mkdir(parents=True, exist_ok=True)
    data_dir = default_data_dir(data_dir)
    periods = {e.period for e in wanted}
    archive = published_issues(calendar)
    # The archive is checked whole before anything is built: a tampered issue stops the build.
    for issue in archive:
        if (site / issue.id).exists():
            check_issue(site / issue.id, issue.id)
    t0 = time.perf_counter()
    built = []
    todo = [i for i in archive if i.period in periods and not (site / i.id).exists()]
    for issue in [i for i in archive if i.period in periods and (site / i.id).exists()]:
        say(f"edition {issue.id}: in the archive, unchanged")
    # The next issue's validation and measures (which do not depend on the issue before it)
    # are computed in a subprocess (editions.ahead) once the current issue's own are done:
    # they fill the time its chapters, book, PDF and checks leave a core idle.
    # One pool of chapter workers and one measuring process for the series: their kernels
    # and imports start once, not per edition.
    n_workers = workers or max(1, min(2, os.cpu_count() or 1))
    scratch = build_root / "cache"
    scratch.mkdir(parents=True, exist_ok=True)
    with chapter_workers(n_workers, scratch / "editions-chapters.log",
                         chapter_env(build_root)) as pool, Measurer(scratch) as measurer:
        future = None
        try:
            for n, issue in enumerate(todo):
                previous = _previous_issue(calendar, issue)
                if previous is not None and not (site / previous.id).is_dir():
                    raise EditionError(f"edition {issue.id}: the previous edition {previous.id} is "
                                       f"not in the archive {site} (build from {previous.period})")
                say(f"edition {issue.id}: data as known at {issue.known_at}, published "
                    f"{date_words(issue.published)}"
                    + (f", revised against {previous.id} as published" if previous else ""))
                mine, future = future, None

                def measure_next(n=n):
                    nonlocal future
                    if n + 1 < len(todo):
                        future = Ahead(data_dir, todo[n + 1].period, todo[n + 1].known_at, scratch,
                                       engine, measurer)
                started = time.perf_counter()
                try:
                    release(issue.period, data_dir=data_dir,
                            previous=(site / previous.id) if previous else None,
                            progress=(lambda line: say("  " + line)), notebooks_dir=notebooks_dir,
                            build_dir=build_root, workers=workers, known_at=issue.known_at,
                            out=site / issue.id, edition=issue_facts(calendar, issue),
                            corrects=(site / issue.period) if issue.correction else None,
                            build_date=issue.published, measured=mine,
                            after_measures=measure_next, chapter_pool=pool, engine=engine)
                finally:
                    if mine is not None:  # unused when the working files were current
                        mine.cancel()
                built.append((issue.id, round(time.perf_counter() - started, 1)))
                _refresh(site, calendar)
        except BaseException:
            # the next issue's measurement, started once this one's working files were
            # written: stopped with it
            if future is not None:
                future.cancel()
            raise
    if not built:
        _refresh(site, calendar)
    say(f"site {site}: {len(built)} built"
        + (f" ({', '.join(f'{i} {s} s' for i, s in built)})" if built else "")
        + f" in {time.perf_counter() - t0:.1f} s")
    return site


def _refresh(site: Path, calendar: Calendar) -> None:
    """The landing page and ``latest/`` from what the archive holds (each replaced whole)."""
    present = [i for i in published_issues(calendar) if (site / i.id).is_dir()]
    write_landing(site, calendar, present)
    if present:
        write_latest(site, max(present, key=lambda i: i.published).id)
