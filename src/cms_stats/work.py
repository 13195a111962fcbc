"""Validation, measures and the working files of a release period (stages 1 and 2).

:func:`prepare_work` validates the extract folder, computes every measure of the registry and
writes the unrounded working files every chapter reads, swapped into
``<build>/work/<period>/`` whole. A chapter run on its own (a statistician's Jupyter session)
calls it through :func:`cms_stats.book.load_chapter` when the files are absent; the release calls
it as its first two stages.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from cms_stats import paths
from cms_stats.extracts import (KNOWN_AT_DEFINITION, check_period, open_extracts, read_metadata,
                                validate)
from cms_stats.files import move_into_place
from cms_stats.measures import compute_all, mask_unavailable, not_available
from cms_stats.measures.engine import engine_name
from cms_stats.months import is_month, month_start
from cms_stats.publish.policy import load_policy
from cms_stats.publish.revisions import apply_revisions
from cms_stats.publish.rounding import publish_tidy
from cms_stats.publish.tidy_csv import read_csv
from cms_stats.registry import load_registry

__all__ = ["ReleaseError", "WORK_FILES", "prepare_work", "compute_work", "validate_folder",
           "validation_summary", "check_period_format", "default_data_dir", "corrections_log",
           "folder_vintage", "measure_edition", "measure_key"]

#: Working files written by :func:`prepare_work` (``revisions.csv`` only with a previous period).
WORK_FILES = ("measures.parquet", "published.parquet", "validation.json", "extract.json",
              "edition.json")
WORK_STAMP = "work_key.json"
WORK_FORMAT = 3  # bump when prepare_work writes its files differently


class ReleaseError(Exception):
    """A release failed for a reason stated in one line (the CLI prints it, exit code 2)."""


def check_period_format(period: str) -> None:
    """A release period is a month ``YYYY-MM``; anything else stops in one line."""
    if not is_month(period):
        raise ReleaseError(f"period {period!r} is not a month in the form YYYY-MM")


def default_data_dir(data_dir) -> Path:
    return Path(data_dir or paths.DEFAULT_DATA_DIR).resolve()


def validation_summary(report) -> dict:
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
        "unexpected_files": list(getattr(report, "unexpected", [])),
    }


def previous_folder(previous, build_root: Path) -> Path:
    """The release folder of an earlier edition: ``previous`` is a period (its release under
    ``<build>/release/``) or the folder itself."""
    return previous if isinstance(previous, Path) else build_root / "release" / previous


def previous_published(previous, build_root: Path):
    """The published figures of an earlier release, for revisions: its ``csv/`` as published.

    ``previous`` is a period (its release under ``<build>/release/``) or a published edition's
    folder (a :class:`~pathlib.Path`: what readers saw, never a recomputation).
    """
    if isinstance(previous, Path):
        folder = previous / "csv"
        if not folder.is_dir():
            raise ReleaseError(f"previous edition {previous}: no published csv/ folder")
        return read_csv(folder)
    check_period_format(previous)
    folder = build_root / "release" / previous / "csv"
    if not folder.is_dir():
        raise ReleaseError(f"previous period {previous}: no published release at "
                           f"{folder.parent} (release {previous} first)")
    return read_csv(folder)


def _accepts_known_at(func) -> bool:
    try:
        return "known_at" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _with_known_at(func, data_dir: Path, known_at: dt.date | None):
    """Call the loader as known at ``known_at``. A loader without vintages (folders with no
    recording dates) is the same at every cut-off, so it is called without one."""
    if known_at is not None and _accepts_known_at(func):
        return func(data_dir, known_at=known_at)
    return func(data_dir)


def folder_vintage(folder, known_at: dt.date | None) -> dict:
    """The data vintage an edition used: ``ExtractFolder.vintage`` where the loader records it,
    else the folder as a whole (no recording dates: the same at every cut-off)."""
    vintage = getattr(folder, "vintage", None)
    if isinstance(vintage, dict):
        return {str(k): (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in vintage.items()}
    return {"known_at": known_at.isoformat() if known_at else None,
            "extracted": None, "recording_dates": False, "not_yet_known": {}}


def validate_folder(data_dir: Path, period: str, known_at: dt.date | None = None):
    """Validate the folder as known at ``known_at`` and check the period lies inside it.

    A cut-off before the folder's first month stops in one line (nothing was known then).
    """
    first = read_metadata(Path(data_dir))["first_month"]  # checked before anything is read
    if known_at is not None and known_at < month_start(first):
        raise ReleaseError(f"cut-off {known_at} is before the first month of the extract folder "
                           f"{data_dir} ({first})")
    report = _with_known_at(validate, data_dir, known_at)
    folder = _with_known_at(open_extracts, data_dir, known_at)
    check_period(folder, period)
    return report, folder


def corrections_log(corrected: pd.DataFrame, original: pd.DataFrame, reason: str) -> pd.DataFrame:
    """Figures a correction changed: every published figure that differs from the issue it
    corrects (a correction is not subject to the 5% rule: it replaces what was published).

    Columns ``table, period, measure, breakdown, previous`` (as first published), ``revised``
    (the corrected figure), ``reason``.
    """
    key = ["table", "period", "measure", "breakdown"]
    a = corrected[key + ["value"]].astype(str)
    b = original[key + ["value"]].astype(str).rename(columns={"value": "previous"})
    both = a.merge(b, on=key, how="inner")
    changed = both[both["value"] != both["previous"]].rename(columns={"value": "revised"})
    changed = changed[key + ["previous", "revised"]].assign(reason=reason)
    return changed.sort_values(key, kind="stable").reset_index(drop=True)


def measure_edition(data_dir: Path, period: str, known_at: dt.date | None = None,
                    engine: str | None = None) -> dict:
    """Validation and measures of one edition: everything of its working files that does not
    depend on the previous edition (so a series can compute the next edition's while the
    previous one is still being published).

    ``engine`` names the measures engine (``duckdb``, the default, or ``spark``:
    :func:`cms_stats.measures.engine.engine_name`).

    Returns
    -------
    dict
        ``key`` (data folder, period, known_at, engine), ``engine``, ``measures`` (tidy, unrounded, only the tables
        of this edition), ``not_available`` (table -> why it has no figure for the period:
        :func:`cms_stats.measures.availability.not_available`), ``validation`` (:func:`validation_summary`), ``vintage``.
    """
    report, folder = validate_folder(data_dir, period, known_at)
    # The validation already read the whole folder: its quarantine is the DQ count, whatever
    # the measures read (so the count cannot depend on the order things were read in).
    engine = engine_name(engine)
    measures = compute_all(folder, period, quarantine=report.quarantine, engine=engine)
    # Figures whose table's declared needs are unmet at their month (a partial quarter, a
    # cumulative figure starting late) are not published: [x].
    measures = mask_unavailable(measures, folder, period)
    # A table first published in a later edition is absent from this one (not [x]).
    measures = measures[measures["table"].isin(load_registry().tables_in_edition(period))]
    # Decided before any chapter runs: the tables with no figure for the period, and why.
    # (the loader's rows of one column, not a frame: the service requests are most of the rows)
    events = {name: {"received_date": folder.event_column(name, "received_date")}
              for name in ("service_requests", "reconsiderations")}
    return {"key": measure_key(data_dir, period, known_at, engine), "engine": engine,
            "measures": measures.reset_index(drop=True),
            "not_available": not_available(folder, period, events),
            "validation": validation_summary(report), "vintage": folder_vintage(folder, known_at)}


def measure_key(data_dir: Path, period: str, known_at: dt.date | None,
                engine: str | None = None) -> tuple:
    return (str(Path(data_dir).resolve()), period, known_at.isoformat() if known_at else None,
            engine_name(engine))


def compute_work(measured: dict, data_dir: Path, period: str, work_dir: Path,
                  previous, build_root: Path, stamp: dict | None, *,
                  edition: dict | None = None, corrects: Path | None = None) -> Path:
    """Published figures, revisions and ``edition.json`` from :func:`measure_edition`'s
    result, into ``work_dir`` (swapped in whole).

    ``previous`` is the previous edition (a period or its published folder: its files as
    published); ``edition`` the release calendar's facts for this issue (written to
    ``edition.json`` with what changed); ``corrects`` the published folder of the issue this
    one corrects.
    """
    measures = measured["measures"]
    policy = load_policy()
    prev = previous_published(previous, build_root) if previous else None
    original = read_csv(previous_folder(corrects, build_root)) if corrects is not None else None
    # what readers already have: the previous edition and the issue this one corrects
    earlier = [f for f in (prev, original) if f is not None]
    published = publish_tidy(measures, policy, known=pd.concat(earlier) if earlier else None)
    revisions = None
    if prev is not None:
        published, revisions = apply_revisions(published, prev, policy)
    facts = dict(edition or {})
    facts["new_tables"] = list(load_registry().new_tables(period))
    facts["vintage"] = measured["vintage"]
    facts["known_at_definition"] = KNOWN_AT_DEFINITION
    facts["not_available"] = measured.get("not_available", {})
    if corrects is not None:
        log = corrections_log(published, original,
                              str(facts.get("correction", {}).get("reason", "")))
        facts["corrected_figures"] = log.to_dict(orient="records")

    # Written next to the final folder and swapped in whole: readers never see half a set.
    work_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{work_dir.name}.tmp-", dir=work_dir.parent))
    try:
        measures.to_parquet(tmp / "measures.parquet", index=False)
        published.to_parquet(tmp / "published.parquet", index=False)
        (tmp / "validation.json").write_text(
            json.dumps(measured["validation"], indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(data_dir / "extract.json", tmp / "extract.json")
        (tmp / "edition.json").write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n",
                                          encoding="utf-8")
        if revisions is not None:
            revisions.to_csv(tmp / "revisions.csv", index=False)
        if stamp is not None:
            (tmp / WORK_STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        move_into_place(tmp, work_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return work_dir


def prepare_work(period: str, data_dir=None, work_dir=None, previous: str | None = None,
                 engine: str | None = None) -> Path:
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
    engine : str, optional
        The measures engine (``duckdb``, the default, or ``spark``).

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
    check_period_format(period)
    data_dir = default_data_dir(data_dir)
    build_root = paths.build_dir()
    work_dir = Path(work_dir or build_root / "work" / period).resolve()
    return compute_work(measure_edition(data_dir, period, engine=engine), data_dir, period,
                        work_dir, previous,
                        build_root, None)
