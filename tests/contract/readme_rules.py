"""Parse the rules ``data/README.md`` states: each file's column rules and its ``Rules:`` line."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "data" / "README.md"


def readme_rules(text: str | None = None) -> list[tuple[str, str, str]]:
    """``(file, column or "", rule)`` for every rule of the generated contract tables.

    A column's rule is the last cell of its row (empty cells are no rule); a file's rules are
    its ``Rules:`` line, split at ``"; "``.
    """
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index("<!-- BEGIN CONTRACT TABLES")
    end = text.index("<!-- END CONTRACT TABLES")
    out, file = [], None
    for line in text[start:end].splitlines():
        m = re.match(r"### `([^`]+)`", line)
        if m:
            file = m.group(1)
            continue
        m = re.match(r"\| `([a-z0-9_]+)`(?: \(optional\))? \|.*\| ([^|]*) \|$", line)
        if m and file and m.group(2).strip():
            out.append((file, m.group(1), m.group(2).strip()))
            continue
        if line.startswith("Rules: ") and file:
            for rule in line[len("Rules: "):].rstrip(".").split("; "):
                out.append((file, "", rule.strip()))
    return out
