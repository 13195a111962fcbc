"""Rounding, suppression and symbols, applied only when publishing.

Measures are computed unrounded (``cms_stats.measures``); shares and changes are computed
from unrounded values. This module turns the unrounded tidy frame into the published one,
following ``resources/rounding_policy.yaml``.

Published values are **strings**: the exact text of the published figure (``"21400"``,
``"77.5"``, ``"33"``, ``"1.51"``) or a symbol (``"[c]"``, ``"[z]"``, ``"[x]"``,
``"[low]"``). Strings keep the published number of decimals and make the tidy CSV and the
revisions comparison exact; use :func:`to_number` to read one back as a number.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

import pandas as pd

from cms_stats.publish.policy import Policy, load_metadata

TIDY_COLUMNS = ["table", "period", "measure", "breakdown", "value", "unit"]
_PERIOD_HEADERS = {
    "monthly": "Month",
    "month end": "Month end",
    "quarter to month": "Quarter ending",
}


# -- numbers -------------------------------------------------------------------------
def _decimal(value: float | int | Decimal) -> Decimal:
    # repr gives the shortest string that round-trips, so 2.675 is treated as 2.675
    # (what the analyst sees) rather than its binary expansion 2.67499999...
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def round_half_up(
    value: float | int | Decimal, *, base: int | None = None, decimals: int | None = None
) -> int | float:
    """Round half up (half away from zero), to a multiple of ``base`` or to ``decimals``.

    Not banker's rounding: ``round_half_up(2.5, decimals=0) == 3`` and
    ``round_half_up(150, base=100) == 200``. Idempotent: rounding a rounded value with
    the same rule returns it unchanged.

    Parameters
    ----------
    value : float, int or Decimal
        A finite number.
    base : int, optional
        Round to the nearest multiple of ``base`` (result is an ``int``).
    decimals : int, optional
        Round to this many decimal places (``int`` when 0, else ``float``).

    Returns
    -------
    int or float
    """
    if (base is None) == (decimals is None):
        raise ValueError("give exactly one of base or decimals")
    d = _decimal(value)
    if not d.is_finite():
        raise ValueError(f"cannot round {value!r}")
    if base is not None:
        if base <= 0:
            raise ValueError("base must be positive")
        q = (d / Decimal(base)).quantize(Decimal(1), rounding=ROUND_HALF_UP) * Decimal(base)
        return int(q)
    q = d.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    if decimals == 0:
        return int(q)
    out = float(q)
    return 0.0 if out == 0 else out  # no "-0.0"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def round_value(value: Any, table: str, measure: str, unit: str, policy: Policy) -> int | float | str:
    """Round one figure for publication, or return the symbol that replaces it.

    Parameters
    ----------
    value : float, int or None
        The unrounded value (``NaN``/``None`` = not available).
    table, measure : str
        Where the figure belongs (the rounding base can depend on both).
    unit : str
        Unit as computed (``count``, ``gbp``, ``share``, ``mean``). A published unit
        (``gbp_million``, ``percent``) is also accepted, which makes rounding idempotent:
        ``round_value(round_value(v, t, m, u, p), t, m, published_unit, p)`` returns the
        same figure.
    policy : Policy
        From :func:`load_policy`.

    Returns
    -------
    int, float or str
        The rounded number in the published unit (counts to their table's base, GBP in
        millions to 1 dp, shares as whole percentages, means to 2 dp), or a symbol:
        ``[x]`` when the value is missing, ``[c]`` for a count with
        ``0 < value < threshold``, ``[low]`` for a larger positive count that rounds to 0.
        ``[z]`` (not applicable) depends on the period and is applied by
        :func:`publish_tidy`.
    """
    symbols = policy.symbols
    if _is_missing(value):
        return symbols["not_available"]
    value = float(value) if not isinstance(value, (int, Decimal)) else value
    if isinstance(value, float) and not math.isfinite(value):
        return symbols["not_available"]
    rule = policy.unit_rule(table, measure, unit)
    if unit in policy.suppressed_units and 0 < value < policy.threshold:
        return symbols["suppressed"]
    scaled = _decimal(value) * _decimal(rule.scale) if rule.scale != 1 else _decimal(value)
    if rule.base is not None:
        out = round_half_up(scaled, base=rule.base)
    else:
        out = round_half_up(scaled, decimals=rule.decimals)
    if out == 0 and value > 0 and unit in policy.suppressed_units and symbols.get("low"):
        return symbols["low"]
    return out


def format_value(value: int | float | str, decimals: int) -> str:
    """Text of a published value: fixed decimals, no thousands separator; symbols as is."""
    if isinstance(value, str):
        return value
    if decimals == 0:
        return str(int(value))
    return f"{float(value):.{decimals}f}"


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def to_number(text: Any) -> int | float | None:
    """Read a published value back as a number; ``None`` for a symbol.

    Parameters
    ----------
    text : str or number

    Returns
    -------
    int, float or None
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    text = str(text)
    if not _NUMBER.match(text):
        return None
    return float(text) if "." in text else int(text)


# -- ordering ----------------------------------------------------------------------
def _table_key(table: str) -> tuple[int, int, str]:
    m = re.fullmatch(r"T(\d+)", table)
    return (0, int(m.group(1)), "") if m else (1, 0, table)


def _order_maps(metadata: Mapping) -> tuple[dict, dict]:
    measure_pos: dict[tuple[str, str], int] = {}
    breakdown_pos: dict[tuple[str, str, str], int] = {}
    for table, cfg in metadata["tables"].items():
        for i, (measure, mcfg) in enumerate((cfg.get("measures") or {}).items()):
            measure_pos[(table, measure)] = i
            for j, b in enumerate((mcfg.get("breakdowns") or {"all": ""}).keys()):
                breakdown_pos[(table, measure, b)] = j
    return measure_pos, breakdown_pos


def sort_tidy(frame: pd.DataFrame, metadata: Mapping | None = None) -> pd.DataFrame:
    """Sort a tidy frame deterministically: table (the registry's order), period, then measure and
    breakdown in the order of ``measures_metadata.yaml`` (unknown ones after, by name)."""
    metadata = metadata if metadata is not None else load_metadata()
    measure_pos, breakdown_pos = _order_maps(metadata)
    keys = [
        (
            _table_key(t),
            p,
            measure_pos.get((t, m), 10_000),
            m,
            breakdown_pos.get((t, m, b), 10_000),
            b,
        )
        for t, p, m, b in zip(frame["table"], frame["period"], frame["measure"], frame["breakdown"])
    ]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return frame.iloc[order].reset_index(drop=True)


# -- the published tidy frame ---------------------------------------------------------
def _check_tidy(measures: pd.DataFrame) -> None:
    missing = [c for c in TIDY_COLUMNS if c not in measures.columns]
    if missing:
        raise ValueError(f"tidy measures frame lacks columns {missing}")
    dup = measures.duplicated(["table", "period", "measure", "breakdown"])
    if dup.any():
        row = measures.loc[dup].iloc[0]
        raise ValueError(
            "tidy measures frame has duplicate figures, e.g. "
            f"{row['table']} {row['period']} {row['measure']} {row['breakdown']}"
        )


def publish_tidy(measures: pd.DataFrame, policy: Policy, metadata: Mapping | None = None,
                 protect: bool = True, known: pd.DataFrame | None = None) -> pd.DataFrame:
    """Round, suppress and mark the unrounded tidy measures for publication.

    Parameters
    ----------
    measures : DataFrame
        Unrounded tidy frame ``table, period, measure, breakdown, value, unit`` (from
        ``cms_stats.measures.compute_all``); ``value`` numeric, ``NaN`` = not available.
    policy : Policy
        From :func:`load_policy`.
    metadata : dict, optional
        From :func:`load_metadata` (used for the row order only).
    protect : bool
        Apply the disclosure control beyond the small-count rule (default):
        :func:`cms_stats.publish.protection.protect` (dominance, no share or mean from a
        suppressed figure or a small sample, secondary suppression). ``False`` gives the primary
        suppression only (to show what secondary suppression adds).
    known : DataFrame, optional
        What readers already have: earlier editions' published tidy frames (the previous
        edition, and the issue a correction replaces). A figure they withheld as ``[c]`` stays
        ``[c]``; one they published as a number is never chosen as a complementary cell
        (withholding it now would hide nothing a reader of the archive does not know).

    Returns
    -------
    DataFrame
        Same columns. ``value`` is the published text (``"21400"``, ``"77.5"``, ``"33"``)
        or a symbol (``[c]``, ``[z]``, ``[x]``, ``[low]``); ``unit`` is the published unit
        (``count``, ``gbp_million``, ``gbp_thousand``, ``percent``, ``mean``). Tables the
        policy publishes as a month grid (the T tables) get a row for every month of the
        release and every measure/breakdown they have; a missing figure is ``[x]``, one
        covered by a not-applicable rule is ``[z]``. Rows are sorted (table, period,
        metadata order), so the output is deterministic.
    """
    _check_tidy(measures)
    frame = measures[TIDY_COLUMNS].copy()
    for col in ("table", "period", "measure", "breakdown", "unit"):
        frame[col] = frame[col].astype(str)

    # Complete the month grid of the monthly tables, so that missing months show [x]/[z].
    grid_tables = [t for t in frame["table"].unique() if policy.completes_months(t)]
    periods = sorted(frame.loc[frame["table"].isin(grid_tables), "period"].unique())
    extra = []
    for table in grid_tables:
        part = frame[frame["table"] == table]
        keys = part[["measure", "breakdown", "unit"]].drop_duplicates()
        full = keys.merge(pd.DataFrame({"period": periods}), how="cross")
        full.insert(0, "table", table)
        have = set(zip(part["period"], part["measure"], part["breakdown"]))
        missing = [
            (p, m, b) not in have
            for p, m, b in zip(full["period"], full["measure"], full["breakdown"])
        ]
        if any(missing):
            add = full.loc[missing].copy()
            add["value"] = float("nan")
            extra.append(add[TIDY_COLUMNS])
    if extra:
        frame = pd.concat([frame, *extra], ignore_index=True)

    values, units = [], []
    z = policy.symbols["not_applicable"]
    for t, p, m, b, v, u in frame[TIDY_COLUMNS].itertuples(index=False, name=None):
        if policy.not_applicable_reason(t, m, b, p) is not None:
            out: int | float | str = z
        else:
            out = round_value(v, t, m, u, policy)
        values.append(format_value(out, policy.decimals(t, m, u)))
        units.append(policy.published_unit(t, m, u))
    published = pd.DataFrame(
        {
            "table": frame["table"].to_numpy(),
            "period": frame["period"].to_numpy(),
            "measure": frame["measure"].to_numpy(),
            "breakdown": frame["breakdown"].to_numpy(),
            "value": values,
            "unit": units,
        }
    ).astype(str)
    if protect:
        # deferred: protection imports this module (to_number), and a chapter that only rounds
        # a figure does not import the disclosure control (nor scipy) into its cache key
        from cms_stats.publish.protection import protect as protect_published

        published, _ = protect_published(published, measures, policy, known=known)
    return sort_tidy(published, metadata)


# -- reader-friendly wide tables ------------------------------------------------------
def column_header(table: str, measure: str, breakdown: str, unit_label: str, metadata: Mapping) -> str:
    """Readable column header, e.g. ``"Caseload: arrears only (number)"``."""
    mcfg = ((metadata["tables"].get(table) or {}).get("measures") or {}).get(measure) or {}
    label = mcfg.get("label") or measure.replace("_", " ").capitalize()
    breakdowns = mcfg.get("breakdowns") or {}
    if breakdown != "all" or breakdowns:
        label = f"{label}: {breakdowns.get(breakdown, breakdown)}"
    return f"{label} ({unit_label})"


def _is_published(frame: pd.DataFrame) -> bool:
    return not pd.api.types.is_numeric_dtype(frame["value"])


def table_cells(wide: pd.DataFrame) -> pd.DataFrame:
    """The cells of a publication table without its ``attrs`` (the data is not copied).

    pandas deep-copies ``attrs`` into every frame and column an operation returns, and a table
    by area describes hundreds of columns there: read column by column, Table 22 took seconds.
    Read the description from ``wide.attrs`` and the cells from this frame.

    Parameters
    ----------
    wide : DataFrame
        A table of :func:`publication_tables` (or any frame).

    Returns
    -------
    DataFrame
        The same columns and cells (a shallow copy), with empty ``attrs``.
    """
    cells = wide.copy(deep=False)
    cells.attrs = {}
    return cells


def publication_tables(
    measures: pd.DataFrame, policy: Policy, metadata: Mapping | None = None
) -> dict[str, pd.DataFrame]:
    """One wide, reader-friendly rounded table per publication table.

    Parameters
    ----------
    measures : DataFrame
        Either the unrounded tidy measures (numeric ``value``; rounded here with
        :func:`publish_tidy`) or an already published tidy frame (string ``value``, e.g.
        after :func:`apply_revisions`), which is used as is.
    policy : Policy
    metadata : dict, optional
        From :func:`load_metadata`.

    Returns
    -------
    dict of str to DataFrame
        Table id (``"T1"`` ... ``"T14"``, ``"DQ"``) -> DataFrame with one row per period
        (first column ``Month``/``Month end``/``Quarter ending``/``Period``, text
        ``YYYY-MM``) and one column per measure/breakdown in metadata order, headed by
        its label and published unit. Cells hold numbers (``int``/``float``) or symbol
        strings. ``DataFrame.attrs`` records ``table``, ``title``, ``period_column`` and
        ``columns`` (header -> ``measure``, ``breakdown``, ``unit``, ``decimals``).
    """
    metadata = metadata if metadata is not None else load_metadata()
    published = measures if _is_published(measures) else publish_tidy(measures, policy, metadata)
    published = sort_tidy(published, metadata)
    out: dict[str, pd.DataFrame] = {}
    for table in sorted(published["table"].unique(), key=_table_key):
        part = published[published["table"] == table]
        tcfg = metadata["tables"].get(table) or {}
        period_col = _PERIOD_HEADERS.get(str(tcfg.get("frequency")), "Period")
        keys = list(dict.fromkeys(zip(part["measure"], part["breakdown"], part["unit"])))
        periods = sorted(part["period"].unique())
        columns: dict[str, dict] = {}
        data: dict[str, list] = {period_col: list(periods)}
        lookup = {
            (p, m, b): v for p, m, b, v in zip(part["period"], part["measure"], part["breakdown"], part["value"])
        }
        for m, b, u in keys:
            header = column_header(table, m, b, policy.unit_label(u), metadata)
            decimals = policy.decimals(table, m, u)
            columns[header] = {"measure": m, "breakdown": b, "unit": u, "decimals": decimals}
            cells = []
            for p in periods:
                text = lookup.get((p, m, b), policy.symbols["not_available"])
                number = to_number(text)
                cells.append(text if number is None else number)
            data[header] = cells
        wide = pd.DataFrame({k: pd.Series(v, dtype=object if k != period_col else str) for k, v in data.items()})
        wide.attrs = {
            "table": table,
            "title": tcfg.get("title", table),
            "period_column": period_col,
            "columns": columns,
        }
        out[table] = wide
    return out
