"""Tidy CSV files of the published (rounded) figures, with a ``metadata.json``.

Every row carries the published figure three ways: ``value`` (the published text, a number or
a symbol, as in every edition so far), ``value_numeric`` (the number, empty when a symbol is
shown) and ``marker`` (the symbol ``[c]``, ``[x]``, ``[z]`` or ``[low]``, empty when a number
is shown), so a user loads numbers without parsing text. ``metadata.json`` says what the files
are: publication, edition, period, geography, synthetic or not, licence, contact, how to cite.

Deterministic bytes: rows sorted, values already fixed text, UTF-8, ``\\n`` line endings.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Mapping

import pandas as pd

from cms_stats.months import month_words
from cms_stats.publish.ees import EES_GEOGRAPHY, write_ees
from cms_stats.publish.policy import Policy, load_metadata, load_policy
from cms_stats.publish.rounding import TIDY_COLUMNS, _table_key, sort_tidy, to_number

#: Columns of a published CSV file: the tidy columns, then the number and the symbol apart.
CSV_COLUMNS = [*TIDY_COLUMNS, "value_numeric", "marker"]
#: The GSS code of the geography every figure covers (ONS register of geographic codes).
GEOGRAPHY = {"name": EES_GEOGRAPHY["country_name"], "code": EES_GEOGRAPHY["country_code"],
             "level": "country"}


def _rounding_text(policy: Policy, table: str, measure: str, unit: str) -> str:
    return policy.unit_rule(table, measure, unit).in_words()


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
        "columns": {c: metadata["columns"][c] for c in CSV_COLUMNS},
        "measures": measures,
        "units": units,
        "symbols": policy.symbol_definitions,
        "suppression_threshold": policy.threshold,
    }


def split_value(published_tidy: pd.DataFrame, policy: Policy | None = None) -> pd.DataFrame:
    """Add ``value_numeric`` and ``marker`` to a published tidy frame (all text).

    Parameters
    ----------
    published_tidy : DataFrame
        Published tidy frame: ``value`` is the published text of a number or a symbol.
    policy : Policy, optional
        Gives the symbols; defaults to the packaged policy.

    Returns
    -------
    DataFrame
        Columns :data:`CSV_COLUMNS`: ``value_numeric`` is ``value`` when it is a number and
        ``""`` otherwise; ``marker`` is ``value`` when it is a symbol and ``""`` otherwise.

    Raises
    ------
    ValueError
        A value that is neither a number nor a symbol of the policy (table, period, measure
        and breakdown named).
    """
    policy = policy if policy is not None else load_policy()
    symbols = set(policy.all_symbols)
    numeric, marker = [], []
    for t, p, m, b, v in published_tidy[["table", "period", "measure", "breakdown", "value"]].itertuples(
            index=False, name=None):
        v = str(v)
        if to_number(v) is not None:
            numeric.append(v)
            marker.append("")
        elif v in symbols:
            numeric.append("")
            marker.append(v)
        else:
            raise ValueError(f"{t} {p} {m} {b}: published value {v!r} is neither a number nor a symbol")
    out = published_tidy[TIDY_COLUMNS].astype(str).reset_index(drop=True)
    out["value_numeric"] = numeric
    out["marker"] = marker
    return out


def publication_facts(metadata: Mapping, period: str, is_synthetic: bool | None,
                      edition: Mapping | None = None) -> dict:
    """What the published files are: ``metadata.json``'s ``publication``.

    Parameters
    ----------
    metadata : mapping
        From :func:`load_metadata` (its ``publication``: title, producer, statistics status,
        contact, licence).
    period : str
        The release period ``YYYY-MM``.
    is_synthetic : bool or None
        Whether the figures come from synthetic data (``None``: not stated).
    edition : mapping, optional
        The edition's calendar facts (``published``), when the release is an edition.

    Returns
    -------
    dict
        ``title``, ``producer``, ``period`` (and in words), ``geography`` (name and GSS code),
        ``statistics_status``, ``synthetic`` (and the statement when true), ``licence``,
        ``contact``, ``published`` (when known) and ``how_to_cite``.
    """
    pub = metadata["publication"]
    published = (edition or {}).get("published")
    cite = f"{pub.get('producer', '')}, {pub['title']}: data to {month_words(period)}"
    cite += " (synthetic data, not official statistics)" if is_synthetic else ""
    cite += f", published {published}" if published else ""
    cite += f". {GEOGRAPHY['name']}. Open Government Licence v3.0."
    facts = {
        "title": pub["title"],
        "producer": pub.get("producer"),
        "period": period,
        "period_words": month_words(period),
        "geography": dict(GEOGRAPHY),
        "statistics_status": pub.get("statistics_status"),
        "synthetic": is_synthetic,
        "licence": pub.get("licence"),
        "contact": pub.get("contact"),
        "how_to_cite": cite,
    }
    if is_synthetic:
        facts["synthetic_statement"] = pub.get("synthetic_statement")
    if published:
        facts["published"] = published
    return facts


def write_csv(
    published_tidy: pd.DataFrame,
    folder: str | Path,
    policy: Policy | None = None,
    metadata: Mapping | None = None,
    edition: Mapping | None = None,
    *,
    period: str | None = None,
    is_synthetic: bool | None = None,
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
    period : str, optional
        The release period ``YYYY-MM`` (``metadata.json``'s ``publication``; default: the
        latest period of the figures).
    is_synthetic : bool, optional
        Whether the figures come from synthetic data (said in ``metadata.json`` and in the
        citation); ``None`` leaves it unstated.

    Returns
    -------
    Path
        The ``csv`` folder. Each file has the columns :data:`CSV_COLUMNS`.
    """
    if pd.api.types.is_numeric_dtype(published_tidy["value"]):
        raise ValueError("write_csv expects published values (publish_tidy), not unrounded numbers")
    metadata = metadata if metadata is not None else load_metadata()
    out = Path(folder) / "csv"
    out.mkdir(parents=True, exist_ok=True)
    policy = policy if policy is not None else load_policy()
    tidy = split_value(sort_tidy(published_tidy[TIDY_COLUMNS].astype(str), metadata), policy)
    for table in sorted(tidy["table"].unique(), key=_table_key):
        part = tidy[tidy["table"] == table]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(part.itertuples(index=False, name=None))
        (out / f"{table}.csv").write_bytes(buf.getvalue().encode("utf-8"))
    meta = csv_metadata(tidy, policy, metadata)
    period = period or max(tidy["period"])
    meta["publication"] = publication_facts(metadata, period, is_synthetic, edition)
    if edition:
        meta["edition"] = dict(edition)
    meta["ees"] = {
        "description": "The statistical tables in the Explore Education Statistics data-file layout "
                       "(a data file and its .meta.csv per table): observational units time_period, "
                       "time_identifier (month), geographic_level, country_code, country_name; the "
                       "filter breakdown (Total or a part of the total); one indicator per measure. "
                       "Symbols without brackets: c, x, z, low.",
        "geography": dict(EES_GEOGRAPHY),
        "files": write_ees(tidy, out / "ees", policy, metadata),
    }
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
    # Editions published before value_numeric and marker existed have the tidy columns only.
    return pd.concat(parts, ignore_index=True)[TIDY_COLUMNS]
