"""What a table needs from the extract folder to be computable for a period (registry ``needs``).

Each table of the registry (``resources/tables.yaml``) may declare ``needs``: a list of the
names below, each alone (the whole table) or as ``{need: <name>, measures: [...]}`` (only those
measures). A table that declares none needs only what the data contract guarantees (at least
one month). :mod:`cms_stats.measures.availability` decides, before any chapter runs, which needs
a folder meets for a period: figures whose need is unmet are not published (``[x]``) and the
chapter says why in the data's words.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FILE_NEEDS", "NEEDS", "Need", "SNAPSHOT_COLUMN_NEEDS", "parse_needs"]

#: The needs a table may declare, and what each asks of the folder (in words, for the docs).
NEEDS: dict[str, str] = {
    "children_sample": "a children sample drawn on or before the month",
    "month_before_period": "a month of data before the period (published to the month before)",
    "received_before_period": ("a row of the table's event file received before the period's "
                               "month"),
    "whole_quarter": "all three months of the quarter to the month in the folder",
    "application_clearances": ("the applications file records clearances (`cleared_date` and "
                               "`clearance_type`)"),
    "closures_file": "the folder has the optional closures file (`events/closures.parquet`)",
    "closure_reasons": "the closures file records why each case closed (`closure_reason`)",
    "scheme_start": ("the folder starts when the statistics start (August 2013) or gives "
                     "opening balances for the months before it (cumulative figures)"),
    "shared_care_nights": "the month's snapshot gives `shared_care_nights` (an optional column)",
    "in_enforcement": "the month's snapshot gives `in_enforcement` (an optional column)",
    "csa_arrears": "the month's snapshot gives `csa_arrears` (an optional column)",
    "constituency_code": "the month's snapshot gives `constituency_code` (an optional column)",
    "enforcement_actions": ("the folder has `events/enforcement_actions.parquet` (an optional "
                            "file)"),
}

#: Needs met by an optional column of the monthly snapshot, and what the column is, in words.
SNAPSHOT_COLUMN_NEEDS: dict[str, str] = {
    "shared_care_nights": "the nights of shared care in each calculation",
    "in_enforcement": "which cases are in enforcement",
    "csa_arrears": "the arrears carried from the CSA schemes",
    "constituency_code": "the paying parent's constituency",
}
#: Needs met by an optional file of the folder: need -> (file, what it holds, in words).
FILE_NEEDS: dict[str, tuple[str, str]] = {
    "enforcement_actions": ("events/enforcement_actions.parquet", "the enforcement actions started"),
}


@dataclass(frozen=True)
class Need:
    """One declared need: its name (a key of :data:`NEEDS`) and the measures it concerns
    (empty: the whole table)."""

    name: str
    measures: tuple[str, ...] = ()


def parse_needs(where: str, value, measures) -> tuple[Need, ...]:
    """The ``needs`` of a registry table (``where`` names it in errors).

    Parameters
    ----------
    where : str
        The table, for error messages.
    value : list or None
        The YAML value: names, or ``{need, measures}`` mappings.
    measures : collection of str
        The table's measures (a need's ``measures`` must be among them).

    Returns
    -------
    tuple of Need

    Raises
    ------
    ValueError
        An unknown need, an unknown measure, or a malformed entry (one line).
    """
    out = []
    for item in value or []:
        if isinstance(item, str):
            item = {"need": item}
        if not isinstance(item, dict) or set(item) - {"need", "measures"} or "need" not in item:
            raise ValueError(f"{where}: needs: {item!r} is not a need name or {{need, measures}}")
        name = str(item["need"])
        if name not in NEEDS:
            raise ValueError(f"{where}: unknown need {name!r} (one of {', '.join(NEEDS)})")
        names = tuple(str(m) for m in item.get("measures") or ())
        unknown = [m for m in names if m not in measures]
        if unknown:
            raise ValueError(f"{where}: need {name!r}: unknown measure {unknown[0]!r}")
        out.append(Need(name, names))
    return tuple(out)
