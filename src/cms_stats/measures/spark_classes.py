"""Spark's classes archived once, so that every later Spark JVM starts quicker (``make test``).

A Spark session spends most of its start, and much of its first queries, finding, reading and
verifying thousands of classes from Spark's jars. The JVM's class data sharing keeps them
ready in one file that later JVMs map: a run of the measures on Spark over a small generated
folder (six months, every family: every kind of query they make) archives the classes it
loaded when its JVM exits (``-XX:ArchiveClassesAtExit``), and
:func:`.spark_jvm.spark_java_options` hands the archive to every Spark session after it.

The archive belongs to the environment and is named by what it was made from
(:func:`.spark_jvm.spark_class_key`: PySpark's jars and the JVM), so an environment changed since
has none until this writes its own. It is written aside and moved into place whole, its size
recorded beside it (:func:`.spark_jvm.usable_class_archive`). No figure depends on it: with
``--if-missing`` (``make test``) a failure is one warning line and Spark runs without it.

    python -m cms_stats.measures.spark_classes [--if-missing]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cms_stats.extracts import open_extracts
from cms_stats.files import pid_alive
from cms_stats.measures.compute import compute_all
from cms_stats.measures.spark_jvm import (SPARK_ARCHIVE_AT_EXIT, spark_class_archive,
                                          usable_class_archive)
from cms_stats.synthetic import generate

__all__ = ["write_archive", "archive_if_missing"]

#: The folder the archiving run measures: small, and long enough for a quarter's families.
_SCALE, _START, _END = 0.02, "2013-08", "2014-01"
#: The archiving run takes about 72 s on two shared cores; beyond this it is stopped.
_TIMEOUT_S = 900


def write_archive(path: Path | None = None) -> Path:
    """Run the measures on Spark once, in a process of its own (local mode), and keep the
    classes its JVM loaded.

    Parameters
    ----------
    path : pathlib.Path, optional
        The archive; default :func:`.spark_jvm.spark_class_archive`. Written as a ``.part`` file
        beside it, moved into place whole, then its size recorded in ``<name>.json``.

    Returns
    -------
    pathlib.Path
        The archive written.

    Raises
    ------
    RuntimeError
        The run failed or its JVM wrote no archive: one line, with the run's last words.
    """
    path = Path(path or spark_class_archive())
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="cms-spark-classes-") as tmp:
            data = generate(Path(tmp) / "extracts", seed=1, scale=_SCALE, start=_START, end=_END)
            env = {**os.environ, SPARK_ARCHIVE_AT_EXIT: str(part), "CMS_STATS_ENGINE": "spark",
                   "CMS_STATS_SPARK_MASTER": "local[2]"}
            try:
                done = subprocess.run([sys.executable, "-m", "cms_stats.measures.spark_classes",
                                       "--run", str(data)], env=env, capture_output=True,
                                      text=True, timeout=_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"archiving Spark's classes into {path} failed: the Spark run "
                                   f"took over {_TIMEOUT_S} s") from None
        if done.returncode != 0 or not part.is_file():
            words = [(out.strip().splitlines() or [""])[-1] for out in (done.stdout, done.stderr)]
            said = " / ".join(w for w in words if w) or "no archive written"
            raise RuntimeError(f"archiving Spark's classes into {path} failed: {said}")
        os.replace(part, path)
        path.with_name(path.name + ".json").write_text(
            json.dumps({"bytes": path.stat().st_size}), encoding="utf-8")
    finally:
        part.unlink(missing_ok=True)
    return path


def _sweep(keep: Path) -> None:
    """Remove the archives of an environment as it was (other keys: about 160 MB each) and the
    ``.part`` files of archiving runs no longer running (a run stopped by Ctrl-C: its JVM
    writes the file after the run's own clean-up)."""
    for old in keep.parent.glob("spark-classes-*.jsa*"):
        if not old.name.startswith(keep.name):
            old.unlink(missing_ok=True)
    for part in keep.parent.glob(".spark-classes-*.part"):
        pid = part.name.rsplit(".", 2)[-2]
        if not (pid.isdigit() and pid_alive(int(pid))):
            part.unlink(missing_ok=True)


def archive_if_missing() -> str:
    """The environment's archive, written when it has no usable one (``make test``); never
    raises.

    Returns
    -------
    str
        One line: the archive kept or written, or a warning naming why there is none (Spark
        then runs without it).
    """
    try:
        path = spark_class_archive()
        if usable_class_archive(path):
            return f"Spark's classes archived: {path}"
        _sweep(path)
        return f"archived Spark's classes: {write_archive(path)}"
    except Exception as error:  # only a speed-up: setup goes on, and says why in one line
        reason = " ".join(str(error).split()) or type(error).__name__
        return f"warning: Spark sessions start without a class archive: {reason}"


def _run(data: str) -> None:
    folder = open_extracts(data)
    compute_all(folder, folder.months[-1], engine="spark")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-missing", action="store_true",
                        help="only when the environment has no usable archive; a failure is a "
                             "warning line, not an error")
    parser.add_argument("--run", metavar="DATA_DIR", help=argparse.SUPPRESS)  # the archiving process
    args = parser.parse_args(argv)
    if args.run:
        _run(args.run)
        return 0
    if args.if_missing:
        print(archive_if_missing())
        return 0
    try:
        path = spark_class_archive()
        _sweep(path)
        print(f"archived Spark's classes: {write_archive(path)}")
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
