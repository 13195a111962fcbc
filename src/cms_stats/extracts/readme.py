"""Regenerate the column tables of ``data/README.md`` from :data:`CONTRACT`.

Run ``python -m cms_stats.extracts.readme`` after changing the contract; a test checks that the
README and the contract agree.
"""

from __future__ import annotations

from pathlib import Path

from cms_stats import paths

from .contract import contract_markdown

BEGIN = "<!-- BEGIN CONTRACT TABLES (generated from cms_stats.extracts.CONTRACT: do not edit by hand) -->"
END = "<!-- END CONTRACT TABLES -->"
README = paths.DATA_DIR / "README.md"


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
