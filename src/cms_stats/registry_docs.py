"""The files generated from the registry: ``_toc.yml`` (the project's, and each edition's in its
staged book) and DESIGN.md's table of tables.

``cms-stats registry`` writes them and ``--check`` (and a test) says whether they are current.
"""

from __future__ import annotations

from pathlib import Path

from cms_stats import paths
from cms_stats.registry import Registry, load_registry


def toc(registry: Registry, period: str | None = None) -> str:
    """The text of ``_toc.yml``: the chapters in book order (generated, never edited); with
    ``period``, those in its edition (:meth:`Registry.chapters_in_edition`)."""
    first, *rest = registry.chapters_in_edition(period)
    lines = ["# Generated from src/cms_stats/resources/tables.yaml (`cms-stats registry`): "
             "edit the registry, not this file.",
             "# Paths have no extension: the release stages the executed .ipynb in place "
             "of the .md.",
             "format: jb-book", f"root: {registry.chapters[first].docname}", "chapters:"]
    lines += [f"  - file: {registry.chapters[name].docname}" for name in rest]
    return "\n".join(lines) + "\n"


def measures_markdown(registry: Registry) -> str:
    """The table of tables and measures in ``DESIGN.md`` (generated, never edited)."""
    out = ["| table | chapter | frequency | from | measures (unit; breakdowns besides `all`) |",
           "|---|---|---|---|---|"]
    for t in registry.tables.values():
        whole = [r.before for r in t.not_applicable if r.measure is None]
        cells = []
        for m in t.measures.values():
            extra = [b for b in m.breakdowns if b != "all"]
            if m.breakdowns_from:  # areas are data (resources/areas.csv): named, not listed
                extra = [f"by {m.breakdowns_from}, {len(extra)} from areas.csv"]
            cells.append(f"`{m.name}` ({m.unit}" + (f"; {', '.join(f'`{b}`' for b in extra)}" if extra else "") + ")")
        out.append(f"| {t.id} | {t.chapter} | {t.frequency} | {whole[0] if whole else ''} | {', '.join(cells)} |")
    return "\n".join(out) + "\n"


DESIGN_BEGIN = ("<!-- BEGIN REGISTRY TABLES (generated from src/cms_stats/resources/tables.yaml by "
                "`cms-stats registry`: do not edit by hand) -->")
DESIGN_END = "<!-- END REGISTRY TABLES -->"


def registry_files(registry: Registry | None = None) -> dict[Path, str]:
    """The project files generated from the registry, with the text each should have:
    ``_toc.yml`` and ``DESIGN.md`` (its table of tables between the markers)."""
    registry = registry or load_registry()
    design = paths.PROJECT_ROOT / "DESIGN.md"
    text = design.read_text(encoding="utf-8")
    head, rest = text.split(DESIGN_BEGIN, 1)
    _, tail = rest.split(DESIGN_END, 1)
    return {paths.PROJECT_ROOT / "_toc.yml": toc(registry),
            design: f"{head}{DESIGN_BEGIN}\n\n{measures_markdown(registry)}\n{DESIGN_END}{tail}"}
