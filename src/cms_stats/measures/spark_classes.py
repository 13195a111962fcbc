"""Spark's classes archived once, so that every later Spark JVM starts quicker (``make setup``).

A Spark session spends most of its start, and much of its first queries, finding, reading and
verifying thousands of classes from Spark's jars. The JVM's class data sharing keeps them
ready in one file that later JVMs map: a run of the measures on Spark over a small generated
folder (six months: every kind of query the families make) archives the classes it loaded
when its JVM exits (``-XX:ArchiveClassesAtExit``), and :func:`.engine.spark_java_options`
hands the archive to every Spark session after it. The file is written aside and moved into
place whole; it belongs to the environment (:func:`.engine.spark_class_archive`), so ``make
setup`` writes it again when the lock changes PySpark. No figure depends on it.

    python -m cms_stats.measures.spark_classes
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cms_stats.extracts import open_extracts
from cms_stats.measures.compute import compute_all
from cms_stats.measures.engine import SPARK_ARCHIVE_AT_EXIT, spark_class_archive
from cms_stats.synthetic import generate

__all__ = ["write_archive"]

#: The folder the archiving run measures: small, and long enough for a quarter's families.
_SCALE, _START, _END = 0.02, "2013-08", "2014-01"


def write_archive(path: Path | None = None) -> Path:
    """Run the measures on Spark once, in a process of its own, and keep the classes its JVM
    loaded in ``path`` (default :func:`.engine.spark_class_archive`).

    Raises
    ------
    RuntimeError
        The run failed, or its JVM wrote no archive (one line, with the run's last words).
    """
    path = Path(path or spark_class_archive())
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="cms-spark-classes-") as tmp:
            data = generate(Path(tmp) / "extracts", seed=1, scale=_SCALE, start=_START, end=_END)
            env = {**os.environ, SPARK_ARCHIVE_AT_EXIT: str(part), "CMS_STATS_ENGINE": "spark"}
            done = subprocess.run([sys.executable, "-m", "cms_stats.measures.spark_classes",
                                   "--run", str(data)], env=env, capture_output=True, text=True)
        if done.returncode != 0 or not part.is_file():
            last = (done.stderr.strip().splitlines() or ["no archive written"])[-1]
            raise RuntimeError(f"archiving Spark's classes into {path} failed: {last}")
        os.replace(part, path)
        for stale in path.parent.glob("spark-classes-*.jsa"):  # another PySpark's, 160 MB each
            if stale != path and path == spark_class_archive():
                stale.unlink()
    finally:
        part.unlink(missing_ok=True)
    return path


def _run(data: str) -> None:
    folder = open_extracts(data)
    compute_all(folder, folder.months[-1], engine="spark")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", metavar="DATA_DIR", help=argparse.SUPPRESS)  # the archiving process
    args = parser.parse_args(argv)
    if args.run:
        _run(args.run)
        return 0
    try:
        print(f"archived Spark's classes: {write_archive()}")
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
