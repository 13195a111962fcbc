"""Disclosure check run on every release: published outputs hold aggregates only.

Scans every published artefact of a release folder (HTML pages, the PDF's text via
``pdftotext``, spreadsheet cells, CSV files, executed notebooks including their outputs,
JSON and text files) and reports:

* an identifier of the data contract (case ``C`` + 8 digits, case group ``G``, application
  ``A``, paying parent ``P``, receiving parent ``R``, reconsideration ``M`` + 8 digits;
  payment ``Y``, calculation ``L``, service request ``S`` + 9 digits; check ``K`` + 7);
* a row of raw extract data: an ISO date next to a money amount (``2016-08-31, 123.45``),
  an extract column name used as a table cell or header (``case_id``, ``arrears_closing``),
  or a line naming two or more extract columns (a printed DataFrame header);
* a count below the suppression threshold left unsuppressed in a CSV file or spreadsheet
  (a count-unit value ``v`` with ``0 < v < threshold``).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Iterable, Iterator

from cms_stats.publish.policy import Policy, load_policy

IDENTIFIER_PATTERNS = {
    "case": r"C\d{8}",
    "case group": r"G\d{8}",
    "application": r"A\d{8}",
    "paying parent": r"P\d{8}",
    "receiving parent": r"R\d{8}",
    "payment": r"Y\d{9}",
    "calculation": r"L\d{9}",
    "service request": r"S\d{9}",
    "reconsideration": r"M\d{8}",
    "accuracy check": r"K\d{7}",
}
_IDENTIFIER = re.compile(
    r"\b(?:" + "|".join(f"(?P<{k.replace(' ', '_')}>{p})" for k, p in IDENTIFIER_PATTERNS.items()) + r")\b"
)
# An ISO date followed by a money amount with pence: the shape of an extract row.
_DATE_MONEY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b[\s,;|\t\"']{1,12}-?\d{1,9}\.\d{2}\b")
EXTRACT_COLUMNS = (
    "snapshot_month", "case_id", "case_group_id", "origin", "opened_date", "service_type",
    "weekly_liability", "liability_due", "arrears_opening", "arrears_accrued", "arrears_paid",
    "arrears_adjustment", "arrears_closing", "application_id", "received_date",
    "application_type", "paying_parent_id", "receiving_parent_id", "fee_status", "payment_id",
    "payment_date", "amount", "calculation_id", "effective_date", "weekly_amount", "reason",
    "request_id", "request_type", "cleared_date", "reconsideration_id", "outcome",
    "sample_month", "qualifying_children", "check_id", "check_month",
    "calculated_weekly_amount", "correct_weekly_amount",
)  # fmt: skip
# Generic words (origin, reason, amount, outcome) are only flagged next to another column.
_DISTINCTIVE = frozenset(c for c in EXTRACT_COLUMNS if "_" in c)
_COLUMN_WORD = re.compile(r"(?<![\w])(" + "|".join(sorted(EXTRACT_COLUMNS, key=len, reverse=True)) + r")(?![\w])")
_TEXT_SUFFIXES = {".html", ".htm", ".txt", ".md", ".json", ".xml", ".tex"}
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
_TAG = re.compile(r"<[^>]+>")
_CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S | re.I)


class DisclosureError(RuntimeError):
    """A release contains something that must not be published."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"disclosure check failed: {len(problems)} problem(s): {head}{more}")


# -- text checks --------------------------------------------------------------------------
def _text_problems(where: str, text: str) -> Iterator[str]:
    text = _DATA_URI.sub(" ", text)
    for m in _IDENTIFIER.finditer(text):
        kind = m.lastgroup.replace("_", " ")
        yield f"{where}: {kind} identifier {m.group(0)!r}"
    for m in _DATE_MONEY.finditer(text):
        yield f"{where}: extract-like row (date and money) {m.group(0)!r}"
    for n, line in enumerate(text.splitlines(), start=1):
        names = set(_COLUMN_WORD.findall(line))
        if len(names) >= 2 and names & _DISTINCTIVE:
            yield f"{where}: line {n} names extract columns {sorted(names)}"


def _cell_problem(where: str, value: str) -> str | None:
    if value.strip() in _DISTINCTIVE:
        return f"{where}: extract column name {value.strip()!r} in a published table"
    return None


def _first_per_kind(problems: Iterable[str], limit: int = 20) -> list[str]:
    out = []
    for p in problems:
        if p not in out:
            out.append(p)
        if len(out) >= limit:
            out.append("... (further problems in this file not listed)")
            break
    return out


# -- artefact readers ---------------------------------------------------------------------
def _check_html(path: Path, rel: str) -> list[str]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    raw = _DATA_URI.sub(" ", raw)
    problems = []
    for m in _CELL.finditer(raw):
        cell = html.unescape(_TAG.sub("", m.group(1)))
        p = _cell_problem(rel, cell)
        if p:
            problems.append(p)
    text = html.unescape(_TAG.sub(" ", raw))
    problems.extend(_text_problems(rel, text))
    return problems


def _check_text(path: Path, rel: str) -> list[str]:
    return list(_text_problems(rel, path.read_text(encoding="utf-8", errors="replace")))


def _is_small_count(value: str | float | int, threshold: float) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return 0 < v < threshold


def _check_csv(path: Path, rel: str, policy: Policy) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    problems = list(_text_problems(rel, text))
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return problems
    header = rows[0]
    for col in header:
        p = _cell_problem(f"{rel} header", col)
        if p:
            problems.append(p)
    unit_i = header.index("unit") if "unit" in header else None
    value_i = header.index("value") if "value" in header else None
    for n, row in enumerate(rows[1:], start=2):
        for cell in row:
            p = _cell_problem(f"{rel} row {n}", cell)
            if p:
                problems.append(p)
        if unit_i is not None and value_i is not None and len(row) > max(unit_i, value_i):
            if row[unit_i] in policy.suppressed_units and _is_small_count(row[value_i], policy.threshold):
                problems.append(
                    f"{rel} row {n}: unsuppressed count {row[value_i]} below {policy.threshold}"
                )
    return problems


def _check_xlsx(path: Path, rel: str, policy: Policy) -> list[str]:
    import openpyxl

    problems = []
    count_labels = {f"({policy.unit_label(u)})" for u in policy.suppressed_units}
    wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    try:
        for ws in wb.worksheets:
            # Header rows of the marked-up tables: count columns are headed "... (number)".
            count_cols: dict[int, set[int]] = {}
            for table in ws.tables.values():
                ref = table.ref if hasattr(table, "ref") else str(table)
                first, _, last = ref.partition(":")
                min_col, min_row = openpyxl.utils.cell.coordinate_to_tuple(first)[::-1]
                max_col, max_row = openpyxl.utils.cell.coordinate_to_tuple(last)[::-1]
                cols = set()
                for c in range(min_col, max_col + 1):
                    head = ws.cell(row=min_row, column=c).value
                    if isinstance(head, str) and any(lbl in head for lbl in count_labels):
                        cols.add(c)
                for r in range(min_row + 1, max_row + 1):
                    count_cols[r] = cols
            for row in ws.iter_rows():
                for cell in row:
                    v = cell.value
                    if v is None:
                        continue
                    where = f"{rel} {ws.title}!{cell.coordinate}"
                    if isinstance(v, str):
                        problems.extend(_text_problems(where, v))
                        p = _cell_problem(where, v)
                        if p:
                            problems.append(p)
                    elif (
                        isinstance(v, (int, float))
                        and cell.column in count_cols.get(cell.row, ())
                        and _is_small_count(v, policy.threshold)
                    ):
                        problems.append(f"{where}: unsuppressed count {v} below {policy.threshold}")
    finally:
        wb.close()
    return problems


def _notebook_texts(nb: dict) -> Iterator[tuple[str, str, bool]]:
    """(label, text, is_html) for every source and text output of a notebook."""

    def join(x: str | list) -> str:
        return "".join(x) if isinstance(x, list) else str(x)

    for i, cell in enumerate(nb.get("cells", []), start=1):
        yield f"cell {i} source", join(cell.get("source", "")), False
        for j, out in enumerate(cell.get("outputs", []) or [], start=1):
            label = f"cell {i} output {j}"
            if "text" in out:
                yield label, join(out["text"]), False
            if out.get("output_type") == "error":
                yield label, "\n".join(out.get("traceback", [])), False
            for mime, data in (out.get("data") or {}).items():
                if mime.startswith("image/") and mime != "image/svg+xml":
                    continue
                text = json.dumps(data) if not isinstance(data, (str, list)) else join(data)
                yield f"{label} {mime}", text, mime == "text/html"


def _check_notebook(path: Path, rel: str) -> list[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{rel}: cannot read notebook ({err})"]
    problems = []
    for label, text, is_html in _notebook_texts(nb):
        where = f"{rel} {label}"
        if is_html:
            for m in _CELL.finditer(text):
                p = _cell_problem(where, html.unescape(_TAG.sub("", m.group(1))))
                if p:
                    problems.append(p)
            text = html.unescape(_TAG.sub(" ", text))
        problems.extend(_text_problems(where, text))
    return problems


def _check_pdf(path: Path, rel: str) -> list[str]:
    exe = shutil.which("pdftotext") or ("/usr/bin/pdftotext" if Path("/usr/bin/pdftotext").exists() else None)
    if exe is None:
        warnings.warn(f"{rel}: pdftotext not found, PDF text not checked", RuntimeWarning, stacklevel=2)
        return []
    result = subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, timeout=300, check=False)
    if result.returncode != 0:
        return [f"{rel}: pdftotext could not read the PDF ({result.stderr.decode(errors='replace').strip()[:200]})"]
    return list(_text_problems(rel, result.stdout.decode("utf-8", errors="replace")))


# -- public API --------------------------------------------------------------------------
def check_release(release_dir: str | Path, policy: Policy | None = None) -> list[str]:
    """List disclosure problems in a release folder (empty list = clean).

    Parameters
    ----------
    release_dir : str or Path
        The release folder (``_build/release/<period>/``) or any folder of artefacts.
    policy : Policy, optional
        Gives the suppression threshold and the count units; defaults to the packaged
        policy.

    Returns
    -------
    list of str
        One line per problem, naming the file and where in it (sheet and cell, CSV row,
        notebook cell, ...). Checked: ``.html``/``.htm`` (text and table cells), ``.pdf``
        (text via ``pdftotext``), ``.xlsx`` (every cell; counts in columns headed
        ``(number)``), ``.csv`` (text; counts by the ``unit`` column), ``.ipynb`` (sources
        and outputs), ``.json``/``.txt``/``.md``/``.xml``/``.tex`` (text). Script and style
        assets (``.js``, ``.css``) and images are not checked.
    """
    policy = policy if policy is not None else load_policy()
    root = Path(release_dir)
    if not root.is_dir():
        return [f"{root}: release folder not found"]
    problems: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        if suffix in {".html", ".htm"}:
            found = _check_html(path, rel)
        elif suffix == ".csv":
            found = _check_csv(path, rel, policy)
        elif suffix == ".xlsx":
            found = _check_xlsx(path, rel, policy)
        elif suffix == ".ipynb":
            found = _check_notebook(path, rel)
        elif suffix == ".pdf":
            found = _check_pdf(path, rel)
        elif suffix in _TEXT_SUFFIXES:
            found = _check_text(path, rel)
        else:
            continue
        problems.extend(_first_per_kind(found))
    return problems


def assert_release_clean(release_dir: str | Path, policy: Policy | None = None) -> None:
    """Raise :class:`DisclosureError` if :func:`check_release` finds any problem.

    Parameters
    ----------
    release_dir : str or Path
    policy : Policy, optional

    Raises
    ------
    DisclosureError
        With ``.problems``, the full list.
    """
    problems = check_release(release_dir, policy)
    if problems:
        raise DisclosureError(problems)
