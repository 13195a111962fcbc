"""Validation, measures and the working files of a release period (stages 1 and 2).

:func:`prepare_work` validates the extract folder, computes every measure of the registry and
writes the unrounded working files every chapter reads, swapped into
``<build>/work/<period>/`` whole. A chapter run on its own (a statistician's Jupyter session)
calls it through :func:`cms_stats.book.load_chapter` when the files are absent; the release calls
it as its first two stages.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from cms_stats import paths
from cms_stats.extracts import check_period, open_extracts, validate
from cms_stats.files import move_into_place
from cms_stats.measures import compute_all
from cms_stats.months import is_month
from cms_stats.publish.policy import load_policy
from cms_stats.publish.revisions import apply_revisions
from cms_stats.publish.rounding import publish_tidy
from cms_stats.publish.tidy_csv import read_csv

__all__ = ["ReleaseError", "WORK_FILES", "prepare_work", "compute_work", "validate_folder",
           "validation_summary", "check_period_format", "default_data_dir"]

#: Working files written by :func:`prepare_work` (``revisions.csv`` only with a previous period).
WORK_FILES = ("measures.parquet", "published.parquet", "validation.json", "extract.json")
WORK_STAMP = "work_key.json"
WORK_FORMAT = 2  # bump when prepare_work writes its files differently


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
    }


def previous_published(previous: str, build_root: Path):
    """The published figures of an earlier release, for revisions: its ``csv/`` as published."""
    check_period_format(previous)
    folder = build_root / "release" / previous / "csv"
    if not folder.is_dir():
        raise ReleaseError(f"previous period {previous}: no published release at "
                           f"{folder.parent} (release {previous} first)")
    return read_csv(folder)


def validate_folder(data_dir: Path, period: str):
    report = validate(data_dir)
    folder = open_extracts(data_dir)
    check_period(folder, period)
    return report, folder


def compute_work(report, folder, data_dir: Path, period: str, work_dir: Path,
                  previous: str | None, build_root: Path, stamp: dict | None) -> Path:
    # The validation already read the whole folder: its quarantine is the DQ count, whatever
    # the measures read (so the count cannot depend on the order things were read in).
    measures = compute_all(folder, period, quarantine=report.quarantine)
    policy = load_policy()
    published = publish_tidy(measures, policy)
    revisions = None
    if previous:
        prev = previous_published(previous, build_root)
        published, revisions = apply_revisions(published, prev, policy)

    # Written next to the final folder and swapped in whole: readers never see half a set.
    work_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{work_dir.name}.tmp-", dir=work_dir.parent))
    try:
        measures.to_parquet(tmp / "measures.parquet", index=False)
        published.to_parquet(tmp / "published.parquet", index=False)
        (tmp / "validation.json").write_text(
            json.dumps(validation_summary(report), indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(data_dir / "extract.json", tmp / "extract.json")
        if revisions is not None:
            revisions.to_csv(tmp / "revisions.csv", index=False)
        if stamp is not None:
            (tmp / WORK_STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        move_into_place(tmp, work_dir)
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
    check_period_format(period)
    data_dir = default_data_dir(data_dir)
    build_root = paths.build_dir()
    work_dir = Path(work_dir or build_root / "work" / period).resolve()
    report, folder = validate_folder(data_dir, period)
    return compute_work(report, folder, data_dir, period, work_dir, previous, build_root, None)
