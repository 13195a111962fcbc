"""The OpenDocument edition of the spreadsheet, ``tables.ods``, made from ``tables.xlsx``.

The GSS guidance on releasing statistics in spreadsheets prefers the open format; gptables
writes only ``.xlsx``. The ODS is made from the finished workbook, cell by cell, so both carry
the same sheets in the same order (cover, contents, notes, tables, data quality, revisions)
and the same cells: text as text, figures as numbers (with the workbook's number of decimals
and thousands separators), symbols as text. It keeps what a reader relies on: bold and larger
titles, wrapped text, column widths, the links of the contents sheet (to each sheet), and each
table's header row marked as the table's header row. Deterministic: the document's dates and
the archive's file times are fixed from the release period, so the same workbook gives the
same bytes.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
from odf import dc, meta, number, style, table, text
from odf.element import Element
from odf.namespaces import nsdict
from odf.opendocument import OpenDocumentSpreadsheet

_DECIMALS = re.compile(r"^#,##0(?:\.(0+))?$")
_CM_PER_CHARACTER = 0.19  # an Excel character width at the default font, in centimetres


class _Styles:
    """Automatic styles of the document, one per distinct cell look (created on first use)."""

    def __init__(self, doc: OpenDocumentSpreadsheet) -> None:
        self.doc = doc
        self.cells: dict[tuple, str] = {}
        self.columns: dict[str, str] = {}
        self.numbers: dict[int, str] = {}

    def _number(self, decimals: int) -> str:
        if decimals not in self.numbers:
            name = f"N{decimals}"
            ns = number.NumberStyle(name=name)
            ns.addElement(number.Number(decimalplaces=decimals,
                                        minintegerdigits=1, grouping="true"))
            self.doc.automaticstyles.addElement(ns)
            self.numbers[decimals] = name
        return self.numbers[decimals]

    def cell(self, cell) -> str:
        font, align = cell.font, cell.alignment
        color = font.color.rgb if font.color is not None and isinstance(font.color.rgb, str) else None
        match = _DECIMALS.match(cell.number_format or "")
        decimals = len(match.group(1) or "") if match and isinstance(cell.value, (int, float)) else None
        key = (bool(font.b), float(font.sz or 12), color, bool(align.wrap_text), align.horizontal, decimals)
        if key not in self.cells:
            name = f"ce{len(self.cells) + 1}"
            kwargs = {"name": name, "family": "table-cell"}
            if decimals is not None:
                kwargs["datastylename"] = self._number(decimals)
            st = style.Style(**kwargs)
            props = {"fontsize": f"{key[1]:g}pt"}
            if key[0]:
                props["fontweight"] = "bold"
            if color and len(color) == 8:
                props["color"] = f"#{color[2:]}"
                props["textunderlinestyle"] = "solid"
                props["textunderlinewidth"] = "auto"
                props["textunderlinecolor"] = "font-color"
            st.addElement(style.TextProperties(**props))
            cell_props = {"verticalalign": "top"}
            if key[3]:
                cell_props["wrapoption"] = "wrap"
            st.addElement(style.TableCellProperties(**cell_props))
            if key[4] in ("left", "right"):
                st.addElement(style.ParagraphProperties(textalign="start" if key[4] == "left" else "end"))
            self.doc.automaticstyles.addElement(st)
            self.cells[key] = name
        return self.cells[key]

    def column(self, width: float) -> str:
        cm = f"{width * _CM_PER_CHARACTER:.2f}cm"
        if cm not in self.columns:
            name = f"co{len(self.columns) + 1}"
            st = style.Style(name=name, family="table-column")
            st.addElement(style.TableColumnProperties(columnwidth=cm))
            self.doc.automaticstyles.addElement(st)
            self.columns[cm] = name
        return self.columns[cm]


def _header_rows(ws) -> set[int]:
    """The header row of every marked-up table of the sheet (1-based row numbers)."""
    rows = set()
    for ref in ws.tables.values():
        ref = ref if isinstance(ref, str) else ref.ref
        rows.add(openpyxl.utils.cell.range_boundaries(ref)[1])
    return rows


def _cell(styles: _Styles, xl_cell) -> table.TableCell:
    value = xl_cell.value
    if value is None:
        return table.TableCell()
    stylename = styles.cell(xl_cell)
    if isinstance(value, bool):
        value = "Yes" if value else "No"
    if isinstance(value, (int, float)):
        cell = table.TableCell(valuetype="float", value=repr(value) if isinstance(value, float) else str(value),
                               stylename=stylename)
        cell.addElement(text.P(text=str(value)))
        return cell
    cell = table.TableCell(valuetype="string", stylename=stylename)
    para = text.P()
    link = xl_cell.hyperlink.location if xl_cell.hyperlink is not None else None
    if link:
        sheet = link.split("!")[0].strip("'")
        para.addElement(text.A(href=f"#{sheet}.A1", text=str(value)))
    else:
        para.addText(str(value))
    cell.addElement(para)
    return cell


def _sheet(doc: OpenDocumentSpreadsheet, styles: _Styles, ws) -> table.Table:
    sheet = table.Table(name=ws.title)
    ncols = ws.max_column
    for c in range(1, ncols + 1):
        letter = openpyxl.utils.get_column_letter(c)
        dim = ws.column_dimensions.get(letter)
        width = dim.width if dim is not None and dim.width else 8.43
        sheet.addElement(table.TableColumn(stylename=styles.column(width)))
    headers = _header_rows(ws)
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ncols), start=1):
        tr = table.TableRow()
        for xl_cell in row:
            tr.addElement(_cell(styles, xl_cell))
        if r in headers and len(headers) == 1:
            group = table.TableHeaderRows()
            group.addElement(tr)
            sheet.addElement(group)
        else:
            sheet.addElement(tr)
    return sheet


def _fixed_zip(raw: bytes, when: datetime) -> bytes:
    """The ODF archive with every file time set to ``when`` (mimetype first, stored)."""
    stamp = when.timetuple()[:6]
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            fixed = zipfile.ZipInfo(info.filename, stamp)
            fixed.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    return out.getvalue()


def write_ods(xlsx_path: str | Path, ods_path: str | Path, *, title: str, created: datetime) -> Path:
    """Write the OpenDocument edition of a workbook.

    Parameters
    ----------
    xlsx_path : str or Path
        The finished ``tables.xlsx`` (:func:`cms_stats.publish.spreadsheet.write_spreadsheet`).
    ods_path : str or Path
        The ``.ods`` file to write.
    title : str
        The document title (its metadata).
    created : datetime
        The document's creation time (fixed from the period, like the workbook's).

    Returns
    -------
    Path
        ``ods_path``: every sheet of the workbook in order, every cell's value (numbers as
        numbers, text as text).
    """
    wb = openpyxl.load_workbook(xlsx_path)
    try:
        doc = OpenDocumentSpreadsheet()
        doc.meta.addElement(dc.Title(text=title))
        doc.meta.addElement(meta.CreationDate(text=created.isoformat()))
        doc.meta.addElement(dc.Date(text=created.isoformat()))
        styles = _Styles(doc)
        for ws in wb.worksheets:
            doc.spreadsheet.addElement(_sheet(doc, styles, ws))
    finally:
        wb.close()
    raw = io.BytesIO()
    # odfpy declares, in every XML file, the namespaces it has met so far in the process (a
    # class-level dict): declare all it knows, in a fixed order, so the bytes do not depend on
    # what else the process did with odfpy.
    Element.namespaces.clear()
    Element.namespaces.update(sorted(nsdict.items(), key=lambda item: item[1]))
    doc.write(raw)
    path = Path(ods_path)
    path.write_bytes(_fixed_zip(raw.getvalue(), created))
    return path


_NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
       "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
       "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
_T, _O, _X = ("{%s}" % _NS[k] for k in ("table", "office", "text"))
_NUMERIC = {"float", "percentage", "currency"}


def _text(cell: ET.Element) -> str:
    """A cell's text as pandas' OpenDocument reader reads it: its paragraphs and headings, one
    a line, without its comment (``office:annotation``); ``text:s`` is that many spaces,
    ``text:tab`` a tab, ``text:line-break`` a new line."""
    def walk(el: ET.Element) -> str:
        out = [el.text or ""]
        for child in el:
            if child.tag == _X + "s":
                out.append(" " * int(child.get(_X + "c", "1")))
            elif child.tag == _X + "tab":
                out.append("\t")
            elif child.tag == _X + "line-break":
                out.append("\n")
            elif child.tag != _O + "annotation":
                out.append(walk(child))
            out.append(child.tail or "")
        return "".join(out)
    return "\n".join(walk(p) for p in cell if p.tag != _O + "annotation")


def _value(cell: ET.Element):
    kind = cell.get(_O + "value-type")
    if kind in _NUMERIC:
        number = float(cell.get(_O + "value"))
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        return cell.get(_O + "boolean-value") == "true"
    if kind == "date":
        return cell.get(_O + "date-value")
    if kind == "time":
        return cell.get(_O + "time-value")
    text = _text(cell)
    return text if (kind or text) else None


def read_ods_cells(path: str | Path) -> dict[str, dict[tuple[int, int], object]]:
    """Every non-empty cell of an OpenDocument spreadsheet, read from ``content.xml`` with the
    standard library's parser (odfpy, which pandas uses, builds a Python object per XML node:
    about six times slower on a release's spreadsheet).

    Parameters
    ----------
    path : str or Path
        The ``.ods`` file.

    Returns
    -------
    dict
        ``{sheet name: {(row, column): value}}``, 1-based, sheets in order (hidden ones too).
        Values as pandas' reader gives them: numbers (``float``, ``percentage``, ``currency``)
        as ``int`` when whole, else ``float``; booleans as ``bool``; text as ``str`` (without
        the cell's comment). Unlike pandas: dates and times as their ISO text, a cell with no
        value type as its text. Repeated rows and cells (``number-rows-repeated``,
        ``number-columns-repeated``) count as many times as they say (empty ones are skipped);
        covered cells (under a merge) read like any cell.

    Raises
    ------
    OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile, xml.etree.ElementTree.ParseError
        A file that is not a readable OpenDocument spreadsheet.
    """
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("content.xml"))
    sheets: dict[str, dict[tuple[int, int], object]] = {}
    for sheet in root.iter(_T + "table"):
        cells: dict[tuple[int, int], object] = {}
        r = 0
        for row in sheet.iter(_T + "table-row"):
            rows = int(row.get(_T + "number-rows-repeated", "1"))
            c = 0
            values = []
            for cell in row:
                if cell.tag not in (_T + "table-cell", _T + "covered-table-cell"):
                    continue
                repeat = int(cell.get(_T + "number-columns-repeated", "1"))
                value = _value(cell)
                if value is not None:
                    values.extend((c + k, value) for k in range(repeat))
                c += repeat
            for k in range(rows if values else 0):
                cells.update(((r + k + 1, col + 1), v) for col, v in values)
            r += rows
        sheets[sheet.get(_T + "name")] = cells
    return sheets
