"""Provenance: the release manifest (period, parameters, input hashes, versions, commit)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Mapping

from cms_stats.files import sha256_file
from cms_stats.paths import PROJECT_ROOT

KEY_PACKAGES = (
    "cms-stats",
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
    "jupyter-book",
    "papermill",
    "nbval",
    "jupytext",
    "gptables",
    "xlsxwriter",
    "afcharts",
    "pyarrow",
    "openpyxl",
    "pyyaml",
    # the measures engine (parameters' ``engine`` says which ran)
    "ibis-framework",
    "duckdb",
    "pyspark",
)


def _files_under(folder: Path) -> dict[str, Path]:
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            files[p.relative_to(folder).as_posix()] = p
    return files


def file_hashes(input_files: Mapping[str, str | Path] | str | Path) -> dict[str, str]:
    """Relative path -> SHA-256 of each input file (sorted by path).

    Parameters
    ----------
    input_files : mapping of str to path, or a folder
        A folder means every file under it (recursively), keyed by POSIX relative path.

    Returns
    -------
    dict of str to str
    """
    if isinstance(input_files, (str, Path)):
        folder = Path(input_files)
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder}: not a folder")
        input_files = _files_under(folder)
    return {rel: sha256_file(input_files[rel]) for rel in sorted(input_files)}


def hash_folder(data_dir: str | Path) -> str:
    """A stable combined hash of a folder: SHA-256 over every file's relative path and
    SHA-256, in sorted order. Independent of file times, the absolute location and the
    order the file system lists files in.

    Parameters
    ----------
    data_dir : str or Path

    Returns
    -------
    str
        64 lowercase hex characters.
    """
    combined = hashlib.sha256()
    for rel, digest in file_hashes(data_dir).items():
        combined.update(f"{rel}\0{digest}\n".encode("utf-8"))
    return combined.hexdigest()


def package_versions(packages: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    """Installed version of each package (``"not installed"`` when absent)."""
    out = {}
    for name in packages:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(root: str | Path = PROJECT_ROOT) -> str:
    """The current git commit of ``root``, or ``"unknown"`` outside git."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and len(commit) == 40 else "unknown"


def git_worktree_clean(root: str | Path = PROJECT_ROOT) -> bool | None:
    """Whether the tracked files of ``root`` match the commit (``None`` outside git).

    A release built from edited, uncommitted code cannot be traced to its commit alone; the
    manifest says so.
    """
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() == "" if result.returncode == 0 else None


def build_time() -> str:
    """UTC build time, ISO 8601; honours ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        if epoch and epoch.isdigit()
        else datetime.now(timezone.utc)
    )
    return when.replace(microsecond=0).isoformat()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def build_manifest(
    *,
    period: str,
    parameters: Mapping[str, Any],
    input_files: Mapping[str, str | Path] | str | Path,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """The manifest as a dict (see :func:`write_manifest`)."""
    hashes = file_hashes(input_files)
    combined = hashlib.sha256()
    for rel, digest in hashes.items():
        combined.update(f"{rel}\0{digest}\n".encode("utf-8"))
    manifest = {
        "period": period,
        "parameters": _jsonable(dict(parameters)),
        "inputs": {
            "combined_sha256": combined.hexdigest(),
            "files": [{"path": rel, "sha256": digest} for rel, digest in hashes.items()],
        },
        "environment": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "executable": Path(sys.executable).name,
            "packages": package_versions(),
        },
        "git_commit": git_commit(),
        "git_worktree_clean": git_worktree_clean(),
        "build_time": build_time(),
    }
    if extra:
        manifest["extra"] = _jsonable(dict(extra))
    return manifest


def write_manifest(
    path: str | Path,
    *,
    period: str,
    parameters: Mapping[str, Any],
    input_files: Mapping[str, str | Path] | str | Path,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json``: what was built, from what, with what.

    Parameters
    ----------
    path : str or Path
        The manifest file to write (usually ``<release>/manifest.json``).
    period : str
        The release period ``YYYY-MM``.
    parameters : mapping
        Every parameter of the build (paths are written as POSIX text).
    input_files : mapping of relative path to Path, or a data folder
        The inputs; each is listed with its SHA-256, plus a combined hash that equals
        :func:`hash_folder` when a folder is given.
    extra : mapping, optional
        Anything else worth recording (e.g. row counts, quarantine totals).

    Returns
    -------
    Path
        ``path``. The JSON has keys ``period``, ``parameters``, ``inputs``
        (``combined_sha256``, ``files``), ``environment`` (Python, platform and the
        versions of key packages), ``git_commit`` (or ``"unknown"``), ``build_time`` (UTC)
        and ``extra``.
    """
    path = Path(path)
    manifest = build_manifest(period=period, parameters=parameters, input_files=input_files, extra=extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path
