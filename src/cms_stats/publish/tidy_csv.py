"""Tidy CSV files of the published (rounded) figures, with a ``metadata.json``.

Deterministic bytes: rows sorted, values already fixed text, UTF-8, ``\\n`` line endings.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Mapping

import pandas as pd

from cms_stats.publish.policy import Policy, load_metadata, load_policy
from cms_stats.publish.rounding import TIDY_COLUMNS, _table_key, sort_tidy


def _rounding_text(policy: Policy, table: str, measure: str, unit: str) -> str:
    rule = policy.unit_rule(table, measure, unit)
    if rule.base is not None:
        return f"nearest {rule.base}"
    return f"{rule.decimals} decimal place{'s' if rule.decimals != 1 else ''}"


def csv_metadata(
    published_tidy: pd.DataFrame, policy: Policy | None = None, metadata: Mapping | None = None
) -> dict:
    """Describe the CSV files, their columns, every measure and the symbols.

    Parameters
    ----------
    published_tidy : DataFrame
        Published tidy frame (from :func:`publish_tidy`).
    policy : Policy, optional
    metadata : dict, optional

    Returns
    -------
    dict
        ``title``, ``files`` (file, table, title, description, rows), ``columns``
        (name -> description), ``measures`` (one entry per table/measure: label,
        description, unit as computed, published unit, rounding, breakdowns),
        ``units`` and ``symbols``.
    """
    policy = policy if policy is not None else load_policy()
    metadata = metadata if metadata is not None else load_metadata()
    tables = sorted(set(published_tidy["table"]) | set(metadata["tables"]), key=_table_key)
    files, measures = [], []
    counts = published_tidy["table"].value_counts().to_dict()
    for table in tables:
        tcfg = metadata["tables"].get(table) or {}
        if table in counts:
            files.append(
                {
                    "file": f"{table}.csv",
                    "table": table,
                    "title": tcfg.get("title", table),
                    "description": tcfg.get("description", ""),
                    "rows": int(counts[table]),
                }
            )
        known = dict(tcfg.get("measures") or {})
        # Measures present in the data but missing from the metadata are still listed.
        seen = published_tidy.loc[published_tidy["table"] == table, "measure"]
        for m in sorted(set(seen) - set(known)):
            known[m] = {"label": m.replace("_", " ").capitalize(), "description": "", "unit": None}
        for m, mcfg in known.items():
            unit = mcfg.get("unit")
            entry = {
                "table": table,
                "measure": m,
                "label": mcfg.get("label", m),
                "description": mcfg.get("description", ""),
                "unit": unit,
            }
            if unit is not None:
                entry["published_unit"] = policy.published_unit(table, m, unit)
                entry["rounding"] = _rounding_text(policy, table, m, unit)
            entry["breakdowns"] = dict(mcfg.get("breakdowns") or {"all": "none (all)"})
            measures.append(entry)
    units = {k: dict(v) for k, v in (policy.raw.get("published_units") or {}).items()}
    return {
        "title": metadata["publication"]["title"],
        "description": "Published (rounded) figures in tidy form: one row per figure.",
        "files": files,
        "columns": {c: metadata["columns"][c] for c in TIDY_COLUMNS},
        "measures": measures,
        "units": units,
        "symbols": policy.symbol_definitions,
        "suppression_threshold": policy.threshold,
    }


def write_csv(
    published_tidy: pd.DataFrame,
    folder: str | Path,
    policy: Policy | None = None,
    metadata: Mapping | None = None,
    edition: Mapping | None = None,
) -> Path:
    """Write ``folder/csv/<table>.csv`` (tidy, rounded) and ``folder/csv/metadata.json``.

    Parameters
    ----------
    published_tidy : DataFrame
        Published tidy frame (``value`` as published text or symbol).
    folder : str or Path
        The release folder; ``csv/`` is created inside it.
    policy, metadata : optional
        Default to the packaged policy and metadata.
    edition : mapping, optional
        The edition's calendar facts and links to previous editions (``metadata.json``'s
        ``edition``).

    Returns
    -------
    Path
        The ``csv`` folder.
    """
    if pd.api.types.is_numeric_dtype(published_tidy["value"]):
        raise ValueError("write_csv expects published values (publish_tidy), not unrounded numbers")
    metadata = metadata if metadata is not None else load_metadata()
    out = Path(folder) / "csv"
    out.mkdir(parents=True, exist_ok=True)
    tidy = sort_tidy(published_tidy[TIDY_COLUMNS].astype(str), metadata)
    for table in sorted(tidy["table"].unique(), key=_table_key):
        part = tidy[tidy["table"] == table]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(TIDY_COLUMNS)
        writer.writerows(part.itertuples(index=False, name=None))
        (out / f"{table}.csv").write_bytes(buf.getvalue().encode("utf-8"))
    meta = csv_metadata(tidy, policy, metadata)
    if edition:
        meta["edition"] = dict(edition)
    text = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    (out / "metadata.json").write_bytes(text.encode("utf-8"))
    return out


def read_csv(folder: str | Path) -> pd.DataFrame:
    """Read a release's ``csv/`` back into a published tidy frame (all text).

    Parameters
    ----------
    folder : str or Path
        The release folder or its ``csv`` folder (e.g. the previous edition, for
        :func:`apply_revisions`).

    Returns
    -------
    DataFrame
    """
    folder = Path(folder)
    if (folder / "csv").is_dir():
        folder = folder / "csv"
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"{folder}: no published CSV files")
    parts = [pd.read_csv(f, dtype=str, keep_default_na=False) for f in files]
    return pd.concat(parts, ignore_index=True)[TIDY_COLUMNS]
