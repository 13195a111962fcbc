"""The data of the "Create your own table" page: the release's published CSV files, compacted.

The table builder of the web book (``resources/book/explore.js``) reads one file,
``html/_static/explore/data.js``, written at release time from exactly the files of the
release's ``csv/`` folder (the rounded, disclosure-controlled figures, never the working files):
every figure is the ``value`` text of its CSV row, symbols included. It is a script
(``window.CMS_EXPLORE_DATA = {...};``) rather than JSON because a page opened from a copy on a
laptop (``file://``) may load a script beside it but may not fetch a JSON file.

Beside the figures it carries what the book's tables show with them: each table's title,
column headers (label, breakdown and unit, as :func:`cms_stats.publish.rounding.column_header`
writes them), decimals, the period header, the table's notes, the symbols' definitions and the
SHA-256 of every CSV file it was built from. :func:`explore_data_problems` reads the file back
and compares every figure with the CSV files (the release's disclosure check runs it).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from cms_stats.months import is_month, month_short
from cms_stats.publish.policy import Policy, load_metadata, load_policy
from cms_stats.publish.rounding import _PERIOD_HEADERS, _table_key, column_header

__all__ = ["EXPLORE_DATA", "explore_data", "write_explore_data", "read_explore_data",
           "explore_data_problems"]

#: Where the table builder's data sit in a release folder (beside its script, in the book).
EXPLORE_DATA = Path("html") / "_static" / "explore" / "data.js"
_PREFIX = "window.CMS_EXPLORE_DATA = "
_SUFFIX = ";\n"
_FORMAT = 1


def _read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _table(table: str, rows: list[dict], policy: Policy, metadata: Mapping) -> dict:
    """One table of the builder from its CSV rows (in file order, which is the book's order)."""
    tcfg = metadata["tables"].get(table) or {}
    mcfgs = tcfg.get("measures") or {}
    periods = sorted({r["period"] for r in rows})
    index = {p: i for i, p in enumerate(periods)}
    columns: dict[tuple[str, str], dict] = {}
    measures: dict[str, dict] = {}
    for r in rows:
        key = (r["measure"], r["breakdown"])
        col = columns.get(key)
        if col is None:
            m, b, unit = r["measure"], r["breakdown"], r["unit"]
            mcfg = mcfgs.get(m) or {}
            if m not in measures:
                measures[m] = {"id": m, "label": mcfg.get("label") or m.replace("_", " ").capitalize(),
                               "description": mcfg.get("description", ""), "unit": unit,
                               "unit_label": policy.unit_label(unit), "breakdowns": []}
            measures[m]["breakdowns"].append(
                [b, "all" if b == "all" else str((mcfg.get("breakdowns") or {}).get(b, b))])
            col = columns[key] = {
                "measure": m, "breakdown": b, "unit": unit,
                "header": column_header(table, m, b, policy.unit_label(unit), metadata),
                "decimals": policy.decimals(table, m, unit), "values": [None] * len(periods)}
        elif col["unit"] != r["unit"]:
            raise ValueError(f"csv/{table}.csv: measure {r['measure']!r} has two units "
                             f"({col['unit']}, {r['unit']})")
        col["values"][index[r["period"]]] = r["value"]
    notes = metadata.get("notes") or {}
    return {
        "id": table, "title": tcfg.get("title", table), "description": tcfg.get("description", ""),
        "file": f"{table}.csv",
        "period_header": _PERIOD_HEADERS.get(str(tcfg.get("frequency")), "Period"),
        "periods": periods,
        "period_labels": [month_short(p) if is_month(p) else p for p in periods],
        "notes": [notes[n] for n in tcfg.get("notes") or [] if n in notes],
        "measures": list(measures.values()),
        "columns": list(columns.values()),
    }


def explore_data(csv_dir: str | Path, policy: Policy | None = None,
                 metadata: Mapping | None = None, symbol_links: Mapping | None = None) -> dict:
    """The table builder's data from a release's ``csv/`` folder.

    Parameters
    ----------
    csv_dir : str or Path
        The release's ``csv/`` folder (one tidy CSV per table and ``metadata.json``).
    policy, metadata : optional
        Default to the packaged rounding policy and metadata (labels, units, decimals, notes).
    symbol_links : mapping, optional
        Symbol -> the page and anchor of its note (the book's own table cells link the same).

    Returns
    -------
    dict
        ``format``, ``publication`` (from ``metadata.json``), ``symbols`` (symbol ->
        ``text``, ``href``), ``sources`` (CSV file -> SHA-256) and ``tables``: per table its
        ``id``, ``title``, ``description``, ``file``, ``period_header``, ``periods``,
        ``period_labels``, ``notes``, ``measures`` (``id``, ``label``, ``description``,
        ``unit``, ``unit_label``, ``breakdowns`` as [code, label]) and ``columns`` (one per
        measure and breakdown, in the book's order: ``measure``, ``breakdown``, ``unit``,
        ``header``, ``decimals`` and ``values``, the published text per period or null when
        the CSV has no row for it).
    """
    csv_dir = Path(csv_dir)
    policy = policy if policy is not None else load_policy()
    metadata = metadata if metadata is not None else load_metadata()
    files = sorted(csv_dir.glob("*.csv"), key=lambda p: _table_key(p.stem))
    if not files:
        raise FileNotFoundError(f"{csv_dir}: no published CSV files")
    published = json.loads((csv_dir / "metadata.json").read_text(encoding="utf-8"))
    pub = published.get("publication") or {}
    links = dict(symbol_links or {})
    return {
        "format": _FORMAT,
        "publication": {k: pub.get(k) for k in ("title", "period", "period_words", "synthetic",
                                                "published")},
        "not_available": policy.symbols["not_available"],
        "symbols": {s: {"text": text, "href": links.get(s, "")}
                    for s, text in policy.symbol_definitions.items()},
        "sources": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
        "tables": [_table(p.stem, _read_rows(p), policy, metadata) for p in files],
    }


def write_explore_data(release_dir: str | Path, policy: Policy | None = None,
                       metadata: Mapping | None = None,
                       symbol_links: Mapping | None = None) -> Path:
    """Write ``html/_static/explore/data.js`` of a release from its ``csv/`` folder.

    Parameters
    ----------
    release_dir : str or Path
        The release folder, with ``csv/`` written and the web book in ``html/``.
    policy, metadata, symbol_links : optional
        As :func:`explore_data`.

    Returns
    -------
    Path
        The file written (compact JSON in a script; deterministic bytes).
    """
    release_dir = Path(release_dir)
    data = explore_data(release_dir / "csv", policy, metadata, symbol_links)
    out = release_dir / EXPLORE_DATA
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    out.write_bytes((_PREFIX + text + _SUFFIX).encode("utf-8"))
    return out


def read_explore_data(path: str | Path) -> dict:
    """Read the table builder's data file back (the JSON inside the script).

    Raises
    ------
    ValueError
        The file is not a data file written by :func:`write_explore_data`.
    """
    text = Path(path).read_text(encoding="utf-8")
    if not (text.startswith(_PREFIX) and text.endswith(_SUFFIX)):
        raise ValueError(f"{path}: not a table builder data file")
    return json.loads(text[len(_PREFIX):-len(_SUFFIX)])


def explore_data_problems(release_dir: str | Path) -> list[str]:
    """Figures of the table builder's data that are not the release's published CSV figures.

    Every cell the builder can show must be a row of ``csv/<table>.csv`` with the same
    ``value`` (or absent from the CSV, shown as ``[x]`` like the book's tables), and every CSV
    row must be in it. A release without the builder's data has nothing to compare.

    Returns
    -------
    list of str
        One line per difference, naming the table, period, measure and breakdown.
    """
    release_dir = Path(release_dir)
    path = release_dir / EXPLORE_DATA
    if not path.is_file():
        return []
    rel = EXPLORE_DATA.as_posix()
    try:
        data = read_explore_data(path)
    except ValueError as err:
        return [str(err)]
    problems = []
    shown: dict[str, dict] = {}
    for t in data.get("tables", []):
        cells = shown.setdefault(t["id"], {})
        for col in t["columns"]:
            for period, value in zip(t["periods"], col["values"]):
                if value is not None:
                    cells[(period, col["measure"], col["breakdown"])] = value
    csv_dir = release_dir / "csv"
    files = {p.stem for p in csv_dir.glob("*.csv")}
    for table in sorted(set(shown) - files):
        problems.append(f"{rel}: table {table} has no published CSV file")
    for table in sorted(files, key=_table_key):
        rows = _read_rows(csv_dir / f"{table}.csv")
        published = {(r["period"], r["measure"], r["breakdown"]): r["value"] for r in rows}
        cells = shown.get(table, {})
        for key in sorted(set(published) | set(cells)):
            if published.get(key) != cells.get(key):
                problems.append(f"{rel}: {table} {' '.join(key)}: shows {cells.get(key)!r}, "
                                f"csv/{table}.csv has {published.get(key)!r}")
    return problems
