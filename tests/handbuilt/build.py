"""Write a small extract folder from explicit rows (hand-built folders, not the generator).

A folder is a YAML document (``tests/handbuilt/*.yaml``)::

    extract: {source: administrative, first_month: 2016-08, last_month: 2016-08}
    files:
      snapshots/cases_2016-08.parquet:
        columns: [snapshot_month, case_id, ...]
        rows:
        - [2016-08, C00000001, ...]
      mi/telephony.xlsx:
        columns: [...]
        rows: [...]            # the Total row is added (the sum of the rows), as the contract says
    expected:                  # figures worked by hand (see each folder's comments)
      <table>: {columns: [period, measure, breakdown, value], rows: [...]}

Each file is typed from the data contract (``cms_stats.extracts.CONTRACT``): months, codes and
identifiers as text, dates as ``date32``, money as ``double``, counts and integers as ``int64``.
A column the contract does not know (an extra column) is written as text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from openpyxl import Workbook

from cms_stats.extracts.contract import CONTRACT

HERE = Path(__file__).resolve().parent
_ARROW = {"month": pa.string(), "id": pa.string(), "code": pa.string(), "date": pa.date32(),
          "money": pa.float64(), "count": pa.int64(), "integer": pa.int64()}


def load(name: str) -> dict:
    """The hand-built folder ``name`` (``tests/handbuilt/<name>.yaml``).

    A folder may start from another (``base: <name>``): its ``extract`` and each file it lists
    replace the base's, and ``delete`` lists the base's files it leaves out.
    """
    doc = yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
    if "base" in doc:
        base = load(doc.pop("base"))
        files = {k: v for k, v in base["files"].items() if k not in doc.pop("delete", [])}
        files.update(doc.get("files") or {})
        doc = {**base, "expected": {}, **doc, "files": files}
    return doc


def folder_names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def _spec_for(rel: str):
    for spec in CONTRACT.values():
        folder, _, pattern = spec.path.rpartition("/")
        prefix, _, suffix = pattern.partition("{month}")
        head, _, name = rel.rpartition("/")
        if head == folder and name.startswith(prefix) and name.endswith(suffix):
            return spec
    return None


def _value(kind: str, value):
    if value is None:
        return None
    if kind == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if kind in ("month", "id", "code"):
        return str(value)
    if kind == "money":
        return float(value)
    return int(value)


def _types(rel: str, columns: list[str]) -> dict[str, str]:
    spec = _spec_for(rel)
    known = {c.name: c.type for c in spec.columns} if spec else {}
    return {c: known.get(c, "id") for c in columns}


def write_parquet(path: Path, rel: str, columns: list[str], rows: list[list]) -> None:
    kinds = _types(rel, columns)
    arrays = {c: pa.array([_value(kinds[c], r[i]) for r in rows], _ARROW[kinds[c]])
              for i, c in enumerate(columns)}
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(arrays) if rows else pa.table(
        {c: pa.array([], _ARROW[kinds[c]]) for c in columns}), path)


def write_xlsx(path: Path, rel: str, columns: list[str], rows: list[list]) -> None:
    spec = _spec_for(rel)
    kinds = _types(rel, columns)
    wb = Workbook()
    ws = wb.active
    ws.title = spec.sheet
    ws.append(columns)
    for r in rows:
        ws.append([_value(kinds[c], v) for c, v in zip(columns, r)])
    if spec.total_row:
        ws.append(["Total"] + [sum(int(r[i]) for r in rows) for i in range(1, len(columns))])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_folder(doc: dict, out: Path) -> Path:
    """Write the folder described by ``doc`` (see the module docstring) to ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "extract.json").write_text(json.dumps(doc["extract"], indent=2), encoding="utf-8")
    for rel, content in doc["files"].items():
        columns, rows = content["columns"], content.get("rows") or []
        if rel.endswith(".xlsx"):
            write_xlsx(out / rel, rel, columns, rows)
        else:
            write_parquet(out / rel, rel, columns, rows)
    return out
