"""Regenerate the column tables of ``data/README.md`` from :data:`CONTRACT`.

Run ``python -m cms_stats.extracts.readme`` after changing the contract; a test checks that the
README and the contract agree.
"""

from __future__ import annotations

from pathlib import Path

from cms_stats import paths

from .contract import CONTRACT, ID_PATTERNS, KNOWN_AT_COLUMNS, KNOWN_AT_DEFINITION, Column

BEGIN = "<!-- BEGIN CONTRACT TABLES (generated from cms_stats.extracts.CONTRACT: do not edit by hand) -->"
END = "<!-- END CONTRACT TABLES -->"
README = paths.DATA_DIR / "README.md"


def _describe_type(col: Column) -> str:
    if col.type == "id":
        return f"id `{ID_PATTERNS[col.id_kind]}`"
    if col.type == "code" and col.codes_named:
        return f"code: {col.codes_named}"
    if col.type == "code":
        return "code: " + ", ".join(f"`{c}`" for c in col.codes)
    if col.type == "money":
        if col.min is None:
            return "money, any sign"
        return "money " + (">= 0" if col.min_inclusive else "> 0")
    if col.type == "integer" and col.min is not None:
        return f"integer {col.min:g}..{col.max:g}"
    return {"month": "text `YYYY-MM`", "date": "date", "count": "count >= 0"}.get(col.type, col.type)


def contract_markdown() -> str:
    """The column tables of ``data/README.md``, generated from :data:`CONTRACT`.

    Returns
    -------
    str
        Markdown: one section per file with its description, key, column table and rules.
    """
    out: list[str] = ["### The data as known at a cut-off", "", KNOWN_AT_DEFINITION, "",
                      KNOWN_AT_COLUMNS, ""]
    for spec in CONTRACT.values():
        where = f"`{spec.path}`" + (f", sheet `{spec.sheet}`" if spec.sheet else "")
        out.append(f"### {where}")
        out.append("")
        out.append(spec.description)
        out.append("")
        key = ", ".join(f"`{k}`" for k in spec.primary_key)
        if spec.delivery_column:
            key += f" (with `{spec.delivery_column}`, when present)"
        out.append(f"Key: {key} (unique).")
        if spec.total_row and spec.delivery_column:
            out.append(
                "Last row: `month` = `Total`, equal to the sum of the rows above it (of each "
                f"month's latest delivery, when `{spec.delivery_column}` is present; its "
                f"`{spec.delivery_column}` cell is left blank)."
            )
        elif spec.total_row:
            out.append(
                "Last row: `month` = `Total`, equal to the sum of the rows above it."
            )
        out.append("")
        out.append("| column | type | nullable | rule |")
        out.append("|---|---|---|---|")
        for col in spec.columns:
            name = f"`{col.name}` (optional)" if col.optional else f"`{col.name}`"
            out.append(
                f"| {name} | {_describe_type(col)} | {'yes' if col.nullable else 'no'} "
                f"| {col.rule} |"
            )
        optional = [c for c in spec.columns if c.optional]
        if optional:
            out.append("")
            out.append(
                "Optional columns (may be absent from the file; when absent the loader adds "
                "them as all-null and the folder lists them in `absent_columns`; when present "
                "they are checked like any other column): "
                + "; ".join(f"`{c.name}`: absent means {c.absent}" for c in optional)
                + "."
            )
        rules = list(spec.rules)
        if spec.window_column:
            rules.append(
                f"`{spec.window_column}` before 2013-08-01 or after the end of `last_month`: "
                "row quarantined"
            )
        if rules:
            out.append("")
            out.append("Rules: " + "; ".join(rules) + ".")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def update_readme(path: Path = README) -> bool:
    """Replace the generated section of the README; returns True if the file changed."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN.split(" (")[0], 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n\n{contract_markdown()}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":  # pragma: no cover
    print("updated" if update_readme() else "already up to date", README)
