"""Disclosure check run on every release: published outputs hold aggregates only.

Scans every published artefact of a release folder (HTML pages, the PDF's text via
``pdftotext``, spreadsheet cells, CSV files, executed notebooks including their outputs,
JSON and text files) and reports:

* an identifier of the data contract (every kind of ``cms_stats.extracts.CONTRACT``: case
  ``C`` + 8 digits, case group ``G``, payment ``Y`` + 9 digits, ...);
* a row of raw extract data: an ISO date next to a money amount (``2016-08-31, 123.45``),
  an extract column name used as a table cell or header (``case_id``, ``arrears_closing``),
  or a line naming two or more extract columns (a printed DataFrame header);
* a count below the suppression threshold left unsuppressed in a CSV file or spreadsheet
  (``.xlsx`` or ``.ods``)
  (a count-unit value ``v`` with ``0 < v < threshold``);
* a suppressed figure of the tables (``csv/``) that a reader can work out, from the published
  figures and the relations the registry declares, to within less than the protection
  (:func:`audit_tables`: linear programming, :mod:`cms_stats.publish.audit`).

The identifiers and extract columns screened are derived from the data contract when a check
runs, so a new identifier column or kind in the contract is screened without a change here.
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
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from cms_stats.extracts import contract as extract_contract
from cms_stats.publish.explore import EXPLORE_DATA, explore_data_problems
from cms_stats.publish.ods import read_ods_cells
from cms_stats.publish.policy import Policy, load_policy
from cms_stats.publish.table_audit import audit_tables

# An ISO date followed by a money amount with pence: the shape of an extract row.
_DATE_MONEY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b[\s,;|\t\"']{1,12}-?\d{1,9}\.\d{2}\b")
_TEXT_SUFFIXES = {".html", ".htm", ".txt", ".md", ".json", ".xml", ".tex"}
#: Third-party assets copied unchanged into every release (no figure or text of ours is in
#: them), like the theme's ``.js`` and ``.css``: MathJax's 8 MB, mostly speech-rule ``.json``,
#: took most of a release's screening.
_VENDORED = ("html/_static/mathjax/",)
#: Files screened by their kind (besides text files, :data:`_TEXT_SUFFIXES`).
_SCREENED_SUFFIXES = {".csv", ".xlsx", ".ods", ".ipynb", ".pdf"}
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


# -- what is screened, from the data contract ----------------------------------------------
def extract_columns() -> list[str]:
    """The extract columns whose names must not appear in a published table.

    Returns
    -------
    list of str
        Every column of the unit-record files of ``cms_stats.extracts.CONTRACT`` (one row per
        case or event: the files without a Total row) and every identifier column, in contract
        order. The aggregate MI feeds' columns (``calls_received``, ...) are published measure
        names, not a leak.
    """
    names = [
        col.name
        for spec in extract_contract.CONTRACT.values()
        if not spec.total_row
        for col in spec.columns
    ]
    names += extract_contract.identifier_columns()
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class _Screen:
    """The compiled screens of one check, derived from the contract as it is then."""

    identifier: re.Pattern  # one named group per identifier kind
    kinds: dict[str, str]  # group name -> kind in words ("case group")
    column_word: re.Pattern
    distinctive: frozenset[str]

    @classmethod
    def from_contract(cls) -> _Screen:
        patterns = extract_contract.identifier_patterns()
        kinds = {f"k{i}": kind.replace("_", " ") for i, kind in enumerate(patterns)}
        identifier = re.compile(
            r"\b(?:" + "|".join(f"(?P<k{i}>{p})" for i, p in enumerate(patterns.values())) + r")\b"
        )
        columns = extract_columns()
        column_word = re.compile(
            r"(?<![\w])(" + "|".join(sorted(map(re.escape, columns), key=len, reverse=True)) + r")(?![\w])"
        )
        # Generic words (origin, reason, amount, outcome) are only flagged next to another column.
        distinctive = frozenset(c for c in columns if "_" in c)
        return cls(identifier, kinds, column_word, distinctive)


# -- text checks --------------------------------------------------------------------------
def _text_problems(where: str, text: str, screen: _Screen) -> Iterator[str]:
    text = _DATA_URI.sub(" ", text)
    for m in screen.identifier.finditer(text):
        yield f"{where}: {screen.kinds[m.lastgroup]} identifier {m.group(0)!r}"
    for m in _DATE_MONEY.finditer(text):
        yield f"{where}: extract-like row (date and money) {m.group(0)!r}"
    for n, line in enumerate(text.splitlines(), start=1):
        names = set(screen.column_word.findall(line))
        if len(names) >= 2 and names & screen.distinctive:
            yield f"{where}: line {n} names extract columns {sorted(names)}"


def _cell_problem(where: str, value: str, screen: _Screen) -> str | None:
    if value.strip() in screen.distinctive:
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
def _check_html(path: Path, rel: str, screen: _Screen) -> list[str]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    raw = _DATA_URI.sub(" ", raw)
    problems = []
    for m in _CELL.finditer(raw):
        cell = html.unescape(_TAG.sub("", m.group(1)))
        p = _cell_problem(rel, cell, screen)
        if p:
            problems.append(p)
    text = html.unescape(_TAG.sub(" ", raw))
    problems.extend(_text_problems(rel, text, screen))
    return problems


def _check_text(path: Path, rel: str, screen: _Screen) -> list[str]:
    return list(_text_problems(rel, path.read_text(encoding="utf-8", errors="replace"), screen))


def _is_small_count(value: str | float | int, threshold: float) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return 0 < v < threshold


def _check_csv(path: Path, rel: str, policy: Policy, screen: _Screen) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    problems = list(_text_problems(rel, text, screen))
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return problems
    header = rows[0]
    for col in header:
        p = _cell_problem(f"{rel} header", col, screen)
        if p:
            problems.append(p)
    unit_i = header.index("unit") if "unit" in header else None
    value_i = header.index("value") if "value" in header else None
    for n, row in enumerate(rows[1:], start=2):
        for cell in row:
            p = _cell_problem(f"{rel} row {n}", cell, screen)
            if p:
                problems.append(p)
        if unit_i is not None and value_i is not None and len(row) > max(unit_i, value_i):
            if row[unit_i] in policy.suppressed_units and _is_small_count(row[value_i], policy.threshold):
                problems.append(
                    f"{rel} row {n}: unsuppressed count {row[value_i]} below {policy.threshold}"
                )
    return problems


def _check_xlsx(path: Path, rel: str, policy: Policy, screen: _Screen) -> list[str]:
    import openpyxl  # deferred: heavy (only a release with a spreadsheet needs it)

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
                        problems.extend(_text_problems(where, v, screen))
                        p = _cell_problem(where, v, screen)
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


def _check_ods(path: Path, rel: str, policy: Policy, screen: _Screen) -> list[str]:
    """Every cell of an OpenDocument spreadsheet: text screened; a number below a column header
    naming a count unit (``... (number)``) checked against the suppression threshold."""
    count_labels = tuple(f"({policy.unit_label(u)})" for u in policy.suppressed_units)
    problems = []
    try:
        sheets = read_ods_cells(path)
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile, ET.ParseError) as err:
        return [f"{rel}: cannot read the OpenDocument spreadsheet ({err})"]
    for name, cells in sheets.items():
        counts_in: set[int] = set()  # columns whose header so far names a count unit
        for (r, c), v in sorted(cells.items(), key=lambda item: (item[0][1], item[0][0])):
            where = f"{rel} {name}!R{r}C{c}"
            if isinstance(v, str):
                if v.endswith(count_labels):
                    counts_in.add(c)
                problems.extend(_text_problems(where, v, screen))
                p = _cell_problem(where, v, screen)
                if p:
                    problems.append(p)
            elif (c in counts_in and isinstance(v, (int, float)) and not isinstance(v, bool)
                  and _is_small_count(v, policy.threshold)):
                problems.append(f"{where}: unsuppressed count {v} below {policy.threshold}")
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


def _check_notebook(path: Path, rel: str, screen: _Screen) -> list[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{rel}: cannot read notebook ({err})"]
    problems = []
    for label, text, is_html in _notebook_texts(nb):
        where = f"{rel} {label}"
        if is_html:
            for m in _CELL.finditer(text):
                p = _cell_problem(where, html.unescape(_TAG.sub("", m.group(1))), screen)
                if p:
                    problems.append(p)
            text = html.unescape(_TAG.sub(" ", text))
        problems.extend(_text_problems(where, text, screen))
    return problems


def _check_pdf(path: Path, rel: str, screen: _Screen) -> list[str]:
    exe = shutil.which("pdftotext") or ("/usr/bin/pdftotext" if Path("/usr/bin/pdftotext").exists() else None)
    if exe is None:
        warnings.warn(f"{rel}: pdftotext not found, PDF text not checked", RuntimeWarning, stacklevel=2)
        return []
    result = subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, timeout=300, check=False)
    if result.returncode != 0:
        return [f"{rel}: pdftotext could not read the PDF ({result.stderr.decode(errors='replace').strip()[:200]})"]
    return list(_text_problems(rel, result.stdout.decode("utf-8", errors="replace"), screen))


# -- public API --------------------------------------------------------------------------
def is_screened(rel: str) -> bool:
    """Whether :func:`check_release` reads the file at ``rel`` (a path in the release folder):
    pages, notebooks, spreadsheets, CSV, PDF and text files, not images, scripts and styles,
    nor the vendored MathJax."""
    if rel.startswith(_VENDORED):
        return False
    return (Path(rel).suffix.lower() in _SCREENED_SUFFIXES | _TEXT_SUFFIXES
            or rel == EXPLORE_DATA.as_posix())


def screen_rules(policy: Policy | None = None) -> dict:
    """What a file's screening depends on besides its content and path: the screens derived
    from the data contract as it is now, and the policy (JSON-serialisable; a release keeps
    its screening of unchanged files with it, with the package source)."""
    policy = policy if policy is not None else load_policy()
    screen = _Screen.from_contract()
    return {"identifier": screen.identifier.pattern, "kinds": screen.kinds,
            "column_word": screen.column_word.pattern,
            "distinctive": sorted(screen.distinctive),
            "policy": json.loads(json.dumps(policy.raw, sort_keys=True, default=str))}


def screen_files(release_dir: str | Path, files: Iterable[str] | None = None,
                 policy: Policy | None = None) -> dict[str, list[str]]:
    """Screen each file of a release folder on its own (no tables' audit).

    Parameters
    ----------
    release_dir : str or Path
        The release folder.
    files : iterable of str, optional
        Only these files (paths relative to the folder; default: every file).
    policy : Policy, optional
        Defaults to the packaged policy.

    Returns
    -------
    dict of str to list of str
        Every screened file (:func:`is_screened`) -> its problems (:func:`check_release`'s
        lines; empty: clean).
    """
    policy = policy if policy is not None else load_policy()
    root = Path(release_dir)
    screen = _Screen.from_contract()  # the contract as it is now: one derivation per check
    only = None if files is None else set(files)
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if (only is not None and rel not in only) or not is_screened(rel):
            continue
        suffix = path.suffix.lower()
        if suffix in {".html", ".htm"}:
            problems = _check_html(path, rel, screen)
        elif suffix == ".csv":
            problems = _check_csv(path, rel, policy, screen)
        elif suffix == ".xlsx":
            problems = _check_xlsx(path, rel, policy, screen)
        elif suffix == ".ods":
            problems = _check_ods(path, rel, policy, screen)
        elif suffix == ".ipynb":
            problems = _check_notebook(path, rel, screen)
        elif suffix == ".pdf":
            problems = _check_pdf(path, rel, screen)
        else:
            problems = _check_text(path, rel, screen)
        found[rel] = _first_per_kind(problems)
    return found


def check_release(release_dir: str | Path, policy: Policy | None = None,
                  earlier: Sequence[str | Path] = (), *, files: Iterable[str] | None = None,
                  audit: bool = True) -> list[str]:
    """List disclosure problems in a release folder (empty list = clean).

    Parameters
    ----------
    release_dir : str or Path
        The release folder (``_build/release/<period>/``) or any folder of artefacts.
    policy : Policy, optional
        Gives the suppression threshold and the count units; defaults to the packaged
        policy.
    earlier : sequence of path
        Release folders of the editions readers had before this one (:func:`audit_tables`).
    files : iterable of str, optional
        Screen only these files (paths relative to the folder; default: every file). A release
        screens most of its folder while its PDF prints, then what was added or changed since.
    audit : bool
        Whether to run the tables' audit and the table builder's comparison (default True).

    Returns
    -------
    list of str
        One line per problem, naming the file and where in it (sheet and cell, CSV row,
        notebook cell, ...). Checked: ``.html``/``.htm`` (text and table cells), ``.pdf``
        (text via ``pdftotext``), ``.xlsx`` and ``.ods`` (every cell; counts in columns headed
        ``(number)``), ``.csv`` (text; counts by the ``unit`` column), ``.ipynb`` (sources
        and outputs), ``.json``/``.txt``/``.md``/``.xml``/``.tex`` (text). Script and style
        assets (``.js``, ``.css``), the vendored MathJax (``html/_static/mathjax/``) and
        images are not checked, but for the table builder's
        data (``html/_static/explore/data.js``): its text is screened, and every figure in it
        must be the published CSV figure (:func:`explore_data_problems`). When the folder has
        ``csv/``, every suppressed figure is also checked against what a reader can work out
        from the published figures (:func:`audit_tables`).
    """
    policy = policy if policy is not None else load_policy()
    root = Path(release_dir)
    if not root.is_dir():
        return [f"{root}: release folder not found"]
    found = screen_files(root, files, policy)
    problems = [p for rel in sorted(found, key=Path) for p in found[rel]]
    if audit and (root / "csv").is_dir():
        problems.extend(audit_tables(root, policy, earlier)[0])
        # The table builder shows exactly the published CSV figures, nothing else.
        problems.extend(explore_data_problems(root))
    return problems


def assert_release_clean(release_dir: str | Path, policy: Policy | None = None,
                         earlier: Sequence[str | Path] = ()) -> None:
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
    problems = check_release(release_dir, policy, earlier)
    if problems:
        raise DisclosureError(problems)
