"""The rounding and disclosure policy and the measure metadata, read from data files.

The policy (``resources/rounding_policy.yaml``) says how every figure is rounded, which
counts are suppressed, where a figure is not applicable, and how revisions are handled.
The metadata (``resources/measures_metadata.yaml``) gives the publication's details, column
descriptions and the text of every note. What is said of each table and measure (its rounding
base, overrides, [z] rules, titles, labels, units, notes) comes from the registry
(``resources/tables.yaml``, :mod:`cms_stats.registry`): both loaders merge it in, so it is
stated once. Nothing here hard-codes a rounding base; an undeclared table or measure is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cms_stats.files import read_yaml
from cms_stats.paths import RESOURCES_DIR
from cms_stats.registry import Registry, RegistryError, load_registry

POLICY_FILE = RESOURCES_DIR / "rounding_policy.yaml"
METADATA_FILE = RESOURCES_DIR / "measures_metadata.yaml"


class PolicyError(ValueError):
    """The rounding policy or the measure metadata file is malformed."""


@dataclass(frozen=True)
class UnitRule:
    """How one unit is published: scale, then round to a ``base`` or to ``decimals``."""

    unit: str
    published_unit: str
    scale: float = 1.0
    base: int | None = None
    decimals: int | None = None

    def in_words(self) -> str:
        """How a figure is rounded, as the CSV metadata and the Methodology say it:
        ``"nearest 100"`` or ``"1 decimal place"``."""
        if self.base is not None:
            return f"nearest {self.base}"
        return f"{self.decimals} decimal place{'s' if self.decimals != 1 else ''}"


@dataclass(frozen=True)
class Policy:
    """The parsed rounding and disclosure policy (see ``rounding_policy.yaml``).

    Attributes
    ----------
    raw : dict
        The YAML content as read.
    threshold : int
        Counts with ``0 < value < threshold`` are suppressed.
    suppressed_units : tuple of str
        Units the suppression threshold applies to (``count``).
    symbols : dict
        ``suppressed``, ``not_applicable``, ``not_available``, ``low`` -> symbol text.
    """

    raw: dict = field(repr=False)
    threshold: int
    suppressed_units: tuple[str, ...]
    symbols: dict[str, str]
    registry: Registry = field(repr=False, default_factory=load_registry)
    #: unit_rule's answers (asked tens of thousands of times a release; the policy is frozen)
    _rules: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- lookups ---------------------------------------------------------------------
    def unit_rule(self, table: str, measure: str, unit: str) -> UnitRule:
        """Return the rounding rule for ``measure`` of ``table`` computed in ``unit``.

        Parameters
        ----------
        table, measure : str
            Table identifier (``"T1"``) and measure name.
        unit : str
            Unit as computed (``count``, ``gbp``, ``share``, ``mean``) or as published.

        Returns
        -------
        UnitRule
        """
        key = (table, measure, unit)
        if key not in self._rules:
            self._rules[key] = self._unit_rule(table, measure, unit)
        return self._rules[key]

    def _unit_rule(self, table: str, measure: str, unit: str) -> UnitRule:
        units = self.raw["units"]
        try:
            self.registry.measure(table, measure)
        except RegistryError as err:  # never a silent default base for an unknown table
            raise PolicyError(str(err)) from None
        table_cfg = self.raw["tables"][table]
        measure_cfg = (table_cfg.get("measures") or {}).get(measure, {}) or {}
        if unit not in units:
            raise PolicyError(f"rounding_policy.yaml: no rule for unit {unit!r} ({table} {measure})")
        cfg = units[unit]
        base = cfg.get("base")
        if unit == "count":
            base = measure_cfg.get("count_base", table_cfg.get("count_base", base))
        # A measure may override how it is published (e.g. money in GBP thousand).
        # Not applied to a value already in its published unit, so rounding is idempotent.
        overrides = {k: measure_cfg[k] for k in ("published_unit", "scale", "decimals") if k in measure_cfg}
        if overrides.get("published_unit") == unit:
            overrides = {}
        decimals = overrides.get("decimals", cfg.get("decimals"))
        return UnitRule(
            unit=unit,
            published_unit=str(overrides.get("published_unit", cfg["published_unit"])),
            scale=float(overrides.get("scale", cfg.get("scale", 1.0))),
            base=int(base) if base is not None and "decimals" not in overrides else None,
            decimals=int(decimals) if decimals is not None else None,
        )

    def published_unit(self, table: str, measure: str, unit: str) -> str:
        """Return the unit a measure is published in (``count``, ``gbp_million``, ...)."""
        return self.unit_rule(table, measure, unit).published_unit

    def decimals(self, table: str, measure: str, unit: str) -> int:
        """Number of decimal places a published value of this measure has."""
        rule = self.unit_rule(table, measure, unit)
        return 0 if rule.base is not None else int(rule.decimals or 0)

    def not_applicable_reason(
        self, table: str, measure: str, breakdown: str, period: str
    ) -> str | None:
        """Return the reason a figure is not applicable (``[z]``), or ``None``."""
        for rule in self.raw.get("not_applicable") or []:
            if rule.get("table") not in (None, table):
                continue
            if rule.get("measure") not in (None, measure):
                continue
            if rule.get("breakdown") not in (None, breakdown):
                continue
            before = rule.get("before")
            if before is not None and not period < str(before):
                continue
            return str(rule.get("reason", "not applicable"))
        return None

    def completes_months(self, table: str) -> bool:
        """Whether ``table`` is published as a full grid of months (missing -> ``[x]``)."""
        table_cfg = self.raw.get("tables", {}).get(table, {}) or {}
        return bool(table_cfg.get("complete_months", self.raw.get("complete_months", True)))

    @property
    def minimum_sample(self) -> int:
        """A mean (and what is computed from it) from a smaller sample is published ``[low]``."""
        return int(self.raw["suppression"].get("minimum_sample", 30))

    @property
    def share_complements(self) -> bool:
        """Whether a share whose numerator and denominator differ by a count below the threshold
        is suppressed too (the difference is not a published count; see rounding_policy.yaml)."""
        return bool(self.raw["suppression"].get("share_complements", False))

    @property
    def money_protection_percent(self) -> float:
        """A suppressed money figure must not be narrowed to less than this % of its value."""
        return float(self.raw["suppression"].get("money_protection_percent", 10))

    @property
    def dominance(self) -> tuple[int, float]:
        """The (n, k) dominance rule for money: suppressed when the ``n`` largest contributors
        make up more than ``k`` per cent of the figure."""
        rule = self.raw["suppression"].get("dominance") or {}
        return int(rule.get("n", 2)), float(rule.get("k", 90))

    @property
    def symbol_definitions(self) -> dict[str, str]:
        """Symbol -> explanation (with the threshold filled in)."""
        defs = self.raw.get("symbol_definitions") or {}
        n, k = self.dominance
        return {key: str(v).format(threshold=self.threshold, minimum_sample=self.minimum_sample,
                                   n=n, k=f"{k:g}") for key, v in defs.items()}

    @property
    def revision_threshold_percent(self) -> float:
        """Changes below this percentage keep the previously published figure."""
        return float(self.raw.get("revisions", {}).get("threshold_percent", 5))

    @property
    def always_revise(self) -> tuple[str, ...]:
        """Tables whose figures are always revised (appeals)."""
        return tuple(self.raw.get("revisions", {}).get("always_revise", []) or [])

    def unit_label(self, published_unit: str) -> str:
        """Reader-facing label of a published unit (``number``, ``GBP million``, ``%``)."""
        units = self.raw.get("published_units") or {}
        return str((units.get(published_unit) or {}).get("label", published_unit))

    @property
    def all_symbols(self) -> tuple[str, ...]:
        """Every symbol the policy can publish."""
        return tuple(v for v in self.symbols.values() if v)


def _read_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = read_yaml(fh)
    except (OSError, yaml.YAMLError) as err:
        raise PolicyError(f"{path.name}: cannot read: {err}") from err
    if not isinstance(data, dict):
        raise PolicyError(f"{path.name}: expected a mapping at the top level")
    return data


def load_policy(path: str | Path | None = None, registry: Registry | None = None) -> Policy:
    """Load the rounding and disclosure policy, with the registry's per-table rules.

    Parameters
    ----------
    path : str or Path, optional
        A policy YAML file; defaults to ``cms_stats/resources/rounding_policy.yaml``.
    registry : Registry, optional
        The tables (count bases, overrides, ``[z]`` rules); defaults to
        :func:`cms_stats.registry.load_registry`.

    Returns
    -------
    Policy

    Raises
    ------
    PolicyError
        If the file is missing, unreadable or lacks a required section.
    """
    path = Path(path) if path is not None else POLICY_FILE
    raw = _read_yaml(path)
    for key in ("symbols", "suppression", "units"):
        if key not in raw:
            raise PolicyError(f"{path.name}: missing section {key!r}")
    for key in ("tables", "not_applicable"):
        if key in raw:  # stated once, in the registry
            raise PolicyError(f"{path.name}: section {key!r} belongs in tables.yaml (the registry)")
    registry = registry if registry is not None else load_registry()
    raw = dict(raw, tables=registry.rounding_tables(),
               not_applicable=registry.not_applicable_rules())
    for unit, cfg in raw["units"].items():
        if "published_unit" not in cfg or ("base" not in cfg and "decimals" not in cfg):
            raise PolicyError(f"{path.name}: unit {unit!r} needs published_unit and base or decimals")
    symbols = {k: str(v) for k, v in raw["symbols"].items() if v}
    for needed in ("suppressed", "not_applicable", "not_available"):
        if needed not in symbols:
            raise PolicyError(f"{path.name}: symbols: missing {needed!r}")
    supp = raw["suppression"]
    return Policy(
        raw=raw,
        threshold=int(supp.get("threshold", 10)),
        suppressed_units=tuple(supp.get("units", ["count"])),
        symbols=symbols,
        registry=registry,
    )


def load_metadata(path: str | Path | None = None, registry: Registry | None = None) -> dict[str, Any]:
    """Load the publication metadata, with the registry's tables (titles, labels, units, notes).

    Parameters
    ----------
    path : str or Path, optional
        Defaults to ``cms_stats/resources/measures_metadata.yaml``.
    registry : Registry, optional
        Defaults to :func:`cms_stats.registry.load_registry`.

    Returns
    -------
    dict
        Keys ``publication``, ``columns``, ``notes``, ``tables`` (table id -> title,
        description, frequency, notes, measures (name -> label, description, unit,
        breakdowns)).
    """
    path = Path(path) if path is not None else METADATA_FILE
    meta = _read_yaml(path)
    for key in ("publication", "columns", "notes"):
        if key not in meta:
            raise PolicyError(f"{path.name}: missing section {key!r}")
    if "tables" in meta:  # stated once, in the registry
        raise PolicyError(f"{path.name}: section 'tables' belongs in tables.yaml (the registry)")
    registry = registry if registry is not None else load_registry()
    meta = dict(meta, tables=registry.metadata_tables())
    for table, cfg in meta["tables"].items():
        for note in cfg.get("notes", []) or []:
            if note not in meta["notes"]:
                raise PolicyError(f"{path.name}: table {table} refers to unknown note {note!r}")
    return meta
