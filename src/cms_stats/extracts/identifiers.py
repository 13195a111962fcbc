"""The identifier columns of the contract and their patterns: what may never be published
(re-exported by :mod:`cms_stats.extracts.contract`)."""

from __future__ import annotations

from . import contract as _contract
from .spec import FileSpec


def identifier_columns(contract: dict[str, FileSpec] | None = None) -> dict[str, str]:
    """Every identifier column of the contract and its identifier kind.

    Parameters
    ----------
    contract : the files to look at; default :data:`CONTRACT` (as it is when called).

    Returns
    -------
    dict
        Column name -> key of :data:`ID_PATTERNS`, in contract order, e.g.
        ``{"case_id": "case", "case_group_id": "case_group", ...}``.
    """
    contract = _contract.CONTRACT if contract is None else contract
    out: dict[str, str] = {}
    for spec in contract.values():
        for col in spec.columns:
            if col.type == "id":
                out.setdefault(col.name, col.id_kind)
    return out


def identifier_patterns(contract: dict[str, FileSpec] | None = None) -> dict[str, str]:
    """Every identifier kind and its pattern (never to be published).

    Parameters
    ----------
    contract : the files to look at; default :data:`CONTRACT` (as it is when called).

    Returns
    -------
    dict
        Kind -> regular expression (e.g. ``"case": "C[0-9]{8}"``): the kinds of the contract's
        identifier columns in contract order, then any other kind declared in :data:`ID_PATTERNS`.
    """
    kinds = dict.fromkeys(identifier_columns(contract).values())  # contract order, once each
    patterns = _contract.ID_PATTERNS  # as it is when called
    return {kind: patterns[kind] for kind in [*kinds, *patterns]}
