"""Deterministic writers for the extract folder (parquet, xlsx, extract.json).

pyarrow parquet output is byte-identical for identical input. openpyxl stamps the current
time into ``docProps/core.xml`` and zipfile stamps it on every entry, so workbooks are
re-packed with fixed timestamps, a fixed entry order and fixed compression.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openpyxl import Workbook

SERVICE_CODES = pa.array(["no_liability", "direct_pay", "collect_and_pay"], pa.string())
ORIGIN_CODES = pa.array(["new_application", "arrears_only"], pa.string())
FEE_CODES = pa.array(["no_fee", "fee_paid", "exempt_domestic_violence", "exempt_under_19"], pa.string())
REASON_CODES = pa.array(["initial", "change_of_circumstances", "mandatory_reconsideration"], pa.string())
OUTCOME_CODES = pa.array(["not_revised", "revised"], pa.string())

FIXED_ZIP_TIME = (2016, 1, 1, 0, 0, 0)
FIXED_CORE_TIME = "2016-01-01T00:00:00Z"


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers ``prefix`` + zero-padded ``numbers`` as an arrow string array."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def codes(values: pa.Array, index: np.ndarray) -> pa.Array:
    return pc.take(values, pa.array(np.asarray(index, np.int64)))


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, np.int64).astype("datetime64[D]"), type=pa.date32(), mask=null)


def money(pence: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(pence, np.int64) / 100.0, pa.float64())


#: Rows per Parquet row group (pyarrow's default, stated so a streamed file matches).
ROW_GROUP = 1024 * 1024


def write_parquet(path: Path, columns: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(columns)
    pq.write_table(table, path, compression="snappy", row_group_size=ROW_GROUP)


class StreamedParquet:
    """A Parquet file written a part at a time, byte-identical to :func:`write_parquet` of the
    parts concatenated: rows are cut into the same row groups, and at most one row group's
    worth of rows waits in memory.

    Use as a context manager; :meth:`write` takes the columns of the next rows (the same names
    and types every time). The file is written only when the ``with`` block ends normally.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pending: list[pa.Table] = []
        self._rows = 0
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> "StreamedParquet":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, columns: dict) -> None:
        """Add the next rows."""
        self._pending.append(pa.table(columns))
        self._rows += self._pending[-1].num_rows
        while self._rows >= ROW_GROUP:
            self._flush(ROW_GROUP)

    def _flush(self, rows: int) -> None:
        table = pa.concat_tables(self._pending)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="snappy")
        # one contiguous chunk, as a whole table written at once would be (the same pages)
        self._writer.write_table(table.slice(0, rows).combine_chunks(), row_group_size=ROW_GROUP)
        rest = table.slice(rows)
        self._pending, self._rows = [rest], rest.num_rows

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self._discard()
            return
        try:
            self._finish()
        except BaseException:
            self._discard()
            raise

    def _finish(self) -> None:
        if self._writer is None:  # fewer rows than one row group: as write_parquet writes them
            if not self._pending:
                raise ValueError(f"{self.path.name}: no rows were given, not even an empty part")
            pq.write_table(pa.concat_tables(self._pending).combine_chunks(), self.path,
                           compression="snappy", row_group_size=ROW_GROUP)
            return
        if self._rows:
            self._flush(self._rows)
        self._writer.close()
        self._writer = None

    def _discard(self) -> None:
        """Close what was opened and remove the file: no half-written file is left behind."""
        try:
            if self._writer is not None:
                self._writer.close()
        finally:
            self._writer = None
            self.path.unlink(missing_ok=True)


def write_xlsx(path: Path, sheet: str, header: list, rows: list) -> None:
    """One-sheet workbook, header at A1, re-packed so the bytes depend only on the content."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    # [Content_Types].xml first (as Office expects), the rest sorted by name
    entries.sort(key=lambda e: (e[0] != "[Content_Types].xml", e[0]))
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + FIXED_CORE_TIME.encode() + rb"\g<3>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zout.writestr(info, data, compresslevel=6)


class ExtractWriter:
    """Writes one extract folder; identifiers are built from simulation indices."""

    def __init__(self, folder: Path, id_offsets: dict):
        self.folder = Path(folder)
        self.off = id_offsets

    def case_ids(self, idx):
        return ids("C", self.off["case"] + np.asarray(idx, np.int64), 8)

    def group_ids(self, idx):
        return ids("G", self.off["group"] + np.asarray(idx, np.int64), 8)

    def snapshot(self, month, case, group, origin, opened, stype, weekly, due, opening, accrued,
                 paid, adjustment, closing):
        n = len(case)
        extra = self.extra_columns(month, case, group, origin, stype, weekly, closing)
        write_parquet(self.folder / "snapshots" / f"cases_{month}.parquet", {
            "snapshot_month": pa.array([month] * n, pa.string()),
            "case_id": self.case_ids(case),
            "case_group_id": self.group_ids(group),
            "origin": codes(ORIGIN_CODES, origin),
            "opened_date": dates(opened),
            "service_type": codes(SERVICE_CODES, stype),
            "weekly_liability": money(weekly),
            "liability_due": money(due),
            "arrears_opening": money(opening),
            "arrears_accrued": money(accrued),
            "arrears_paid": money(paid),
            "arrears_adjustment": money(adjustment),
            "arrears_closing": money(closing),
        } | extra)

    def extra_columns(self, month, case, group, origin, stype, weekly, closing) -> dict:
        """Optional snapshot columns a subclass adds after the contract's own (none here)."""
        return {}

    def sample(self, month, case, children):
        n = len(case)
        write_parquet(self.folder / "samples" / f"children_{month}.parquet", {
            "sample_month": pa.array([month] * n, pa.string()),
            "case_id": self.case_ids(case),
            "qualifying_children": pa.array(np.asarray(children, np.int64), pa.int64()),
        })
