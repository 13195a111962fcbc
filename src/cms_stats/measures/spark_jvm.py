"""The Spark driver's JVM: its options, and the archive of Spark's classes it may map.

The archive (class data sharing) is written by :mod:`.spark_classes`; this module says where it
lives, what it was made from and whether a JVM may map it, with nothing heavier than the
standard library, so that the engine can ask before every Spark session.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

__all__ = ["SPARK_ARCHIVE_AT_EXIT", "spark_class_key", "spark_class_archive",
           "usable_class_archive", "spark_java_options"]

#: Set (to a file) by :mod:`.spark_classes` alone: the Spark JVM of that process archives the
#: classes it loaded into the file when it exits.
SPARK_ARCHIVE_AT_EXIT = "CMS_STATS_SPARK_ARCHIVE_AT_EXIT"
_QUIET_CDS = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def _spark_java() -> Path | None:
    """The java PySpark starts (``JAVA_HOME``'s, else the one on the path), links resolved."""
    home = os.environ.get("JAVA_HOME")
    java = Path(home) / "bin" / "java" if home else shutil.which("java")
    return Path(java).resolve() if java and Path(java).exists() else None


def spark_class_key() -> str:
    """What a class archive was made from: PySpark's version and every one of its jars (name,
    size, modification time), and the JVM (its path and its class image, ``lib/modules``).

    A JVM refuses an archive whose jars or JDK changed since (a pip reinstall, a Debian
    upgrade), and a refused archive is only time lost: an archive is named by this key, so a
    changed environment has none until ``make test`` (or ``python -m
    cms_stats.measures.spark_classes``) writes its own.

    Returns
    -------
    str
        16 hexadecimal digits.
    """
    spec = importlib.util.find_spec("pyspark")
    jars = Path(list(spec.submodule_search_locations)[0]) / "jars" if spec else None
    parts = [f"pyspark {version('pyspark') if spec else None}"]
    for jar in sorted(jars.glob("*.jar")) if jars and jars.is_dir() else []:
        st = jar.stat()
        parts.append(f"{jar.name} {st.st_size} {st.st_mtime_ns}")
    java = _spark_java()
    image = java.parent.parent / "lib" / "modules" if java else None
    parts.append(f"java {java}")
    if image is not None and image.is_file():
        parts.append(f"modules {image.stat().st_size} {image.stat().st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def spark_class_archive() -> Path:
    """Where the classes a Spark run of the measures loads are archived (class data sharing,
    :mod:`.spark_classes`): in the environment whose PySpark jars they are, named by
    :func:`spark_class_key`; beside it ``<name>.json`` records its size once it is whole.

    Returns
    -------
    pathlib.Path
        ``<environment>/share/cms-stats/spark-classes-<key>.jsa``.
    """
    return Path(sys.prefix) / "share" / "cms-stats" / f"spark-classes-{spark_class_key()}.jsa"


def usable_class_archive(archive: Path) -> bool:
    """An archive a JVM may map: whole (its size the one recorded when it was moved into place:
    a JVM mapping a cut-short archive crashes, tried) and at a path without white space (Spark
    splits the JVM's options on it)."""
    try:
        recorded = json.loads(archive.with_name(archive.name + ".json").read_text(encoding="utf-8"))
        whole = archive.stat().st_size == recorded["bytes"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return whole and not re.search(r"\s", str(archive))


def spark_java_options() -> str:
    """The Spark driver's JVM options: the serial collector and the quick compiler (a local
    JVM of a few minutes, on two cores), and the class archive when there is a usable one.

    With the archive the JVM maps Spark's classes from one file instead of finding, reading
    and verifying each of them again: the session starts in about 4 s instead of 8.5 (DESIGN.md,
    "Spark's classes archived"). The archive is named by what it was made from
    (:func:`spark_class_key`), and the JVM checks it too; the JVM's words about it are
    silenced, as the archive changes no result, only time.

    Returns
    -------
    str
        The options, separated by spaces.
    """
    options = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
    at_exit = os.environ.get(SPARK_ARCHIVE_AT_EXIT)
    if at_exit:  # the archiving run: its JVM's words on the archive are kept
        return f"{options} -XX:ArchiveClassesAtExit={at_exit}"
    archive = spark_class_archive()
    if usable_class_archive(archive):
        return f"{options} -XX:SharedArchiveFile={archive} {_QUIET_CDS}"
    return options
