"""What this process has already checked: a file read again is not checked again.

A release validates the whole folder and its measures then read the files again; a series of
editions does both for every edition in one measuring process (``editions.ahead``). Every
check of a file (its values and key, the contract's rules, the Total row of a workbook) and
its quarantine depend only on the folder's files, never on the cut-off (rows recorded later are
checked too, by design), so they are done once per file while the folder is unchanged: about a
quarter of the CPU time of an edition's validation and measures.

Kept per file: that it passed, its quarantined rows (their positions and the quarantine table,
a few rows), its absent optional columns and, for an MI workbook (parsed from XML, small), its
rows. The folder is identified by the path, size, modification and change times and inode of
every file it holds (:func:`folder_signature`): a file written since (a corrected extract, a
test corrupting one) changes the signature and every file is checked again; a file whose own
identity no longer matches the signature when it is read is checked, not remembered, and so
is a file changed in the last two seconds (:data:`SETTLED_NS`: a rewrite of the same size in
the same tick of a coarse file-system clock would keep its identity). A file that failed a
check is never remembered: it fails again, with the same line. The contract's file
description and identifier patterns are part of the key (tests change them).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .spec import ID_PATTERNS

__all__ = ["Checked", "folder_signature", "file_identity", "recall", "remember", "forget",
           "SETTLED_NS"]

#: Folders remembered at once (a series reads one; tests open many small ones).
_FOLDERS = 2
#: A file changed less than this long ago (its change time, in ns) is not remembered.
SETTLED_NS = 2_000_000_000
_MEMO: OrderedDict[tuple, dict] = OrderedDict()
_LOCK = threading.Lock()


def _spec_key(spec) -> str:
    return repr(spec) + repr(sorted(ID_PATTERNS.items()))


@dataclass(frozen=True)
class Checked:
    """A file that passed every check: what its re-read needs."""

    identity: tuple
    spec: str
    taken: np.ndarray  # positions of the quarantined rows (sorted)
    quarantine: pd.DataFrame
    absent: tuple[str, ...]
    table: pa.Table | None = None  # an MI workbook's rows as read (parquet files are re-read)
    total: tuple | None = None  # an MI workbook's Total row (values, data index)

    def apply(self, table: pa.Table) -> tuple[pa.Table, pd.DataFrame]:
        """``(rows used, quarantine table)`` as :func:`~cms_stats.extracts.quarantine.apply_quarantine`
        gave them when the file was checked."""
        if not self.taken.size:
            return table, self.quarantine.copy()
        keep = np.ones(table.num_rows, dtype=bool)
        keep[self.taken] = False
        return table.filter(pa.array(keep)), self.quarantine.copy()


def file_identity(path: Path) -> tuple | None:
    """What identifies a file's content without reading it.

    Parameters
    ----------
    path : Path

    Returns
    -------
    tuple or None
        Size, modification and change times (ns) and inode; None when it cannot be read.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def folder_signature(path: Path, files: list[str]) -> tuple:
    """The identity of a folder's files.

    Parameters
    ----------
    path : Path
        The extract folder.
    files : list of str
        Its files (relative paths); ``extract.json`` is added.

    Returns
    -------
    tuple
        ``(resolved folder, ((file, file_identity), ...))``: equal only while no file changed.
    """
    return (str(Path(path).resolve()),
            tuple((rel, file_identity(Path(path) / rel)) for rel in ["extract.json", *files]))


def recall(signature: tuple, rel: str, spec) -> Checked | None:
    """What was kept of a file that passed its checks in the folder as it is now.

    Parameters
    ----------
    signature : tuple
        :func:`folder_signature` of the folder, taken when it was opened.
    rel : str
        The file, relative to the folder.
    spec : FileSpec
        Its description in the contract as it is now.

    Returns
    -------
    Checked or None
        None when the file was not checked in this folder as it is, under this contract.
    """
    with _LOCK:
        entry = _MEMO.get(signature, {}).get(rel)
        if entry is None or entry.spec != _spec_key(spec):
            return None
        _MEMO.move_to_end(signature)
    if entry.identity != file_identity(Path(signature[0]) / rel):
        return None
    return entry


def remember(signature: tuple, rel: str, spec, identity: tuple | None, taken: np.ndarray,
             quarantine: pd.DataFrame, absent, table: pa.Table | None = None,
             total: tuple | None = None) -> None:
    """Keep a file that passed every check.

    Parameters
    ----------
    signature, rel, spec
        As for :func:`recall`.
    identity : tuple
        :func:`file_identity` of the file taken before it was read: a file changed since the
        signature was taken, while it was read, or in the last :data:`SETTLED_NS`, is not kept.
    taken : ndarray
        Positions (0-based) of its quarantined rows.
    quarantine : DataFrame
        Its quarantine table.
    absent : list of str
        Its absent optional columns.
    table, total : optional
        An MI workbook's rows as read and its Total row.
    """
    if identity is None or identity != dict(signature[1]).get(rel):
        return
    if identity != file_identity(Path(signature[0]) / rel):  # written while being read
        return
    if time.time_ns() - max(identity[1], identity[2]) < SETTLED_NS:
        return
    entry = Checked(identity=identity, spec=_spec_key(spec), taken=np.asarray(taken, dtype=np.int64),
                    quarantine=quarantine.copy(), absent=tuple(absent), table=table, total=total)
    with _LOCK:
        files = _MEMO.setdefault(signature, {})
        _MEMO.move_to_end(signature)
        while len(_MEMO) > _FOLDERS:
            _MEMO.popitem(last=False)
        files[rel] = entry


def forget() -> None:
    """Forget every file checked (tests; a process that wants every file checked again)."""
    with _LOCK:
        _MEMO.clear()
