"""The registry of chapters and tables: ``resources/tables.yaml``, loaded and checked once.

Every table of the publication is declared once (id, chapter, title, measures with their units
and rounding, breakdowns, when it applies, the extracts it reads, the functions that compute
it, its charts and notes) and every chapter once (in book order, with the working files it may
read). The measures' wiring, the rounding policy's per-table rules, the spreadsheet and CSV
metadata, each chapter's declared inputs and the book's table of contents are derived from it.

Anything unknown (a key, a unit, a chapter, a note, a period) is a :class:`RegistryError` when
the registry loads, never a silent default.

>>> reg = load_registry()
>>> reg.table_order[:3]
('T1', 'T2', 'T3')
>>> reg.tables["T2"].measures["caseload"].unit
'count'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cms_stats import areas, paths
from cms_stats.files import read_yaml
from cms_stats.months import is_month
from cms_stats.needs import Need, parse_needs
from cms_stats.relations import Relation, Term, complete_terms, parse_relation, parse_term

__all__ = ["RegistryError", "Registry", "TableSpec", "MeasureSpec", "ChapterSpec", "ComputeSpec",
           "NotApplicableRule", "Term", "Relation", "load_registry", "REGISTRY_FILE", "UNITS", "SCOPES",
           "WORKING_FILES"]

REGISTRY_FILE = paths.RESOURCES_DIR / "tables.yaml"
NOTES_FILE = paths.RESOURCES_DIR / "measures_metadata.yaml"
#: Units a measure is computed in (``share`` is 0..1).
UNITS = ("count", "gbp", "share", "mean")
#: How often a compute function is called (see tables.yaml).
SCOPES = ("period",)  # every month at once (the engine; no pass over the months)
FREQUENCIES = ("monthly", "month end", "quarter to month", "release")
#: Working files (other than the measures) a chapter may declare.
WORKING_FILES = ("extract.json", "validation.json", "revisions.csv", "edition.json")
PUBLISHED_UNITS = ("count", "gbp_million", "gbp_thousand", "percent", "mean", "days")

_TABLE_KEYS = {"chapter", "title", "description", "frequency", "reads", "compute", "count_base",
               "complete_months", "not_applicable", "charts", "notes", "measures", "first_edition",
               "relations", "needs"}
_TABLE_REQUIRED = {"chapter", "title", "description", "frequency", "reads", "compute", "count_base",
                   "notes", "measures"}
_MEASURE_KEYS = {"label", "description", "unit", "breakdowns", "open_breakdowns", "count_base",
                 "published_unit", "scale", "decimals", "breakdowns_add_up", "ratio", "derived_from",
                 "sample", "contributors", "breakdowns_from", "adds_up_to"}
_RULE_KEYS = {"measure", "breakdown", "before", "reason"}
_CHAPTER_KEYS = {"tables", "files"}
_COMPUTE_RE = re.compile(r"(?P<module>[a-z_]+)\.(?P<function>[a-z_][a-z0-9_]*) per (?P<per>\w+)\Z")
_ROUNDING_NOTE_RE = re.compile(r"rounding_counts_(\d+)\Z")


class RegistryError(ValueError):
    """The registry file is malformed; the message names the table, measure or chapter."""


@dataclass(frozen=True)
class MeasureSpec:
    """One measure of a table: its label, unit, breakdowns and any rounding override."""

    name: str
    label: str
    description: str
    unit: str
    breakdowns: dict[str, str] = field(default_factory=dict)
    rounding: dict = field(default_factory=dict)  # count_base, published_unit, scale, decimals
    #: breakdowns come from the data (e.g. one per quarantine reason), besides those declared
    open_breakdowns: bool = False
    #: the breakdowns besides ``all`` add up to ``all`` (default: a count or money measure with
    #: ``all`` and at least one other breakdown)
    breakdowns_add_up: bool = False
    #: a share: (numerator, denominator); never published when either is suppressed
    ratio: tuple[Term, Term] | None = None
    #: other figures it is computed from: suppressed with any of them
    derived_from: tuple[Term, ...] = ()
    #: the sample size it is estimated from: ``[low]`` below the policy's minimum sample
    sample: Term | None = None
    #: money: the count of contributors (case groups, cases) it sums; ``[c]`` below the
    #: threshold, at the same breakdown when that count has it
    contributors: Term | None = None
    #: by area (cms_stats.areas: ``areas``, ``constituencies``, with the hierarchy's relations;
    #: ``adds_up_to``: the measure by ``areas`` the constituencies add up to)
    breakdowns_from: str | None = None
    adds_up_to: Term | None = None

    def allows(self, breakdown: str) -> bool:
        """Whether the measure may be computed with ``breakdown`` (``all`` when none declared)."""
        return self.open_breakdowns or breakdown in (self.breakdowns or {"all": ""})


@dataclass(frozen=True)
class ComputeSpec:
    """A function of ``cms_stats.measures`` that yields rows of a table, and how it is called."""

    module: str
    function: str
    per: str

    name = property(lambda self: f"{self.module}.{self.function}")


@dataclass(frozen=True)
class NotApplicableRule:
    """Figures before ``before`` (exclusive) are not applicable (``[z]``), for ``reason``."""

    before: str
    reason: str
    measure: str | None = None
    breakdown: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """One published table, as declared in ``tables.yaml``."""

    id: str
    chapter: str
    title: str
    description: str
    frequency: str
    reads: tuple[str, ...]
    compute: tuple[ComputeSpec, ...]
    count_base: int
    complete_months: bool
    not_applicable: tuple[NotApplicableRule, ...]
    charts: tuple[str, ...]
    notes: tuple[str, ...]
    measures: dict[str, MeasureSpec]
    #: The edition (period ``YYYY-MM``) the table is first published in; None: from the first.
    first_edition: str | None = None

    def in_edition(self, period: str) -> bool:
        """Whether the table is published in the edition of ``period`` (absent before it)."""
        return self.first_edition is None or period >= self.first_edition
    relations: tuple[Relation, ...] = ()
    #: What the table needs from the folder to be computable (cms_stats.needs; none: default).
    needs: tuple[Need, ...] = ()


@dataclass(frozen=True)
class ChapterSpec:
    """One chapter (``notebooks/<name>.md``) and the working files it may read."""

    name: str
    tables: tuple[str, ...]
    files: tuple[str, ...]

    #: The chapter's path in the book, without suffix.
    docname = property(lambda self: f"notebooks/{self.name}")


@dataclass(frozen=True)
class Registry:
    """Every chapter and table of the publication (see :func:`load_registry`)."""

    chapters: dict[str, ChapterSpec]
    tables: dict[str, TableSpec]
    source: Path = field(repr=False, default=REGISTRY_FILE)
    #: Table ids in publication order (T1, T2, ..., DQ: the order of the file).
    table_order = property(lambda self: tuple(self.tables))
    #: Chapter names in book order (the first is the root page).
    chapter_order = property(lambda self: tuple(self.chapters))

    def table(self, table: str) -> TableSpec:
        """The table ``table``; a :class:`RegistryError` when it is not declared."""
        try:
            return self.tables[table]
        except KeyError:
            raise RegistryError(f"table {table!r} is not in the registry ({self.source.name})") from None

    def measure(self, table: str, measure: str) -> MeasureSpec:
        """The measure ``measure`` of ``table``; a :class:`RegistryError` when not declared."""
        try:
            return self.table(table).measures[measure]
        except KeyError:
            raise RegistryError(f"measure {measure!r} is not declared for table {table} "
                                f"({self.source.name})") from None

    def chapter(self, name: str) -> ChapterSpec:
        """The chapter ``name``; a :class:`RegistryError` when it is not declared."""
        try:
            return self.chapters[name]
        except KeyError:
            raise RegistryError(f"chapter {name!r} is not in the registry ({self.source.name})") from None

    def chapter_tables(self, name: str) -> tuple[str, ...]:
        """The tables a chapter shows (those whose ``chapter`` is ``name``)."""
        return tuple(t.id for t in self.tables.values() if t.chapter == name)

    def chapters_in_edition(self, period: str | None = None) -> tuple[str, ...]:
        """Chapter names in book order in the edition of ``period`` (every chapter when None): a
        chapter that tables name as theirs is in an edition that publishes one of them."""
        if period is None:
            return self.chapter_order
        owned: dict[str, list[TableSpec]] = {}
        for t in self.tables.values():
            owned.setdefault(t.chapter, []).append(t)
        return tuple(c for c in self.chapter_order
                     if c not in owned or any(t.in_edition(period) for t in owned[c]))

    def tables_in_edition(self, period: str) -> tuple[str, ...]:
        """Table ids published in the edition of ``period`` (a table whose ``first_edition``
        is later is absent from it: not in its book, spreadsheet or CSV)."""
        return tuple(t.id for t in self.tables.values() if t.in_edition(period))

    def new_tables(self, period: str) -> tuple[str, ...]:
        """Table ids first published in the edition of ``period``."""
        return tuple(t.id for t in self.tables.values() if t.first_edition == period)

    def compute_functions(self) -> list[ComputeSpec]:
        """Every compute function once, in publication order."""
        seen: dict[str, ComputeSpec] = {}
        for t in self.tables.values():
            for c in t.compute:
                seen.setdefault(c.name, c)
        return list(seen.values())

    def additive_relations(self) -> list[Relation]:
        """Every relation a reader can use between published figures of a period (disclosure
        control): each measure's breakdowns adding up to ``all`` and the table's ``relations``."""
        out = []
        for t in self.tables.values():
            for m in t.measures.values():
                if m.breakdowns_add_up:
                    parts = tuple(Term(t.id, m.name, b) for b in m.breakdowns if b != "all")
                    out.append(Relation(t.id, Term(t.id, m.name), "=", parts,
                                        f"{m.name}: breakdowns add up to all", m.open_breakdowns))
                if m.breakdowns_from:
                    out.extend(areas.hierarchy_relations(t.id, m.name, m.breakdowns_from, m.adds_up_to))
            out.extend(t.relations)
        return out

    # -- derived views for the publication layer -----------------------------------------
    def rounding_tables(self) -> dict[str, dict]:
        """Per-table rounding rules in the rounding policy's shape (``count_base``, overrides)."""
        out = {}
        for t in self.tables.values():
            cfg: dict = {"count_base": t.count_base}
            if not t.complete_months:
                cfg["complete_months"] = False
            overrides = {m.name: dict(m.rounding) for m in t.measures.values() if m.rounding}
            if overrides:
                cfg["measures"] = overrides
            out[t.id] = cfg
        return out

    def not_applicable_rules(self) -> list[dict]:
        """The ``[z]`` rules in the rounding policy's shape (``table``, ``before``, ...)."""
        return [{"table": t.id, **{k: v for k, v in vars(r).items() if v is not None}}
                for t in self.tables.values() for r in t.not_applicable]

    def metadata_tables(self) -> dict[str, dict]:
        """Titles, descriptions, notes and measures in the metadata's shape (spreadsheet, CSV)."""
        out = {}
        for t in self.tables.values():
            measures = {}
            for m in t.measures.values():
                entry = {"label": m.label, "description": m.description, "unit": m.unit}
                if m.breakdowns:
                    entry["breakdowns"] = dict(m.breakdowns)
                measures[m.name] = entry
            out[t.id] = {"title": t.title, "description": t.description,
                         "frequency": t.frequency, "notes": list(t.notes), "measures": measures}
        return out


# ------------------------------------------------------------------------------------ loading
def _fail(where: str, message: str) -> RegistryError:
    return RegistryError(f"tables.yaml: {where}: {message}")


def _keys(where: str, mapping, allowed: set[str], required: set[str] = frozenset()) -> dict:
    if not isinstance(mapping, dict):
        raise _fail(where, "expected a mapping")
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(mapping))
    if missing:
        raise _fail(where, f"missing key {missing[0]!r}")
    return mapping


def _strings(where: str, value) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, "expected a list of names")
    return tuple(value)


def _measure(where: str, name: str, cfg) -> MeasureSpec:
    cfg = _keys(where, cfg, _MEASURE_KEYS, {"label", "description", "unit"})
    if cfg["unit"] not in UNITS:
        raise _fail(where, f"unknown unit {cfg['unit']!r} (one of {', '.join(UNITS)})")
    breakdowns = cfg.get("breakdowns") or {}
    source = cfg.get("breakdowns_from")
    if source is not None:  # areas are data (cms_stats.areas), not typed into the registry
        if source not in areas.BREAKDOWNS_FROM or breakdowns:
            raise _fail(where, f"breakdowns_from {source!r}: {'|'.join(areas.BREAKDOWNS_FROM)}, no breakdowns")
        breakdowns, cfg = areas.BREAKDOWNS_FROM[source](), {**cfg, "breakdowns_add_up": False}
    if not isinstance(breakdowns, dict):
        raise _fail(where, "breakdowns must be a mapping of breakdown -> label")
    rounding = {k: cfg[k] for k in ("count_base", "published_unit", "scale", "decimals") if k in cfg}
    if "published_unit" in rounding and rounding["published_unit"] not in PUBLISHED_UNITS:
        raise _fail(where, f"unknown published_unit {rounding['published_unit']!r}")
    if "count_base" in rounding and (cfg["unit"] != "count" or int(rounding["count_base"]) < 1):
        raise _fail(where, "count_base applies to counts only and must be a positive integer")
    parts = [b for b in breakdowns if b != "all"]
    adds = cfg.get("breakdowns_add_up", cfg["unit"] in ("count", "gbp") and "all" in breakdowns
                   and (bool(parts) or bool(cfg.get("open_breakdowns"))))
    if cfg["unit"] == "share" and "ratio" not in cfg:
        raise _fail(where, "a share states its ratio: '<numerator> / <denominator>'")
    if cfg["unit"] == "mean" and "sample" not in cfg:
        raise _fail(where, "a mean states the sample it is estimated from (sample: <measure>)")
    ratio = None
    if "ratio" in cfg:
        num, sep, den = str(cfg["ratio"]).partition("/")
        if not sep:
            raise _fail(where, f"ratio {cfg['ratio']!r} is not '<numerator> / <denominator>'")
        ratio = (_parsed(where, parse_term, num), _parsed(where, parse_term, den))
    return MeasureSpec(name=name, label=str(cfg["label"]), description=str(cfg["description"]),
                       unit=cfg["unit"], breakdowns={str(k): str(v) for k, v in breakdowns.items()},
                       rounding=rounding, open_breakdowns=bool(cfg.get("open_breakdowns", False)),
                       breakdowns_add_up=bool(adds), ratio=ratio,
                       derived_from=tuple(_parsed(where, parse_term, x)
                                          for x in _strings(where, cfg.get("derived_from"))),
                       sample=_parsed(where, parse_term, str(cfg["sample"])) if "sample" in cfg else None,
                       contributors=(_parsed(where, parse_term, str(cfg["contributors"]))
                                     if "contributors" in cfg else None), breakdowns_from=source,
                       adds_up_to=(_parsed(where, parse_term, str(cfg["adds_up_to"]))
                                   if "adds_up_to" in cfg else None))


def _parsed(where: str, parse, *args):
    """``parse(*args)`` (a term or relation of :mod:`cms_stats.relations`), failing as the registry."""
    try:
        return parse(*args)
    except ValueError as err:
        raise _fail(where, str(err)) from None


def _compute(where: str, value) -> tuple[ComputeSpec, ...]:
    out = []
    for text in _strings(where + ", compute", value):
        m = _COMPUTE_RE.match(text)
        if not m:
            raise _fail(where, f"compute {text!r} is not '<module>.<function> per <scope>'")
        if m["per"] not in SCOPES:
            raise _fail(where, f"compute {text!r}: unknown scope {m['per']!r} (one of {', '.join(SCOPES)})")
        out.append(ComputeSpec(m["module"], m["function"], m["per"]))
    if not out:
        raise _fail(where, "no compute function: every table is computed by at least one")
    return tuple(out)


def _rules(where: str, value, measures: dict[str, MeasureSpec]) -> tuple[NotApplicableRule, ...]:
    out = []
    for i, rule in enumerate(value or [], start=1):
        rw = f"{where}, not_applicable rule {i}"
        rule = _keys(rw, rule, _RULE_KEYS, {"before", "reason"})
        before = str(rule["before"])
        if not is_month(before):
            raise _fail(rw, f"before {before!r} is not a month YYYY-MM")
        measure = rule.get("measure")
        if measure is not None and measure not in measures:
            raise _fail(rw, f"unknown measure {measure!r}")
        breakdown = rule.get("breakdown")
        if breakdown is not None and not any(
                m.allows(str(breakdown)) for m in measures.values() if measure in (None, m.name)):
            raise _fail(rw, f"unknown breakdown {breakdown!r}")
        out.append(NotApplicableRule(before=before, reason=str(rule["reason"]), measure=measure,
                                     breakdown=rule.get("breakdown")))
    return tuple(out)


def _table(table_id: str, cfg, chapters: dict, notes: set[str]) -> TableSpec:
    where = f"table {table_id}"
    cfg = _keys(where, cfg, _TABLE_KEYS, _TABLE_REQUIRED)
    if cfg["chapter"] not in chapters:
        raise _fail(where, f"unknown chapter {cfg['chapter']!r}")
    if cfg["frequency"] not in FREQUENCIES:
        raise _fail(where, f"unknown frequency {cfg['frequency']!r} (one of {', '.join(FREQUENCIES)})")
    table_notes = _strings(where + ", notes", cfg["notes"])
    for note in table_notes:
        if note not in notes:
            raise _fail(where, f"unknown note {note!r} (notes are in {NOTES_FILE.name})")
    base = cfg["count_base"]
    if not isinstance(base, int) or base < 1:
        raise _fail(where, f"count_base {base!r} must be a positive integer")
    for note in table_notes:  # the note the reader sees must say the base actually used
        m = _ROUNDING_NOTE_RE.match(note)
        if m and int(m.group(1)) != base:
            raise _fail(where, f"note {note!r} contradicts count_base {base}")
    if not isinstance(cfg["measures"], dict) or not cfg["measures"]:
        raise _fail(where, "no measures")
    measures = {str(name): _measure(f"{where}, measure {name}", str(name), m)
                for name, m in cfg["measures"].items()}
    first = cfg.get("first_edition")
    if first is not None and not (isinstance(first, str) and is_month(first)):
        raise _fail(where, f"first_edition {first!r} must be an edition period 'YYYY-MM'")
    return TableSpec(
        id=table_id, chapter=cfg["chapter"], title=str(cfg["title"]),
        description=str(cfg["description"]), frequency=cfg["frequency"],
        reads=_strings(where + ", reads", cfg["reads"]), compute=_compute(where, cfg["compute"]),
        count_base=base, complete_months=bool(cfg.get("complete_months", True)),
        not_applicable=_rules(where, cfg.get("not_applicable"), measures),
        charts=_strings(where + ", charts", cfg.get("charts")), notes=table_notes,
        measures=measures, first_edition=first,
        needs=_parsed(where, parse_needs, "needs", cfg.get("needs"), measures),
        relations=tuple(_parsed(where, parse_relation, r, table_id)
                        for r in _strings(where + ", relations", cfg.get("relations"))))


def _read(path: Path) -> dict:
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise RegistryError(f"{path.name}: cannot read: {err}") from None
    if not isinstance(data, dict):
        raise RegistryError(f"{path.name}: expected a mapping at the top level")
    return data


def _parse(path: Path, notes_path: Path) -> Registry:
    data = _keys("top level", _read(path), {"chapters", "tables"}, {"chapters", "tables"})
    notes = set((_read(notes_path).get("notes") or {}))
    chapters_cfg = data["chapters"]
    if not isinstance(chapters_cfg, dict) or not chapters_cfg:
        raise _fail("chapters", "expected a mapping of chapter names")
    tables = {}
    for table_id, cfg in (data["tables"] or {}).items():
        table_id = str(table_id)
        if not re.fullmatch(r"T\d+|DQ", table_id):
            raise _fail(f"table {table_id}", "a table id is T<number> (or DQ, data quality)")
        tables[table_id] = _table(table_id, cfg, chapters_cfg, notes)
    chapters = {}
    for name, cfg in chapters_cfg.items():
        where = f"chapter {name}"
        cfg = _keys(where, cfg or {}, _CHAPTER_KEYS)
        reads = _strings(where + ", tables", cfg.get("tables"))
        files = _strings(where + ", files", cfg.get("files"))
        for t in reads:
            if t not in tables:
                raise _fail(where, f"unknown table {t!r}")
        for f in files:
            if f not in WORKING_FILES:
                raise _fail(where, f"unknown working file {f!r} (one of {', '.join(WORKING_FILES)})")
        if "extract.json" not in files:  # every page says whether its data is synthetic
            raise _fail(where, "must read extract.json (the synthetic-data notice depends on it)")
        shown = [t.id for t in tables.values() if t.chapter == name]
        missing = [t for t in shown if t not in reads]
        if missing:
            raise _fail(where, f"shows table {missing[0]} but does not declare it in its tables")
        chapters[str(name)] = ChapterSpec(name=str(name), tables=reads, files=files)
    try:
        tables = complete_terms(tables)
    except ValueError as err:
        raise RegistryError(f"tables.yaml: {err}") from None
    return Registry(chapters=chapters, tables=tables, source=path)


@functools.lru_cache(maxsize=8)
def _cached(path: str, notes_path: str, stamp: tuple) -> Registry:
    return _parse(Path(path), Path(notes_path))


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and check the registry.

    Parameters
    ----------
    path : str or Path, optional
        A registry file; defaults to ``cms_stats/resources/tables.yaml``.

    Returns
    -------
    Registry

    Raises
    ------
    RegistryError
        A malformed, unknown or missing entry, in one line naming where.
    """
    path = Path(path) if path is not None else REGISTRY_FILE
    try:  # re-read when either file changes (a long-lived kernel sees edits)
        stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in (path, NOTES_FILE))
    except OSError as err:
        raise RegistryError(f"{path.name}: cannot read: {err}") from None
    return _cached(str(path), str(NOTES_FILE), stamp)
