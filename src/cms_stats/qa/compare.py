"""Two releases from the same inputs must be the same: CSV bytes, spreadsheet cells, notebook outputs.

``compare_releases(a, b)`` returns readable difference lines (empty when identical):

- ``csv/``: the same file names and byte-identical files (``metadata.json`` included);
- ``tables.xlsx``: the same sheets in the same order, and every cell's value equal (openpyxl);
- ``tables.ods``: the same bytes (it is written deterministically);
- ``notebooks/*.ipynb``: the same cells (source) with the same outputs, all MIME types including
  images, after dropping what records *when* or *how long* (papermill and execution timings;
  execution counts are kept: they are deterministic in a top-to-bottom run). Each release's build
  root is written ``<build>`` first, so two build roots can be compared.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

MAX_LINES_PER_FILE = 20
# Metadata that records when or how long, not what: dropped before comparing notebooks.
_VOLATILE_NB_KEYS = ("papermill", "execution")


def _rel_files(folder: Path, pattern: str) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.glob(pattern) if p.is_file()}


def compare_csv(a: Path, b: Path) -> list[str]:
    """Differences between two ``csv/`` folders: missing files, and files whose bytes differ."""
    out = []
    fa, fb = _rel_files(a, "**/*"), _rel_files(b, "**/*")
    out += [f"csv/{f}: only in {a.parent.name} (first)" for f in sorted(fa - fb)]
    out += [f"csv/{f}: only in {b.parent.name} (second)" for f in sorted(fb - fa)]
    for f in sorted(fa & fb):
        ba, bb = (a / f).read_bytes(), (b / f).read_bytes()
        if ba != bb:
            la, lb = ba.decode("utf-8", "replace").splitlines(), bb.decode("utf-8", "replace").splitlines()
            diff = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
            out.append(
                f"csv/{f}: bytes differ ({len(ba)} vs {len(bb)} bytes); first difference at line {diff + 1}: "
                f"{la[diff] if diff < len(la) else '<end>'!r} vs {lb[diff] if diff < len(lb) else '<end>'!r}"
            )
    return out


def compare_workbooks(a: Path, b: Path) -> list[str]:
    """Differences between two workbooks: sheet names and order, then every cell value."""

    wa, wb = load_workbook(a, read_only=True), load_workbook(b, read_only=True)
    try:
        if wa.sheetnames != wb.sheetnames:
            return [f"{a.name}: sheets differ: {wa.sheetnames} vs {wb.sheetnames}"]
        out = []
        for name in wa.sheetnames:
            rows_a = [tuple(c.value for c in row) for row in wa[name].iter_rows()]
            rows_b = [tuple(c.value for c in row) for row in wb[name].iter_rows()]
            diffs = []
            if len(rows_a) != len(rows_b):
                diffs.append(f"{a.name}[{name}]: {len(rows_a)} rows vs {len(rows_b)} rows")
            for r, (ra, rb) in enumerate(zip(rows_a, rows_b), start=1):
                width = max(len(ra), len(rb))
                ra, rb = ra + (None,) * (width - len(ra)), rb + (None,) * (width - len(rb))
                for c, (va, vb) in enumerate(zip(ra, rb), start=1):
                    if va != vb or type(va) is not type(vb):
                        diffs.append(f"{a.name}[{name}]!{_cell_name(r, c)}: {va!r} vs {vb!r}")
            out += diffs[:MAX_LINES_PER_FILE]
            if len(diffs) > MAX_LINES_PER_FILE:
                out.append(f"{a.name}[{name}]: ... {len(diffs) - MAX_LINES_PER_FILE} more differences")
        return out
    finally:
        wa.close()
        wb.close()


def _cell_name(row: int, col: int) -> str:

    return f"{get_column_letter(col)}{row}"


BUILD_ROOT_PLACEHOLDER = "<build>"


def notebook_outputs(path: Path, build_root: str | os.PathLike[str] | None = None) -> list[dict]:
    """Cells of an executed notebook reduced to what they say: type, source, outputs.

    Timing metadata (papermill start/end/duration, ``execution`` timestamps) is dropped; output
    metadata is kept apart from those keys, so a changed figure size or glue record still shows.
    ``build_root`` (the folder holding ``release/`` and ``work/``) is written ``<build>``: two
    builds into different roots pass different ``work_dir`` parameters, which is not a difference.
    """
    text = path.read_text(encoding="utf-8")
    if build_root is not None:
        text = text.replace(json.dumps(str(build_root))[1:-1], BUILD_ROOT_PLACEHOLDER)
    nb = json.loads(text)
    cells = []
    for cell in nb.get("cells", []):
        outputs = copy.deepcopy(cell.get("outputs", []))
        for o in outputs:
            for key in _VOLATILE_NB_KEYS:
                o.get("metadata", {}).pop(key, None)
            # nbformat stores multi-line strings as lists of lines or as one string: same text.
            if isinstance(o.get("text"), list):
                o["text"] = "".join(o["text"])
            for mime, value in (o.get("data") or {}).items():
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    o["data"][mime] = "".join(value)
        src = cell.get("source", "")
        cells.append({
            "cell_type": cell.get("cell_type"),
            "source": "".join(src) if isinstance(src, list) else src,
            "outputs": outputs,
        })
    return cells


def compare_notebooks(a: Path, b: Path, roots: tuple[Path | None, Path | None] = (None, None)) -> list[str]:
    """Differences between two folders of executed notebooks, cell by cell, output by output.

    ``roots`` are the two build roots, replaced by ``<build>`` before comparing.
    """
    out = []
    fa, fb = _rel_files(a, "*.ipynb"), _rel_files(b, "*.ipynb")
    out += [f"notebooks/{f}: only in the first release" for f in sorted(fa - fb)]
    out += [f"notebooks/{f}: only in the second release" for f in sorted(fb - fa)]
    for f in sorted(fa & fb):
        ca, cb = notebook_outputs(a / f, roots[0]), notebook_outputs(b / f, roots[1])
        if len(ca) != len(cb):
            out.append(f"notebooks/{f}: {len(ca)} cells vs {len(cb)} cells")
            continue
        diffs = []
        for i, (x, y) in enumerate(zip(ca, cb)):
            if x["source"] != y["source"]:
                diffs.append(f"notebooks/{f} cell {i}: source differs: {_first_line_difference(x['source'], y['source'])}")
            elif x["outputs"] != y["outputs"]:
                diffs.append(f"notebooks/{f} cell {i} ({x['source'][:60]!r}): outputs differ: "
                             + _first_output_difference(x["outputs"], y["outputs"]))
        out += diffs[:MAX_LINES_PER_FILE]
        if len(diffs) > MAX_LINES_PER_FILE:
            out.append(f"notebooks/{f}: ... {len(diffs) - MAX_LINES_PER_FILE} more differences")
    return out


def _first_line_difference(x: str, y: str) -> str:
    lx, ly = x.splitlines(), y.splitlines()
    for n, (a, b) in enumerate(zip(lx, ly), start=1):
        if a != b:
            return f"line {n}: {a[:200]!r} vs {b[:200]!r}"
    return f"{len(lx)} lines vs {len(ly)} lines"


def _first_output_difference(xs: list[dict], ys: list[dict]) -> str:
    if len(xs) != len(ys):
        return f"{len(xs)} outputs vs {len(ys)} outputs"
    for k, (x, y) in enumerate(zip(xs, ys)):
        for key in sorted(set(x) | set(y)):
            if x.get(key) == y.get(key):
                continue
            if isinstance(x.get(key), dict) and isinstance(y.get(key), dict):
                for sub in sorted(set(x[key]) | set(y[key])):
                    vx, vy = x[key].get(sub), y[key].get(sub)
                    if vx != vy:
                        if isinstance(vx, str) and isinstance(vy, str):
                            return f"output {k} {key}[{sub!r}]: {_first_text_difference(vx, vy)}"
                        return f"output {k} {key}[{sub!r}]: {_show(vx)} vs {_show(vy)}"
            if isinstance(x.get(key), str) and isinstance(y.get(key), str):
                return f"output {k} {key}: {_first_text_difference(x[key], y[key])}"
            return f"output {k} {key}: {_show(x.get(key))} vs {_show(y.get(key))}"
    return "?"


def _first_text_difference(x: str, y: str, context: int = 80) -> str:
    """Where two texts first differ, with a little context (long HTML lines are common)."""
    i = next((n for n, (a, b) in enumerate(zip(x, y)) if a != b), min(len(x), len(y)))
    start = max(0, i - context)
    return f"at character {i}: ...{x[start:i + context]!r} vs ...{y[start:i + context]!r}"


def _show(value: object, limit: int = 300) -> str:
    text = "".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else repr(value)
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def compare_releases(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> list[str]:
    """Every difference between two releases built from the same inputs (empty list = identical).

    Parameters
    ----------
    first, second : path
        Release folders (``_build/release/<period>``), each with ``csv/``, ``tables.xlsx`` and
        ``notebooks/``.

    Returns
    -------
    list of str
        One readable line per difference (capped per file).
    """
    a, b = Path(first), Path(second)
    out = []
    for part in ("csv", "notebooks", "tables.xlsx"):
        for root in (a, b):
            if not (root / part).exists():
                out.append(f"{root}: no {part}")
    if out:
        return out
    out += compare_csv(a / "csv", b / "csv")
    out += compare_workbooks(a / "tables.xlsx", b / "tables.xlsx")
    # The OpenDocument edition is made deterministic: the same bytes (when either has one).
    if (a / "tables.ods").is_file() or (b / "tables.ods").is_file():
        if not ((a / "tables.ods").is_file() and (b / "tables.ods").is_file()):
            out.append("tables.ods: only in one of the releases")
        elif (a / "tables.ods").read_bytes() != (b / "tables.ods").read_bytes():
            out.append("tables.ods: bytes differ")
    # <build>/release/<period>: the build root is two levels up.
    out += compare_notebooks(a / "notebooks", b / "notebooks", (a.resolve().parent.parent, b.resolve().parent.parent))
    return out
