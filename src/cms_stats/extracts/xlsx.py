"""A lean reader of one sheet of an .xlsx workbook: cell values only, as openpyxl would give them.

openpyxl (even read-only) builds an object per cell and spends most of the validation time on
the accuracy-checks feed; the MI feeds only need the cached cell values, which this reads
straight from the XML with ``iterparse``. Values: ``str``, ``int``, ``float``, ``bool``,
``datetime`` (numbers in a date format), ``None`` for an empty cell. A test compares it with
openpyxl on every workbook the generator writes.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from xml.etree.ElementTree import iterparse, parse

_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
# Built-in number formats that are dates or times (ECMA-376 18.8.30).
_BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


class WorkbookError(Exception):
    """The file is not a readable .xlsx workbook."""


class SheetNotFound(Exception):
    def __init__(self, sheet: str, sheets: list[str]):
        super().__init__(sheet)
        self.sheet, self.sheets = sheet, sheets


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _is_date_format(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code).lower()  # drop literals, colours
    return any(ch in code for ch in "dmyhs") and "general" not in code


def read_sheet(path, sheet: str) -> list[tuple]:
    """Rows of ``sheet`` (row 1 first; missing rows as empty tuples), cell values only.

    Raises
    ------
    SheetNotFound
        The workbook has no sheet of that name.
    WorkbookError
        The file is not a readable .xlsx workbook (empty, truncated, not a zip, bad XML).
    """
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            wb = parse(z.open("xl/workbook.xml")).getroot()
            date1904 = any(
                _local(e.tag) == "workbookPr" and e.get("date1904") in ("1", "true") for e in wb.iter()
            )
            sheets = {}
            for e in wb.iter():
                if _local(e.tag) == "sheet":
                    rid = next((v for k, v in e.attrib.items() if _local(k) == "id"), None)
                    sheets[e.get("name")] = rid
            if sheet not in sheets:
                raise SheetNotFound(sheet, list(sheets))
            rels = parse(z.open("xl/_rels/workbook.xml.rels")).getroot()
            target = next(e.get("Target") for e in rels if e.get("Id") == sheets[sheet])
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            shared = _shared_strings(z) if "xl/sharedStrings.xml" in names else []
            date_styles = _date_styles(z) if "xl/styles.xml" in names else set()
            epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
            return _rows(z.open(target), shared, date_styles, epoch)
    except (SheetNotFound, PermissionError):
        raise
    except (zipfile.BadZipFile, KeyError, StopIteration, OSError, EOFError, ValueError) as exc:
        raise WorkbookError(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # xml.etree.ElementTree.ParseError and friends
        raise WorkbookError(f"{type(exc).__name__}: {exc}") from None


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    out = []
    for _, e in iterparse(z.open("xl/sharedStrings.xml")):
        if _local(e.tag) == "si":
            # rich text: the <t> of every run; phonetic runs (<rPh>) are not part of the value
            parts = []
            for child in e:
                name = _local(child.tag)
                if name == "t":
                    parts.append(child.text or "")
                elif name == "r":
                    parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
            out.append("".join(parts))
            e.clear()
    return out


def _date_styles(z: zipfile.ZipFile) -> set[int]:
    root = parse(z.open("xl/styles.xml")).getroot()
    custom = {}
    xfs = []
    for e in root:
        if _local(e.tag) == "numFmts":
            custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in e}
        elif _local(e.tag) == "cellXfs":
            xfs = [int(x.get("numFmtId", 0)) for x in e]
    return {
        i
        for i, fmt in enumerate(xfs)
        if fmt in _BUILTIN_DATE_FORMATS or (fmt in custom and _is_date_format(custom[fmt]))
    }


def _number(text: str):
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _rows(stream, shared: list[str], date_styles: set[int], epoch: dt.datetime) -> list[tuple]:
    rows: list[tuple] = []
    current: dict[int, object] = {}
    row_number = 0
    for _, e in iterparse(stream):
        name = _local(e.tag)
        if name == "c":
            ref = e.get("r")
            if ref:
                col = _column_index(_CELL_REF.match(ref).group(1))
            else:
                col = max(current, default=-1) + 1
            kind = e.get("t", "n")
            value = None
            v = next((c for c in e if _local(c.tag) == "v"), None)
            text = v.text if v is not None else None
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in e.iter() if _local(t.tag) == "t")
            elif text is None:
                value = None
            elif kind == "s":
                value = shared[int(text)]
            elif kind in ("str", "e"):
                value = text
            elif kind == "b":
                value = text == "1"
            elif kind == "d":
                value = dt.datetime.fromisoformat(text)
            else:
                value = _number(text)
                if int(e.get("s", 0)) in date_styles:
                    value = epoch + dt.timedelta(days=float(value))
                    if epoch is _EPOCH_1900 and value < dt.datetime(1900, 3, 1):
                        value += dt.timedelta(days=1)  # Excel's phantom 29 Feb 1900
            current[col] = value
        elif name == "row":
            r = int(e.get("r") or row_number + 1)
            while row_number < r - 1:
                rows.append(())
                row_number += 1
            width = max(current) + 1 if current else 0
            rows.append(tuple(current.get(i) for i in range(width)))
            row_number = r
            current = {}
            e.clear()
    return rows
