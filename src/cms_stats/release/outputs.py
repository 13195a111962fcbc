"""Stages 6 and 7: the spreadsheet (xlsx and ODS), CSV and manifest; the disclosure check that can
stop a release."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from cms_stats.book.cells import symbol_links
from cms_stats.files import atomic_write_text, hash_files, sha256_file
from cms_stats.publish.disclosure import check_release, is_screened, screen_files, screen_rules
from cms_stats.publish.table_audit import audit_tables
from cms_stats.publish.explore import EXPLORE_DATA, explore_data_problems, write_explore_data
from cms_stats.publish.manifest import write_manifest
from cms_stats.publish.ods import write_ods
from cms_stats.publish.policy import load_metadata, load_policy
from cms_stats.publish.rounding import publication_tables
from cms_stats.publish.spreadsheet import created_datetime, write_spreadsheet
from cms_stats.publish.tidy_csv import write_csv
from cms_stats.registry import load_registry
from cms_stats.release.archive import write_data_archive
from cms_stats.release.kept import computed_or_reused, folder_files, stage_key, write_or_reuse
from cms_stats.work import ReleaseError

__all__ = ["write_tables", "check_disclosure", "screen_ahead", "published_validation",
           "TABLE_OUTPUTS"]


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


def edition_lines(facts: dict) -> list[str]:
    """The edition's facts for the spreadsheet cover and the CSV metadata: publication date,
    next edition, the correction it is, and where the previous editions are (from the
    release calendar, through ``edition.json``; nothing typed)."""
    lines = []
    if facts.get("published_words"):
        lines.append(f"Published: {facts['published_words']}"
                     + (" (a correction of the edition first published on "
                        f"{facts['correction']['original_published_words']})"
                        if facts.get("correction") else "") + ".")
    if facts.get("cutoff_words"):
        lines.append(f"Data as known on {facts['known_at_words']} (the data cut-off "
                     f"of this edition is {facts['cutoff_words']}).")
    nxt = facts.get("next")
    if nxt:
        lines.append(f"Next edition: {nxt['published_month_words']} (data to {nxt['period_words']}).")
    if facts.get("correction"):
        lines.append(f"Correction: {facts['correction']['reason']}")
    for prev in facts.get("previous_editions", []):
        lines.append(f"Previous edition: data to {prev['period_words']}, published "
                     f"{prev['published_words']}: {prev['href']}tables.xlsx")
    return lines


#: What :func:`write_tables` writes from the working files alone (kept in the cache between
#: releases with the key of their inputs, :mod:`cms_stats.release.kept`).
TABLE_OUTPUTS = ("tables.xlsx", "tables.ods", "csv", "revisions.csv")


def write_tables(out: Path, work_dir: Path, period: str, parameters: dict, data_dir: Path,
                  metadata: dict, chapters_run: dict, facts: dict | None = None,
                  before_archive: Callable[[], object] | None = None,
                  kept: Path | None = None) -> list[str]:
    """``tables.xlsx``, ``tables.ods``, ``csv/`` (with ``csv/ees/``), ``revisions.csv``,
    the table builder's data (``html/_static/explore/data.js``, from ``csv/``, when the web
    book is in ``out``) and ``manifest.json`` from the working files.

    ``facts`` (``edition.json``) adds the edition's calendar facts and links to previous
    editions to the cover and ``csv/metadata.json``, and its cut-off and data vintage to the
    manifest.

    ``before_archive`` is called (and its errors raised) before the data archive and the
    manifest are written: the release prints the PDF meanwhile, and both hold it.

    ``kept`` (a folder of the cache): the spreadsheet, CSV and revisions log are copied from
    there when their inputs are those they were written from (:data:`TABLE_OUTPUTS`,
    :func:`cms_stats.release.kept.write_or_reuse`), else written and kept there.

    Returns
    -------
    list of str
        The parts of the tables' key that changed (empty: the kept files were copied; always
        non-empty without ``kept``).
    """
    facts = facts or {}
    is_synthetic = metadata.get("source") == "synthetic"

    def write() -> None:
        _write_table_files(out, work_dir, period, facts, is_synthetic)

    if kept is None:
        write()
        stale = ["not kept"]
    else:
        key = stage_key({name: work_dir / name for name in ("published.parquet", "revisions.csv")},
                        {"period": period, "facts": facts, "synthetic": is_synthetic})
        stale = write_or_reuse(out, kept, key, TABLE_OUTPUTS, write)
    if (out / "html").is_dir():
        # The "Create your own table" page's data: exactly the CSV files just written.
        write_explore_data(out, load_policy(), _edition_metadata(period), symbol_links())
    if before_archive is not None:
        before_archive()
    # The PDF, spreadsheet and CSV in one archive (before the manifest, which hashes it).
    write_data_archive(out, facts.get("id") or period)
    validation = json.loads((work_dir / "validation.json").read_text(encoding="utf-8"))
    write_manifest(
        out / "manifest.json", period=period, parameters=parameters, input_files=data_dir,
        extra={"extract": metadata, "validation": published_validation(validation),
               "chapters": chapters_run,
               "edition": {k: facts.get(k) for k in ("id", "period", "cutoff", "known_at",
                                                     "published", "status")
                           if facts.get(k) is not None},
               "vintage": facts.get("vintage", {}),
               # Every file of the release (but this manifest): a published edition is checked
               # against them before a later one is built (cms_stats.editions).
               "outputs": {rel: d for rel, d in hash_files(out).items() if rel != "manifest.json"}})
    return stale


def _edition_metadata(period: str) -> dict:
    """The publication's metadata without the tables first published in a later edition."""
    meta = load_metadata()
    in_edition = set(load_registry().tables_in_edition(period))
    return {**meta, "tables": {k: v for k, v in meta["tables"].items() if k in in_edition}}


def _write_table_files(out: Path, work_dir: Path, period: str, facts: dict,
                       is_synthetic: bool) -> None:
    """The spreadsheet (xlsx and ODS), the CSV files and the revisions log (:data:`TABLE_OUTPUTS`)."""
    policy = load_policy()
    published = pd.read_parquet(work_dir / "published.parquet")
    revisions = None
    if (work_dir / "revisions.csv").is_file():
        shutil.copyfile(work_dir / "revisions.csv", out / "revisions.csv")
        revisions = pd.read_csv(work_dir / "revisions.csv", dtype=str, keep_default_na=False)
    # A table first published in a later edition is absent: not in the metadata either.
    meta = _edition_metadata(period)
    tables = publication_tables(published, policy, meta)
    lines = edition_lines(facts)
    write_spreadsheet(
        {k: v for k, v in tables.items() if k != "DQ"}, out / "tables.xlsx", period=period,
        is_synthetic=is_synthetic, revisions_log=revisions,
        quality=tables.get("DQ"), policy=policy, metadata=meta, edition_lines=lines)
    # The OpenDocument edition, cell for cell the same workbook (the GSS guidance prefers it).
    write_ods(out / "tables.xlsx", out / "tables.ods", title=meta["publication"]["title"],
              created=created_datetime(period))
    write_csv(published, out, policy, meta, edition=_csv_edition(facts, lines), period=period,
              is_synthetic=is_synthetic)


def _csv_edition(facts: dict, lines: list[str]) -> dict | None:
    if not facts.get("id"):
        return None
    return {"id": facts["id"], "period": facts.get("period"), "cutoff": facts.get("cutoff"),
            "known_at": facts.get("known_at"), "published": facts.get("published"),
            "next_edition": (facts.get("next") or {}).get("published_month_words"),
            "correction_of": (facts.get("correction") or {}).get("original_id"),
            "previous_editions": [{"id": p["id"], "published": p["published"],
                                   "csv": f"{p['href']}csv/"}
                                  for p in facts.get("previous_editions", [])],
            "notes": lines}


def screen_ahead(out: Path, earlier: Sequence[Path] = (),
                 later: Sequence[str] = ("book.pdf",), kept: Path | None = None,
                 screened: Path | None = None) -> dict:
    """The disclosure check of every file of ``out`` but ``later`` (still being written: the
    PDF), with the tables' audit: run while the PDF prints. :func:`check_disclosure` then
    screens only what was added or changed since.

    ``kept`` (a folder of the cache): the tables' audit is reused from there when the files it
    reads (``csv/`` and ``revisions.csv`` of this release and of the ``earlier`` ones) and the
    package are those it was computed from (:func:`cms_stats.release.kept.computed_or_reused`).

    ``screened`` (a folder of the cache): each file's screening is kept there with the file's
    SHA-256, and reused for a file of the same path and content when the screens are those it
    was screened with (:func:`_screen_kept`).

    Returns
    -------
    dict
        ``files`` (each file screened -> its size, modification time and inode then),
        ``problems`` (what the check found) and ``audit`` (``computed`` or ``reused``).
    """
    files = {rel: st for rel, st in _file_stats(out).items() if rel not in later}
    if screened is None:
        problems = check_release(out, load_policy(), earlier, files=files, audit=False)
        counts = {"screened": sum(map(is_screened, files)), "reused": 0}
    else:
        problems, counts = _screen_kept(out, files, screened)
    audited, reused = _audit(out, earlier, kept)
    return {"files": files, "problems": problems + audited, "screening": counts,
            "audit": "reused" if reused else "computed"}


def _screen_kept(out: Path, files: Sequence[str], kept: Path) -> tuple[list[str], dict]:
    """:func:`check_release`'s per-file screening of ``files`` (no audit), each file's problems
    reused from ``kept/screened.json`` when its path and SHA-256 are those it was screened
    with, under the same screens (:func:`screen_rules`: the contract's identifiers and column
    names, the policy) and the same package source, interpreter and libraries (as the kept
    tables, :func:`cms_stats.release.kept.stage_key`). Any other file is screened now.

    Returns
    -------
    tuple
        The problems (in :func:`check_release`'s order) and the counts ``screened`` (now) and
        ``reused``.
    """
    policy = load_policy()
    rules = {**screen_rules(policy),
             **{k: v for k, v in stage_key({}, {}).items() if k in ("source", "python",
                                                                     "libraries")}}
    record_path = kept / "screened.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    before = record.get("files", {}) if record.get("rules") == rules else {}
    digests = {rel: sha256_file(out / rel) for rel in files if is_screened(rel)}
    todo = [rel for rel, digest in digests.items()
            if not (isinstance(before.get(rel), list) and before[rel][0] == digest)]
    found = screen_files(out, todo, policy) if todo else {}
    now = {rel: [digest, found.get(rel, []) if rel in todo else before[rel][1]]
           for rel, digest in digests.items()}
    kept.mkdir(parents=True, exist_ok=True)
    atomic_write_text(record_path, json.dumps({"rules": rules, "files": now}))
    problems = [p for rel in sorted(now, key=Path) for p in now[rel][1]]
    return problems, {"screened": len(todo), "reused": len(digests) - len(todo)}


def _audit(out: Path, earlier: Sequence[Path], kept: Path | None) -> tuple[list[str], bool]:
    """The tables' audit (kept with the key of its inputs when ``kept``) and the table
    builder's comparison with the CSV files; whether the audit was reused."""
    if not (out / "csv").is_dir():
        return [], False
    policy = load_policy()

    def audit() -> list[str]:
        return audit_tables(out, policy, earlier)[0]

    if kept is None:
        found, stale = audit(), ["not kept"]
    else:
        inputs = {**folder_files("csv", out / "csv"), "revisions.csv": out / "revisions.csv"}
        for i, folder in enumerate(earlier):
            inputs.update(folder_files(f"earlier{i}/csv", Path(folder) / "csv"))
            inputs[f"earlier{i}/revisions.csv"] = Path(folder) / "revisions.csv"
        key = stage_key(inputs, {"earlier": [Path(f).name for f in earlier]})
        found, stale = computed_or_reused(kept, key, audit)
    return list(found) + explore_data_problems(out), not stale


def _file_stats(out: Path) -> dict[str, tuple[int, int, int]]:
    stats = {}
    for path in out.rglob("*"):
        if path.is_file():
            st = path.stat()
            stats[path.relative_to(out).as_posix()] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return stats


#: What the tables' audit and the table builder's comparison read (besides earlier editions).
_AUDITED = ("csv/", "revisions.csv", EXPLORE_DATA.as_posix())


def check_disclosure(out: Path, earlier: Sequence[Path] = (), ahead: dict | None = None) -> None:
    """Stop the release in one line when a reader of ``out`` (and of the ``earlier`` editions'
    release folders) can recover a withheld figure.

    With ``ahead`` (:func:`screen_ahead`, run while the PDF printed), only the files added or
    changed since are screened, and the tables' audit runs again only if a file it reads
    changed or went: every file of the release is screened as it is published.
    """
    if ahead is None:
        problems = check_release(out, load_policy(), earlier)
    else:
        now = _file_stats(out)
        changed = [rel for rel, st in now.items() if ahead["files"].get(rel) != st]
        gone = [rel for rel in ahead["files"] if rel not in now]
        audit = any(rel.startswith(_AUDITED) for rel in changed + gone)
        problems = ahead["problems"] + check_release(out, load_policy(), earlier, files=changed,
                                                     audit=False)
        if audit:  # a file the audit reads changed after the first pass: audited again
            problems += _audit(out, earlier, None)[0]
    if problems:
        raise ReleaseError(f"disclosure check failed: {problems[0]}"
                           + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
