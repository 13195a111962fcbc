"""An event file checked in batches: validation's memory independent of the file's length.

The service requests of ten years are 45M rows; read whole to be checked they took 2.85 GB.
:func:`check_event` reads an event file (``EVENT_FILES``, ``OPTIONAL_FILES``) one batch of
rows at a time (:func:`batch_rows`, a Parquet row group by default) and keeps, of the rows,
only what the engine needs once the check has passed: the row count, the quarantined rows (a
few) and the rows not yet known at ``known_at`` (a count). Each batch's columns are
normalised and checked as a whole table's are, with its row numbers offset to the file's; the
file's rules (row by row) and its quarantine run on each batch; the key's uniqueness is
checked over the whole file in compact form (:mod:`.keys`): nothing kept while the keys come
in order, else 4 bytes a row (8 for a hashed key) for the check.

Bad input gives the same line as a check of the whole file: a batch stops at its first fault,
and the file's is the earliest in the whole-file order (the contract's columns in order, each
over every row; then the key; then the recording dates' rule; then the contract's rule; then
what the quarantine reads in other files), so a column failing in some batch is checked again
whole, alone, for its first fault; a rule's fault is the earliest batch's. A file that cannot be
read to its end is read whole, as before, for the same line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import checked
from .columns import check_column, check_table, key_checked
from .common import Ctx, unique_strings
from .contract import CONTRACT, EVENT_FILES, OPTIONAL_FILES
from .errors import ExtractError
from .keys import KeyOrder, check_unique
from .parquet import open_parquet
from .quarantine import apply_quarantine, empty_quarantine
from .rules import FILE_RULES
from .vintage import RECORDED, as_known_at, check_vintage_rules

if TYPE_CHECKING:
    import datetime as dt

    from .folder import ExtractFolder

__all__ = ["BATCH_ROWS_SETTING", "batch_rows", "check_event", "rows_not_yet_known"]

#: The environment variable setting the rows checked at a time.
BATCH_ROWS_SETTING = "CMS_STATS_VALIDATION_BATCH_ROWS"
_DEFAULT_BATCH_ROWS = 1 << 20  # the Parquet writer's row group


def batch_rows() -> int:
    """Rows of an event file checked at a time: ``CMS_STATS_VALIDATION_BATCH_ROWS``, else
    1,048,576 (a row group as pyarrow writes them). The results do not depend on it."""
    value = os.environ.get(BATCH_ROWS_SETTING, "").strip()
    if not value:
        return _DEFAULT_BATCH_ROWS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{BATCH_ROWS_SETTING} must be a whole number of rows (1 or more), got {value!r}")
    return int(value)


def check_event(folder: ExtractFolder, key: str) -> None:
    """Check an event file, keeping on the folder its bookkeeping, not its rows.

    The rows in, quarantined and not yet known at the folder's ``known_at`` are what
    ``ExtractFolder._load`` records; the file is remembered as checked (:mod:`.checked`). A
    file this process has already checked is not checked again: only its recording dates are
    read, to count the rows not yet known.

    Parameters
    ----------
    folder : ExtractFolder
    key : str
        An event file of the contract that the folder holds.

    Raises
    ------
    ExtractError
        The file fails a check (one line naming file, column and row).
    """
    if key not in (*EVENT_FILES, *OPTIONAL_FILES):
        raise ValueError(f"not an event file: {key!r}")
    spec = CONTRACT[key]
    path = folder.path / spec.path
    if folder._signature is None:
        folder._signature = checked.folder_signature(folder.path, folder.files())
    remembered = checked.recall(folder._signature, spec.path, spec)
    if remembered is not None:
        recorded_by = folder.known_at if RECORDED not in remembered.absent else None
        _keep(folder, spec.path, pq.ParquetFile(path).metadata.num_rows, remembered.quarantine,
              remembered.absent, rows_not_yet_known(path, key, remembered.taken, recorded_by))
        return
    identity = checked.file_identity(path)
    ctx = Ctx(spec.path, row_base=1)
    found = _check_batches(folder, key, path, ctx)
    if found is None:  # a batch could not be read: the whole file is, for the same line
        folder._load(key, count_only=True)
        return
    rows, quarantine, not_yet_known = found
    checked.remember(folder._signature, spec.path, spec, identity,
                     quarantine["row"].to_numpy() - ctx.row_base, quarantine, ctx.absent)
    _keep(folder, spec.path, rows, quarantine, ctx.absent, not_yet_known)


def _keep(folder: ExtractFolder, rel: str, rows: int, quarantine: pd.DataFrame, absent,
          not_yet_known: int) -> None:
    folder._rows_in[rel] = rows
    folder._quarantine[rel] = quarantine.copy()
    folder._absent[rel] = list(absent)
    folder._not_yet_known[rel] = not_yet_known
    folder._superseded[rel] = 0


def _check_batches(folder: ExtractFolder, key: str, path: Path,
                   ctx: Ctx) -> tuple[int, pd.DataFrame, int] | None:
    """``(rows, quarantine, rows not yet known)`` of a file checked batch by batch; None when
    a batch cannot be read."""
    spec = CONTRACT[key]
    pf, names = open_parquet(path, spec, ctx)
    size = batch_rows()
    keyed = key_checked(spec, ctx)
    order = KeyOrder()
    column_fault: tuple[int, ExtractError] | None = None  # earliest column, earliest batch
    rule_fault: tuple[int, ExtractError] | None = None  # (0 recording dates | 1 contract rule)
    other_file_fault: ExtractError | None = None  # what the quarantine reads elsewhere
    pieces, not_yet_known, start = [], 0, 0
    batches = pf.iter_batches(batch_size=size, columns=names)
    while True:
        try:
            batch = next(batches, None)
        except Exception:  # damaged past its footer: pyarrow raises several types
            return None
        if batch is None:
            break
        bctx = Ctx(ctx.rel, row_base=ctx.row_base + start, month=ctx.month)
        bctx.absent = list(ctx.absent)
        start += batch.num_rows
        try:
            table = check_table(pa.Table.from_batches([batch]), spec, bctx, key=False)
        except ExtractError as exc:
            index = spec.column_names.index(exc.column)
            if column_fault is None or index < column_fault[0]:
                column_fault = (index, exc)
            continue
        if column_fault is not None:
            continue  # only an earlier column's fault could come first now
        if keyed:
            order.add(table.column(spec.primary_key[0]))
        rule_fault = _rule_fault(table, spec, bctx, folder, rule_fault)
        if rule_fault is not None or other_file_fault is not None:
            continue
        try:
            _prepare_quarantine(folder, key, pf, ctx, size)
        except ExtractError as exc:
            other_file_fault = exc
            continue
        used, quarantine = apply_quarantine(table, spec, bctx, folder)
        if len(quarantine):
            pieces.append(quarantine)
        not_yet_known += as_known_at(used, spec, bctx, folder.known_at, count_only=True)[1]
        del table, used
        pa.default_memory_pool().release_unused()  # a batch's pages back, not kept for the next
    if column_fault is not None:
        col = spec.columns[column_fault[0]]
        check_column(pf.read(columns=[col.name]).column(col.name), col, ctx)  # its first fault
        raise column_fault[1]  # pragma: no cover - a column's checks are row by row
    if keyed and not order.increasing:
        check_unique(pf, spec.column(spec.primary_key[0]), ctx, size)
    for fault in (rule_fault and rule_fault[1], other_file_fault):
        if fault is not None:
            raise fault
    quarantine = pd.concat(pieces, ignore_index=True) if pieces else empty_quarantine()
    return pf.metadata.num_rows, quarantine, not_yet_known


def _rule_fault(table: pa.Table, spec, ctx: Ctx, folder: ExtractFolder,
                fault: tuple[int, ExtractError] | None) -> tuple[int, ExtractError] | None:
    """The file's first rule fault so far: the recording dates' rule before the contract's
    rule (an event file's is one check), an earlier batch before a later one."""
    if fault is not None and fault[0] == 0:
        return fault
    try:
        check_vintage_rules(table, spec, ctx, folder.months[-1])
    except ExtractError as exc:
        return (0, exc)
    rule = FILE_RULES.get(spec.key)
    if fault is None and rule is not None:
        try:
            rule(table, ctx, folder)
        except ExtractError as exc:
            return (1, exc)
    return fault


def _prepare_quarantine(folder: ExtractFolder, key: str, pf: pq.ParquetFile, ctx: Ctx, size: int) -> None:
    """Before a batch's quarantine: the payments' rule asks for every case_id of the file
    among the snapshots' at once (the folder keeps the answer, :func:`validate` sets it)."""
    if key != "payments" or folder._case_ids is not None:
        return
    col = CONTRACT[key].column("case_id")
    parts = [pc.unique(check_column(pa.chunked_array([b.column(0)]), col, ctx, check=False))
             for b in pf.iter_batches(batch_size=size, columns=[col.name])]
    folder._snapshot_case_ids(unique_strings(parts))


def rows_not_yet_known(path: Path, key: str, taken: np.ndarray, recorded_by: dt.date | None) -> int:
    """The rows of a checked event file, less the quarantined ones, recorded after ``recorded_by``.

    Parameters
    ----------
    path : Path
        The file (it passed its checks).
    key : str
        Its key in the contract.
    taken : ndarray of int64
        Positions of its quarantined rows (sorted).
    recorded_by : datetime.date or None
        The cut-off (None: nothing is left out; so too for a file without ``recorded_date``).

    Returns
    -------
    int
        Read one batch of ``recorded_date`` at a time.
    """
    spec = CONTRACT[key]
    if recorded_by is None or RECORDED not in spec.column_names:
        return 0
    col = spec.column(RECORDED)
    ctx = Ctx(spec.path)
    out, start = 0, 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows(), columns=[RECORDED]):
        n = batch.num_rows
        keep = np.ones(n, dtype=bool)
        keep[taken[(taken >= start) & (taken < start + n)] - start] = False
        days = check_column(pa.chunked_array([batch.column(0)]), col, ctx, check=False).filter(pa.array(keep))
        known = pc.sum(pc.less_equal(days, pa.scalar(recorded_by, pa.date32()))).as_py() or 0
        out += len(days) - known
        start += n
    return out
