"""The key's uniqueness over a file checked in batches (:mod:`.streamed`), in compact form.

While the keys met batch by batch are strictly increasing (extracts are written in key
order) they are unique and nothing is kept but the last one (:class:`KeyOrder`). Otherwise
:func:`check_unique` reads the key column again, one batch at a time, as one number a row: a
fixed-width identifier (``C[0-9]{8}``) as its digits, any other as a 64-bit hash; the numbers
are sorted in place and a number met twice is a candidate, re-checked on the exact text in a
last read of the column. The error names the first row repeating an earlier one, and that
earlier row, as the check of a whole table does (:func:`.columns.check_table`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .columns import FIXED_ID, check_column
from .common import Ctx, fmt
from .contract import Column

__all__ = ["KeyOrder", "KeySet", "check_unique", "key_codes"]


class KeyOrder:
    """Whether the keys of a file, met batch by batch in file order, are strictly increasing."""

    def __init__(self) -> None:
        self.increasing = True
        self._last: str | None = None

    def add(self, keys: pa.ChunkedArray) -> None:
        """The next batch's keys (checked text, no nulls)."""
        if not self.increasing or len(keys) == 0:
            return
        flat = keys.combine_chunks() if keys.num_chunks > 1 else keys.chunk(0)
        if self._last is not None and not flat[0].as_py() > self._last:
            self.increasing = False
        elif len(flat) > 1 and not pc.all(pc.greater(flat[1:], flat[:-1])).as_py():
            self.increasing = False
        else:
            self._last = flat[-1].as_py()


class KeySet:
    """Distinct identifiers held compactly: a fixed-width identifier as its digits, sorted (4
    bytes for up to nine digits, where its text takes 13); any other as its text.

    Parameters
    ----------
    ids : pyarrow.ChunkedArray
        Checked identifiers of ``col`` (text matching its pattern, no nulls).
    col : Column
        Their column in the contract.
    """

    def __init__(self, ids: pa.ChunkedArray, col: Column) -> None:
        self._col = col
        self._fixed = _fixed_width(col) is not None
        self._values = np.unique(key_codes(ids, col)) if self._fixed else pc.unique(ids)

    def __len__(self) -> int:
        return len(self._values)

    def contains(self, ids: pa.ChunkedArray) -> pa.Array:
        """Whether each of ``ids`` (checked identifiers of the same column) is in the set."""
        if not self._fixed:
            return pc.is_in(ids, value_set=self._values)
        return pa.array(np.isin(key_codes(ids, self._col), self._values))


def _fixed_width(col: Column) -> int | None:
    """The digits of a fixed-width identifier (at most 18), or None."""
    m = FIXED_ID.match(col.pattern or "")
    return int(m.group(2)) if m is not None and int(m.group(2)) <= 18 else None


def key_codes(keys: pa.ChunkedArray, col: Column) -> np.ndarray:
    """One number a key: equal keys, equal numbers.

    Parameters
    ----------
    keys : pyarrow.ChunkedArray
        Checked identifiers (text matching the column's pattern, no nulls).
    col : Column
        Their column in the contract.

    Returns
    -------
    numpy.ndarray
        A fixed-width identifier's digits (``uint32`` up to nine digits, else ``int64``):
        distinct keys, distinct numbers; any other identifier's 64-bit hash (``uint64``),
        where distinct keys may share a number.
    """
    digits = _fixed_width(col)
    if digits is None:
        return pd.util.hash_array(np.asarray(keys.to_pylist(), dtype=object))
    out = np.zeros(len(keys), dtype=np.uint32 if digits <= 9 else np.int64)
    start = 0
    for chunk in keys.chunks:
        n = len(chunk)
        if n:
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset: chunk.offset + n + 1]
            data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]].reshape(n, digits + 1)
            part = out[start: start + n]
            for d in range(1, digits + 1):
                part *= 10
                part += data[:, d] - 48
        start += n
    return out


def _key_batches(pf: pq.ParquetFile, col: Column, ctx: Ctx, rows: int) -> Iterator[pa.ChunkedArray]:
    for batch in pf.iter_batches(batch_size=rows, columns=[col.name]):
        yield check_column(pa.chunked_array([batch.column(0)]), col, ctx, check=False)


def check_unique(pf: pq.ParquetFile, col: Column, ctx: Ctx, batch_rows: int) -> None:
    """Raise if a key repeats in a file whose every key passed its column's checks.

    Parameters
    ----------
    pf : pyarrow.parquet.ParquetFile
        The file.
    col : Column
        Its key column.
    ctx : Ctx
        The file (row numbers of the whole file).
    batch_rows : int
        Rows read at a time.

    Raises
    ------
    ExtractError
        ``duplicate key 'C00000001' (first at row 3)`` naming the first row that repeats an
        earlier key.
    """
    rows = pf.metadata.num_rows
    if rows < 2:
        return
    codes, start = None, 0
    for keys in _key_batches(pf, col, ctx, batch_rows):
        part = key_codes(keys, col)
        if codes is None:
            codes = np.empty(rows, dtype=part.dtype)
        codes[start: start + len(part)] = part
        start += len(part)
    codes.sort()
    same = codes[1:] == codes[:-1]
    candidates = np.unique(codes[1:][same])
    del codes, same
    if not candidates.size:
        return
    first: dict[str, int] = {}
    start = 0
    for keys in _key_batches(pf, col, ctx, batch_rows):
        at = np.flatnonzero(np.isin(key_codes(keys, col), candidates))
        for i, value in zip(at.tolist(), keys.take(pa.array(at)).to_pylist()):
            if value in first:
                raise ctx.error(f"duplicate key {fmt(value)} (first at row {first[value] + ctx.row_base})",
                                col.name, start + i)
            first[value] = start + i
        start += len(keys)
