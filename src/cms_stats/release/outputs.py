"""Stages 6 and 7: the spreadsheet, CSV and manifest; the disclosure check that can stop a release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from cms_stats.publish.disclosure import check_release
from cms_stats.publish.manifest import write_manifest
from cms_stats.publish.policy import load_metadata, load_policy
from cms_stats.publish.rounding import publication_tables
from cms_stats.publish.spreadsheet import write_spreadsheet
from cms_stats.publish.tidy_csv import write_csv
from cms_stats.work import ReleaseError

__all__ = ["write_tables", "check_disclosure", "published_validation"]


def published_validation(validation: dict) -> dict:
    """What the manifest may say of the validation: which files were checked and which
    quarantine reasons fired. Exact row counts stay in the working files: they are unrounded
    counts (a snapshot's row count is that month's caseload), and the book publishes them
    rounded by the policy."""
    return {
        "files_checked": sorted(validation.get("rows_in", {})),
        "quarantine_reasons": {file: sorted(reasons) for file, reasons
                               in sorted(validation.get("quarantined_by_reason", {}).items())},
    }


def write_tables(out: Path, work_dir: Path, period: str, parameters: dict, data_dir: Path,
                  metadata: dict, chapters_run: dict) -> None:
    """``tables.xlsx``, ``csv/``, ``revisions.csv`` and ``manifest.json`` from the working files."""
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
        extra={"extract": metadata, "validation": published_validation(validation),
               "chapters": chapters_run})


def check_disclosure(out: Path) -> None:
    problems = check_release(out, load_policy())
    if problems:
        raise ReleaseError(f"disclosure check failed: {problems[0]}"
                           + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
