"""Output files of a release stage kept in the cache with the key of their inputs.

A release whose stage inputs are what they were when the files were written copies the kept
files instead of writing them again: the spreadsheet (xlsx and ODS), the CSV files and the
revisions log take about 7 CPU seconds to write and depend on the working files, the edition's
facts and the package's code, never on a chapter's prose, so a narrative-only rebuild copies
them. The key is as strong as the chapter cache's: everything the writer reads is hashed (the
working files it reads, its parameters, every file of the ``cms_stats`` package including
``resources/``, the interpreter and the versions of the libraries that write the files).

Kept in ``<cache>/<stage>/``: ``key.json`` and ``files/`` (the outputs, under their paths in
the release). The key is written last and removed first, so an interrupted write leaves no key
that matches. The key record also names every kept file with its SHA-256 (``kept``); a reuse
checks them first, so a kept file deleted, edited or added in the cache since is never copied
into a release: the outputs are written afresh and the reason given (``kept file changed:
tables.xlsx``).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cms_stats import paths
from cms_stats.files import combine_hashes, copy_path, hash_files, sha256_file
from cms_stats.publish.manifest import package_versions

__all__ = ["stage_key", "stale_inputs", "kept_changes", "write_or_reuse", "computed_or_reused",
           "folder_files"]

#: The libraries that write a stage's files or compute its result (scipy: the audit's
#: linear programmes): a new version may give other bytes.
_WRITERS = ("pandas", "pyarrow", "gptables", "XlsxWriter", "openpyxl", "odfpy", "numpy", "scipy")


def stage_key(files: dict[str, Path], parameters: dict) -> dict[str, object]:
    """The key of a stage's outputs: one entry per part that can change them.

    Parameters
    ----------
    files : dict of str to Path
        The input files the stage reads (name -> path); an absent file is keyed as absent.
    parameters : dict
        Everything else the stage is given (JSON-serialisable).

    Returns
    -------
    dict
        ``files`` (name -> SHA-256 or ``"absent"``), ``parameters``, ``source`` (the hash of
        every file of the ``cms_stats`` package, ``resources/`` included), ``python`` and
        ``libraries`` (the versions of the libraries that write the files).
    """
    return {
        "files": {name: sha256_file(path) if path.is_file() else "absent"
                  for name, path in sorted(files.items())},
        "parameters": json.loads(json.dumps(parameters, sort_keys=True, default=str)),
        "source": combine_hashes(hash_files(paths.PACKAGE_DIR.resolve())),
        "python": sys.version,
        "libraries": package_versions(_WRITERS),
    }


def stale_inputs(kept: Path, key: dict) -> list[str]:
    """Which parts of ``key`` differ from the key kept in ``kept`` (``["not kept"]`` when
    nothing usable is kept)."""
    try:
        old = json.loads((kept / "key.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ["not kept"]
    if not ((kept / "files").is_dir() or (kept / "result.json").is_file()):
        return ["not kept"]
    return [part for part, value in key.items() if old.get(part) != value]


def _kept_hashes(kept: Path) -> dict[str, str]:
    """SHA-256 of every file kept in ``kept`` (``files/...`` and ``result.json``), by path."""
    found = {p.relative_to(kept).as_posix(): sha256_file(p)
             for p in sorted((kept / "files").rglob("*")) if p.is_file()}
    if (kept / "result.json").is_file():
        found["result.json"] = sha256_file(kept / "result.json")
    return found


def kept_changes(kept: Path) -> list[str]:
    """How the files kept in ``kept`` differ from those its key record names (empty: every
    recorded file is there with its recorded SHA-256, and no other file is).

    Returns
    -------
    list of str
        One reason per file: ``kept file changed: <path>``, ``kept file missing: <path>`` or
        ``kept file not recorded: <path>`` (paths as in the release, ``result.json`` for a
        result), or ``["kept files not recorded"]`` for a key record without the list.
    """
    try:
        recorded = json.loads((kept / "key.json").read_text(encoding="utf-8"))["kept"]
    except (OSError, ValueError, KeyError, TypeError):
        return ["kept files not recorded"]
    found = _kept_hashes(kept)
    reasons = []
    for rel in sorted(set(recorded) | set(found)):
        what = ("missing" if rel not in found else "not recorded" if rel not in recorded
                else "changed" if found[rel] != recorded[rel] else None)
        if what:
            reasons.append(f"kept file {what}: {rel.removeprefix('files/')}")
    return reasons


def _write_key(kept: Path, key: dict) -> None:
    """The key record, with the kept files' SHA-256 (``kept``); written last."""
    record = {**key, "kept": _kept_hashes(kept)}
    (kept / "key.json").write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")


def write_or_reuse(out: Path, kept: Path, key: dict, outputs: Sequence[str],
                   write: Callable[[], None]) -> list[str]:
    """Put a stage's ``outputs`` (paths relative to ``out``, files or folders) into ``out``:
    copied from ``kept`` when its key equals ``key``, else written by ``write()`` and kept.

    Parameters
    ----------
    out : Path
        The release folder being built.
    kept : Path
        The stage's folder in the cache (``<cache>/<stage>``).
    key : dict
        :func:`stage_key` of this release's inputs.
    outputs : sequence of str
        What the stage writes into ``out``; an output the writer did not make is not kept
        (``revisions.csv`` without a previous edition).
    write : callable
        Writes the outputs into ``out``.

    Returns
    -------
    list of str
        The parts of the key that changed, or the kept files that are no longer as kept
        (:func:`kept_changes`); empty: the kept files were copied.
    """
    stale = stale_inputs(kept, key) or kept_changes(kept)
    if not stale:
        for rel in outputs:
            copy_path(kept / "files" / rel, out / rel)
        return []
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "key.json").unlink(missing_ok=True)
    write()
    shutil.rmtree(kept / "files", ignore_errors=True)
    for rel in outputs:
        copy_path(out / rel, kept / "files" / rel)
    _write_key(kept, key)
    return stale


def computed_or_reused(kept: Path, key: dict, compute: Callable[[], object]) -> tuple[object, list[str]]:
    """A stage's JSON result: read from ``kept`` when its key equals ``key``, else computed by
    ``compute()`` and kept (the key removed first, written last).

    Returns
    -------
    tuple
        The result, and the parts of the key that changed or the kept result's change
        (:func:`kept_changes`); empty: reused.
    """
    stale = stale_inputs(kept, key) or kept_changes(kept)
    if not stale:
        return json.loads((kept / "result.json").read_text(encoding="utf-8")), []
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "key.json").unlink(missing_ok=True)
    result = compute()
    (kept / "result.json").write_text(json.dumps(result), encoding="utf-8")
    _write_key(kept, key)
    return result, stale


def folder_files(name: str, folder: Path) -> dict[str, Path]:
    """Every file under ``folder``, named ``<name>/<relative path>`` (a :func:`stage_key` input
    that does not depend on where the folder is)."""
    return {f"{name}/{p.relative_to(folder).as_posix()}": p
            for p in sorted(folder.rglob("*")) if p.is_file()} if folder.is_dir() else {}
