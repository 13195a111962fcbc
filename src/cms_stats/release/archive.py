"""The "all the data" archive of a release: the PDF, the spreadsheet (xlsx and ods), the CSV
files with their metadata and the revisions log, in one ZIP beside them.

Written byte for byte the same from the same files: members in sorted order, each dated with
the release's build date (``SOURCE_DATE_EPOCH``, an edition's publication date; else the ZIP
epoch) and the same permissions, so a rebuilt edition's archive is identical.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

from cms_stats.book.downloads import ARCHIVE_FILES, archive_name

__all__ = ["write_data_archive"]


def _stamp() -> tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        t = dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
        return (t.year, t.month, t.day, t.hour, t.minute, t.second)
    return (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP member can carry


def write_data_archive(release_dir: Path, release: str) -> Path:
    """Write ``cms-statistics-<release>.zip`` into ``release_dir`` from its files.

    Parameters
    ----------
    release_dir : Path
        The release folder being written (the PDF, spreadsheet and CSV already in it).
    release : str
        The release's name (period, or issue id in the editions site).

    Returns
    -------
    Path
        The archive. Its members are the release's own files under the same relative paths.
    """
    members = []
    for name in ARCHIVE_FILES:
        path = release_dir / name
        if path.is_dir():
            members += sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            members.append(path)
    target = release_dir / archive_name(release)
    stamp = _stamp()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(members, key=lambda p: p.relative_to(release_dir).as_posix()):
            info = zipfile.ZipInfo(path.relative_to(release_dir).as_posix(), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return target
