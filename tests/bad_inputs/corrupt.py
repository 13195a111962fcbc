"""Apply a corruption (from ``corruptions.yaml``) to a copy of a valid extract folder.

Each corruption is a list of operations; each operation names a file and what to do to it.
The operations are deliberately small and generic so the table reads as data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

HERE = Path(__file__).resolve().parent


def load_corruptions() -> list[dict]:
    return yaml.safe_load((HERE / "corruptions.yaml").read_text(encoding="utf-8"))


# ----------------------------------------------------------------- parquet helpers
def _read(path: Path) -> pa.Table:
    return pq.read_table(path)


def _write(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path)


def _coerce(value, type_: pa.DataType):
    if value is None:
        return None
    if pa.types.is_date(type_) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if pa.types.is_floating(type_):
        return float(value)
    return value


def _set(table: pa.Table, column: str, row: int, value) -> pa.Table:
    idx = table.schema.get_field_index(column)
    arr = table.column(column)
    values = arr.to_pylist()
    values[row - 1] = _coerce(value, arr.type)
    return table.set_column(idx, column, pa.array(values, arr.type))


def _cast(table: pa.Table, column: str, to: str) -> pa.Table:
    idx = table.schema.get_field_index(column)
    arr = table.column(column)
    if to == "string" and pa.types.is_date(arr.type):
        new = pa.array([None if v is None else v.isoformat() for v in arr.to_pylist()], pa.string())
    else:
        new = pc.cast(arr, getattr(pa, to)())
    return table.set_column(idx, column, new)


# ----------------------------------------------------------------- workbook helpers
def _cell(ws, column: str, row):
    header = [c.value for c in ws[1]]
    col = header.index(column) + 1
    r = ws.max_row if row == "total" else int(row)
    return ws.cell(row=r, column=col)


def total_row(path: Path) -> int:
    wb = openpyxl.load_workbook(path)
    try:
        return wb.worksheets[0].max_row
    finally:
        wb.close()


# ----------------------------------------------------------------- operations
def apply(folder: Path, ops: list[dict]) -> None:
    for op in ops:
        _apply_one(folder, dict(op))


def _apply_one(folder: Path, op: dict) -> None:
    kind = op.pop("op")
    path = folder / op.pop("file")
    if kind == "delete":
        path.unlink()
    elif kind == "copy":
        (folder / op["to"]).write_bytes(path.read_bytes())
    elif kind == "write_text":
        path.write_text(op["text"], encoding="utf-8")
    elif kind == "write_bytes":
        path.write_bytes(op["bytes"].encode("latin-1"))
    elif kind == "json_set":
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta[op["key"]] = op["value"]
        path.write_text(json.dumps(meta), encoding="utf-8")
    elif kind == "json_delete":
        meta = json.loads(path.read_text(encoding="utf-8"))
        del meta[op["key"]]
        path.write_text(json.dumps(meta), encoding="utf-8")
    elif kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "chmod":
        os.chmod(path, int(str(op["mode"]), 8))
    elif kind == "zero_rows":
        t = _read(path)
        _write(path, t.slice(0, 0))
    elif kind == "set":
        _write(path, _set(_read(path), op["column"], op["row"], op.get("value")))
    elif kind == "copy_value":
        t = _read(path)
        value = t.column(op["column"])[op["from_row"] - 1].as_py()
        _write(path, _set(t, op["column"], op["to_row"], value))
    elif kind == "days_before":
        t = _read(path)
        ref = t.column(op["other"])[op["row"] - 1].as_py()
        _write(path, _set(t, op["column"], op["row"], ref - dt.timedelta(days=op["days"])))
    elif kind == "write_parquet":  # a new file from explicit columns (an optional file)
        _write(path, pa.table({c: pa.array(v) for c, v in op["columns"].items()}))
    elif kind == "add_column":  # a copy of another column under a new name (an optional column)
        t = _read(path)
        _write(path, t.append_column(op["column"], t.column(op["from"])))
    elif kind == "drop_column":
        t = _read(path)
        _write(path, t.drop_columns([op["column"]]))
    elif kind == "rename_column":
        t = _read(path)
        _write(path, t.rename_columns([op["to"] if n == op["column"] else n for n in t.column_names]))
    elif kind == "cast":
        _write(path, _cast(_read(path), op["column"], op["to"]))
    elif kind == "invalid_utf8":
        t = _read(path)
        idx = t.schema.get_field_index(op["column"])
        values = [None if v is None else v.encode() for v in t.column(op["column"]).to_pylist()]
        values[op["row"] - 1] = b"C\xff\xfe345678"
        bad = pa.array(values, pa.binary()).view(pa.string())
        _write(path, t.set_column(idx, op["column"], bad))
    elif kind == "oversize_sample":
        # Append made-up cases until the sample exceeds its population.
        t = _read(path)
        month = t.column("sample_month")[0].as_py()
        snap = _read(folder / f"snapshots/cases_{month}.parquet")
        population = pc.sum(pc.greater(snap.column("weekly_liability"), 0.0)).as_py()
        extra = population + 1 - t.num_rows
        add = pa.table(
            {
                "sample_month": pa.array([month] * extra, pa.string()),
                "case_id": pa.array([f"C9{i:07d}" for i in range(extra)], pa.string()),
                "qualifying_children": pa.array([1] * extra, t.schema.field("qualifying_children").type),
            }
        )
        _write(path, pa.concat_tables([t, add.cast(t.schema)]))
    elif kind in ("xlsx_set", "xlsx_copy", "xlsx_add", "rename_sheet", "insert_row", "insert_column", "delete_total"):
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        if kind == "xlsx_set":
            _cell(ws, op["column"], op["row"]).value = op.get("value")
        elif kind == "xlsx_copy":
            _cell(ws, op["column"], op["to_row"]).value = _cell(ws, op["column"], op["from_row"]).value
        elif kind == "xlsx_add":
            cell = _cell(ws, op["column"], op["row"])
            cell.value = cell.value + op["delta"]
        elif kind == "rename_sheet":
            ws.title = op["to"]
        elif kind == "insert_row":
            ws.insert_rows(1)
        elif kind == "insert_column":
            ws.insert_cols(1)
        elif kind == "delete_total":
            ws.delete_rows(ws.max_row)
        wb.save(path)
        wb.close()
    else:
        raise ValueError(f"unknown corruption operation {kind!r}")
