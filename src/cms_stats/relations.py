"""Additive relations between published figures, as the registry declares them.

A *term* names one published figure of a period: ``[T1.]measure[:breakdown][@-1]`` (the table
defaults to the declaring table, the breakdown to ``all``; ``@-1`` is the period before). A
*relation* is ``<term> =|<=|>= <term> +|- <term> ...``: e.g. ``total_intake = new_applications +
arrears_only_applications`` or ``complaints_received_scheme_to_date =
complaints_received_scheme_to_date@-1 + complaints_received``. The disclosure control
(:mod:`cms_stats.publish.protection`, :mod:`cms_stats.publish.audit`) treats every relation as
known to a reader of the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["Term", "Relation", "parse_term", "parse_relation", "complete_terms"]

_TERM_RE = re.compile(r"(?:(?P<table>T\d+|DQ)\.)?(?P<measure>[a-z_][a-z0-9_]*)(?::(?P<breakdown>[a-z_0-9]+))?"
                      r"(?:@-(?P<lag>\d+))?\Z")
_RELATION_RE = re.compile(r"\s*(?P<lhs>\S+)\s*(?P<op><=|>=|=)\s*(?P<rhs>.+?)\s*\Z")


@dataclass(frozen=True)
class Term:
    """One published figure in a relation: ``[T1.]measure[:breakdown][@-1]`` (``@-1``: the
    period before), with its sign on the right-hand side."""

    table: str
    measure: str
    breakdown: str = "all"
    lag: int = 0
    sign: int = 1


@dataclass(frozen=True)
class Relation:
    """An additive relation between published figures of one period that a reader can use:
    ``lhs op sum(sign * rhs)`` with ``op`` one of ``=``, ``<=``, ``>=``. ``open_breakdowns``:
    the right-hand side is every breakdown of the measure found in the data (besides ``all``)."""

    table: str
    lhs: Term
    op: str
    rhs: tuple[Term, ...]
    text: str
    open_breakdowns: bool = False


def parse_term(text: str, table: str = "", sign: int = 1) -> Term:
    """``[T1.]measure[:breakdown][@-1]`` -> :class:`Term` (``table`` when none is named).

    Raises
    ------
    ValueError
        When the text is not a term.
    """
    m = _TERM_RE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a figure '[T1.]measure[:breakdown][@-1]'")
    return Term(m["table"] or table, m["measure"], m["breakdown"] or "all", int(m["lag"] or 0), sign)


def parse_relation(text: str, table: str) -> Relation:
    """``<term> =|<=|>= <term> +|- <term> ...`` declared by ``table`` -> :class:`Relation`.

    Raises
    ------
    ValueError
        When the text is not a relation.
    """
    m = _RELATION_RE.match(text)
    if not m:
        raise ValueError(f"relation {text!r} is not '<figure> =|<=|>= <figure> +|- <figure> ...'")
    rhs, sign = [], 1
    for token in re.split(r"(?:^|\s+)([+-])\s+", m["rhs"].strip()):
        if token in ("+", "-"):
            sign = 1 if token == "+" else -1
        elif token:
            rhs.append(parse_term(token, table, sign))
    return Relation(table, parse_term(m["lhs"], table), m["op"], tuple(rhs), text)


def complete_terms(tables: dict) -> dict:
    """The registry's tables with every term's table filled in, each checked to name a declared
    figure (a table with the measure, and the breakdown allowed).

    Parameters
    ----------
    tables : dict
        Table id -> ``TableSpec`` (``measures``: name -> ``MeasureSpec``, ``relations``).

    Raises
    ------
    ValueError
        Naming the table and the figure that is not declared.
    """
    def fix(where: str, term: Term, table: str) -> Term:
        term = replace(term, table=term.table or table)
        spec = tables.get(term.table)
        measure = spec.measures.get(term.measure) if spec else None
        if measure is None or not measure.allows(term.breakdown):
            raise ValueError(f"{where}: {term.table}.{term.measure}:{term.breakdown} is not a "
                             "declared figure")
        return term

    out = {}
    for t in tables.values():
        measures = {}
        for m in t.measures.values():
            w = f"table {t.id}, measure {m.name}"
            measures[m.name] = replace(
                m, ratio=tuple(fix(w, x, t.id) for x in m.ratio) if m.ratio else None,
                derived_from=tuple(fix(w, x, t.id) for x in m.derived_from),
                sample=fix(w, m.sample, t.id) if m.sample else None,
                contributors=fix(w, m.contributors, t.id) if m.contributors else None)
        relations = tuple(replace(r, lhs=fix(f"table {t.id}", r.lhs, t.id),
                                  rhs=tuple(fix(f"table {t.id}", x, t.id) for x in r.rhs))
                          for r in t.relations)
        out[t.id] = replace(t, measures=measures, relations=relations)
    return out
