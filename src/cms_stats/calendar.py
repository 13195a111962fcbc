"""The release calendar (``resources/calendar.yaml``): every edition of the quarterly series.

>>> from cms_stats.calendar import load_calendar
>>> cal = load_calendar()
>>> ed = cal.edition("2016-08")        # CalendarError when the calendar has no such edition
>>> ed.cutoff, ed.published, ed.status  # dates are datetime.date
>>> cal.next_edition("2016-08").period  # '2016-11'

Each edition may carry corrections made after publication; an edition and its corrections are
*issues* (:class:`Issue`): the original (``2016-08``) and each re-issue
(``2016-08-correction-1``), each built from the data as known at its own date and each kept
as published. Dates for readers come from :func:`date_words` (``26 October 2016``): no date is
typed in prose anywhere.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from cms_stats import paths
from cms_stats.files import read_yaml
from cms_stats.months import add_months, is_month, month_end

__all__ = ["CALENDAR_FILE", "Calendar", "CalendarError", "Correction", "Edition", "Issue",
           "date_words", "load_calendar"]

CALENDAR_FILE = paths.RESOURCES_DIR / "calendar.yaml"
STATUSES = ("published", "planned")
BASES = ("reference", "assumed")
QUARTER_MONTHS = (2, 5, 8, 11)
_EDITION_KEYS = {"period", "cutoff", "published", "published_basis", "status", "source",
                 "methodology", "corrections"}
_CORRECTION_KEYS = {"known_at", "reissued", "basis", "reason", "tables", "source"}


class CalendarError(ValueError):
    """The calendar is malformed, or has no such edition (one line naming it)."""


def date_words(day: dt.date) -> str:
    """A date as UK readers write it: ``26 October 2016``."""
    return f"{day.day} {day.strftime('%B')} {day.year}"


@dataclass(frozen=True)
class Correction:
    """A re-issue of an edition after publication, from the data as known at ``known_at``."""

    number: int
    known_at: dt.date
    reissued: dt.date
    basis: str
    reason: str
    tables: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Edition:
    """One edition of the calendar (see the rules at the top of ``calendar.yaml``)."""

    period: str
    cutoff: dt.date
    published: dt.date
    published_basis: str
    status: str
    source: str
    methodology: tuple[tuple[str, str], ...]
    corrections: tuple[Correction, ...]

    @property
    def issues(self) -> list["Issue"]:
        """The original issue, then each correction, in order."""
        out = [Issue(self, None)]
        out += [Issue(self, c) for c in self.corrections]
        return out


@dataclass(frozen=True)
class Issue:
    """What readers were given on one day: an edition as first published, or a correction."""

    edition: Edition
    correction: Correction | None

    @property
    def id(self) -> str:
        """The issue's address in the site: ``2016-08`` or ``2016-08-correction-1``."""
        if self.correction is None:
            return self.edition.period
        return f"{self.edition.period}-correction-{self.correction.number}"

    @property
    def period(self) -> str:
        return self.edition.period

    @property
    def known_at(self) -> dt.date:
        """The data as known at the end of this day (the cut-off, or the correction's date)."""
        return self.correction.known_at if self.correction else self.edition.cutoff

    @property
    def published(self) -> dt.date:
        """The day this issue was published (the re-issue date for a correction)."""
        return self.correction.reissued if self.correction else self.edition.published


@dataclass(frozen=True)
class Calendar:
    """The editions in order, each a quarter after the one before."""

    editions: tuple[Edition, ...]
    source: Path

    def edition(self, period: str) -> Edition:
        for ed in self.editions:
            if ed.period == period:
                return ed
        raise CalendarError(f"edition {period} is not in the release calendar ({self.source.name})")

    def issue(self, issue_id: str) -> Issue:
        """An issue by its id (``2016-08`` or ``2016-08-correction-1``)."""
        ed = self.edition(issue_id[:7])
        for iss in ed.issues:
            if iss.id == issue_id:
                return iss
        raise CalendarError(f"issue {issue_id} is not in the release calendar ({self.source.name})")

    def between(self, first: str, last: str) -> list[Edition]:
        """The editions from ``first`` to ``last`` (both must be in the calendar)."""
        a, b = self.editions.index(self.edition(first)), self.editions.index(self.edition(last))
        if a > b:
            raise CalendarError(f"edition {first} comes after {last}")
        return list(self.editions[a:b + 1])

    def previous_edition(self, period: str) -> Edition | None:
        i = self.editions.index(self.edition(period))
        return self.editions[i - 1] if i else None

    def next_edition(self, period: str) -> Edition | None:
        i = self.editions.index(self.edition(period))
        return self.editions[i + 1] if i + 1 < len(self.editions) else None


def _fail(where: str, message: str) -> CalendarError:
    return CalendarError(f"{CALENDAR_FILE.name}: {where}: {message}")


def _date(where: str, value) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(where, f"{value!r} is not a date YYYY-MM-DD") from None


def _text(where: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "must be a non-empty text")
    return value.strip()


def _keys(where: str, cfg, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(cfg, dict):
        raise _fail(where, "expected a mapping")
    unknown = sorted(set(cfg) - allowed)
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r}")
    missing = sorted(required - set(cfg))
    if missing:
        raise _fail(where, f"missing {missing[0]!r}")
    return cfg


def _correction(where: str, number: int, cfg, edition_published: dt.date,
                cutoff: dt.date) -> Correction:
    cfg = _keys(where, cfg, _CORRECTION_KEYS, _CORRECTION_KEYS)
    known_at = _date(where + ", known_at", cfg["known_at"])
    reissued = _date(where + ", reissued", cfg["reissued"])
    if known_at <= cutoff:
        raise _fail(where, f"known_at {known_at} is not after the edition's cut-off {cutoff}")
    if reissued <= edition_published or reissued <= known_at:
        raise _fail(where, f"reissued {reissued} is not after publication and known_at")
    if cfg["basis"] not in BASES:
        raise _fail(where, f"basis {cfg['basis']!r} is not one of {', '.join(BASES)}")
    tables = cfg["tables"]
    if not isinstance(tables, list) or not tables or not all(isinstance(t, str) for t in tables):
        raise _fail(where, "tables must be a non-empty list of table ids")
    return Correction(number=number, known_at=known_at, reissued=reissued, basis=cfg["basis"],
                      reason=_text(where + ", reason", cfg["reason"]), tables=tuple(tables),
                      source=_text(where + ", source", cfg["source"]))


def _edition(i: int, cfg) -> Edition:
    where = f"edition {i + 1}"
    cfg = _keys(where, cfg, _EDITION_KEYS, _EDITION_KEYS - {"methodology", "corrections"})
    period = str(cfg["period"])
    if not is_month(period) or int(period[5:]) not in QUARTER_MONTHS:
        raise _fail(where, f"period {period!r} is not a quarter-end month YYYY-MM "
                           "(February, May, August or November)")
    where = f"edition {period}"
    cutoff = _date(where + ", cutoff", cfg["cutoff"])
    if cutoff != month_end(add_months(period, 1)):
        raise _fail(where, f"cutoff {cutoff} is not the last day of the month after the period "
                           f"({month_end(add_months(period, 1))})")
    published = _date(where + ", published", cfg["published"])
    if published <= cutoff:
        raise _fail(where, f"published {published} is not after the cut-off {cutoff}")
    if cfg["published_basis"] not in BASES:
        raise _fail(where, f"published_basis {cfg['published_basis']!r} is not one of {', '.join(BASES)}")
    if cfg["status"] not in STATUSES:
        raise _fail(where, f"status {cfg['status']!r} is not one of {', '.join(STATUSES)}")
    methodology = []
    for j, m in enumerate(cfg.get("methodology") or []):
        m = _keys(f"{where}, methodology {j + 1}", m, {"text", "source"}, {"text", "source"})
        methodology.append((_text(f"{where}, methodology {j + 1}, text", m["text"]),
                            _text(f"{where}, methodology {j + 1}, source", m["source"])))
    corrections = tuple(
        _correction(f"{where}, correction {j + 1}", j + 1, c, published, cutoff)
        for j, c in enumerate(cfg.get("corrections") or []))
    if cfg["status"] == "planned" and corrections:
        raise _fail(where, "a planned edition cannot have corrections")
    return Edition(period=period, cutoff=cutoff, published=published,
                   published_basis=cfg["published_basis"], status=cfg["status"],
                   source=_text(where + ", source", cfg["source"]),
                   methodology=tuple(methodology), corrections=corrections)


def _parse(path: Path) -> Calendar:
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise CalendarError(f"{path.name}: cannot read: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("editions"), list) or not data["editions"]:
        raise CalendarError(f"{path.name}: expected `editions:`, a list of editions")
    editions = [_edition(i, cfg) for i, cfg in enumerate(data["editions"])]
    for before, after in zip(editions, editions[1:]):
        if after.period != add_months(before.period, 3):
            raise _fail(f"edition {after.period}", f"does not follow {before.period} by one quarter")
        if after.published <= before.published:
            raise _fail(f"edition {after.period}", "published before the edition before it")
        if before.status == "planned" and after.status == "published":
            raise _fail(f"edition {after.period}", "published after a planned edition")
    return Calendar(editions=tuple(editions), source=path)


@functools.lru_cache(maxsize=4)
def _cached(path: str, stamp: tuple) -> Calendar:
    return _parse(Path(path))


def load_calendar(path: str | Path | None = None) -> Calendar:
    """Load and check the release calendar (default ``resources/calendar.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        Another calendar file (tests).

    Returns
    -------
    Calendar

    Raises
    ------
    CalendarError
        One line naming the edition and the field that is malformed.
    """
    path = Path(path or CALENDAR_FILE)
    try:
        st = path.stat()
    except OSError as err:
        raise CalendarError(f"{path.name}: cannot read: {err}") from None
    return _cached(str(path.resolve()), (st.st_mtime_ns, st.st_size))
