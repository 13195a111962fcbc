"""Disclosure control beyond the small-count rule: dominance for money, no share or mean from a
suppressed figure or a small sample, and secondary (complementary) suppression.

Applied by :func:`cms_stats.publish.rounding.publish_tidy` after rounding and the primary
suppression (a count with ``0 < value < threshold`` is ``[c]``), in this order:

1. **Dominance** (money): a money figure whose ``n`` largest contributors (case groups) make up
   more than ``k`` per cent of it is ``[c]`` (the (n, k) rule; ``n = 2``, ``k = 90`` as ACRO's
   defaults). The measures that compute money report, per figure, the largest two contributions
   in the unrounded columns ``top1`` and ``top2`` (never published).
2. **Derived figures**: a share is ``[c]`` when its numerator or denominator (``ratio`` in the
   registry) is ``[c]`` (and, with the policy's ``share_complements``, when they differ by a
   count below the threshold); a figure ``derived_from`` a ``[c]`` figure is ``[c]``; a mean
   estimated from a ``sample`` smaller than the policy's ``minimum_sample``, and what is derived
   from it, is ``[low]``.
3. **Secondary suppression**: least-cost complementary suppression, checked by linear
   programming (:class:`cms_stats.publish.audit.ReaderSystem`): each suppressed figure, in table
   order, whose feasible interval (what a reader can work out from the published figures and the
   registry's relations) is narrower than the protection gets one more figure suppressed, until
   it is protected. The complement is chosen among the figures that share an additive relation
   with it and that no earlier edition published as a number (withholding a figure readers
   have in the archive would hide nothing), at the least cost: an equality before an
   inequality, a part before a total, then the smallest published value (the cost of a
   suppression is the value hidden, as in tau-ARGUS's default cost function). When no figure
   sharing a relation may be withheld, the nearest one that may, through the relations (a new
   table restating old figures more finely can narrow an old ``[c]``). A complement is
   itself then checked, and the figures derived from it (shares) are suppressed in step 2 again.
   Suppressing a figure only removes what a reader knows, so a figure once protected stays so.

Across editions (``known``: what earlier editions published, as in the archive), before step 2:
**a figure an earlier edition withheld as** ``[c]`` **stays** ``[c]`` (publishing it now would
let a reader of both editions undo the earlier protection), and step 3 never chooses a figure
an earlier edition published as a number. A figure an earlier edition published can still
become ``[c]`` by steps 1 and 2 or the small-count rule when its value is revised; the release
audit (:func:`cms_stats.publish.table_audit.audit_tables`) checks what a reader of both editions
can work out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from cms_stats.publish.audit import ReaderSystem
from cms_stats.publish.policy import Policy

__all__ = ["Protection", "earlier_figures", "protect"]

Key = tuple[str, str, str, str]

# How many relations away a complement may be, when none shares a relation with the figure.
FARTHEST_COMPLEMENT = 4


@dataclass
class Protection:
    """What the disclosure control did: key -> reason, per kind (never published per figure:
    telling a secondary suppression from a primary one would point at the small counts)."""

    primary: int = 0
    dominance: list[Key] = field(default_factory=list)
    derived: dict[Key, str] = field(default_factory=dict)
    secondary: list[Key] = field(default_factory=list)
    unprotected: list[Key] = field(default_factory=list)
    carried: list[Key] = field(default_factory=list)  # withheld because an earlier edition did
    solves: int = 0

    def summary(self) -> dict:
        """Counts of each kind (for the release log and the figures in DESIGN.md)."""
        return {"primary": self.primary, "dominance": len(self.dominance),
                "derived": len(self.derived), "secondary": len(self.secondary),
                "unprotected": len(self.unprotected), "carried": len(self.carried),
                "linear_programs": self.solves}


def _dominance(values: dict, measures: pd.DataFrame, policy: Policy, out: Protection) -> None:
    if "top1" not in measures.columns:
        return
    n, k = policy.dominance
    if n not in (1, 2):
        raise ValueError("rounding_policy.yaml: dominance n must be 1 or 2 (the measures report "
                         "the two largest contributions)")
    money = measures[(measures["unit"] == "gbp") & measures["top1"].notna()]
    c = policy.symbols["suppressed"]
    for t, p, m, b, v, t1, t2 in money[["table", "period", "measure", "breakdown", "value", "top1",
                                        "top2"]].itertuples(index=False):
        key = (t, p, m, b)
        top = float(t1) + (float(t2) if n == 2 and not pd.isna(t2) else 0.0)
        if key in values and to_symbol(values[key]) is None and v > 0 and top > k / 100.0 * v:
            values[key] = c
            out.dominance.append(key)


def earlier_figures(known: pd.DataFrame | None, policy: Policy) -> tuple[frozenset, frozenset]:
    """What readers of earlier editions have: the keys they saw withheld as ``[c]`` and the
    keys they saw as numbers (a key seen both ways counts as withheld).

    Parameters
    ----------
    known : DataFrame or None
        Earlier editions' published tidy frames, concatenated.
    policy : Policy

    Returns
    -------
    withheld, numbers : frozenset of (table, period, measure, breakdown)
    """
    if known is None or not len(known):
        return frozenset(), frozenset()
    c = policy.symbols["suppressed"]
    withheld, numbers = set(), set()
    for key, text in zip(zip(known["table"], known["period"], known["measure"],
                             known["breakdown"]), known["value"].astype(str)):
        if text == c:
            withheld.add(key)
        elif to_symbol(text) is None:
            numbers.add(key)
    return frozenset(withheld), frozenset(numbers - withheld)


def to_symbol(text: str) -> str | None:
    """The symbol of a published text, or None for a number."""
    return text if text.startswith("[") else None


def _derived(values: dict, raw: dict, policy: Policy, out: Protection) -> None:
    c, low = policy.symbols["suppressed"], policy.symbols.get("low", "[low]")
    registry = policy.registry
    for (t, p, m, b), text in sorted(values.items()):
        if to_symbol(text) is not None:
            continue
        spec = registry.tables[t].measures.get(m)
        if spec is None:
            continue
        reason = None
        if spec.sample is not None:
            size = raw.get((spec.sample.table, p, spec.sample.measure, spec.sample.breakdown))
            if size is None or math.isnan(size) or size < policy.minimum_sample:
                reason = (low, f"sample of fewer than {policy.minimum_sample}")
        if spec.contributors is not None:
            term = spec.contributors
            count = raw.get((term.table, p, term.measure, b),
                            raw.get((term.table, p, term.measure, term.breakdown)))
            if count is not None and not math.isnan(count) and 0 < count < policy.threshold:
                reason = (c, f"an amount from fewer than {policy.threshold} contributors")
        sources = list(spec.derived_from) + list(spec.ratio or ())
        for term in sources:
            src = values.get((term.table, p, term.measure, term.breakdown))
            if src == c:
                reason = (c, f"computed from a suppressed figure ({term.table} {term.measure})")
                break
            if src == low and reason is None and term in spec.derived_from:
                reason = (low, f"computed from a low figure ({term.table} {term.measure})")
        if reason is None and spec.ratio is not None and policy.share_complements:
            num, den = (raw.get((x.table, p, x.measure, x.breakdown)) for x in spec.ratio)
            units = {registry.measure(x.table, x.measure).unit for x in spec.ratio}
            if units == {"count"} and num is not None and den is not None \
                    and 0 < den - num < policy.threshold:
                reason = (c, "numerator and denominator differ by a small count")
        if reason is not None:
            values[(t, p, m, b)] = reason[0]
            out.derived[(t, p, m, b)] = reason[1]


def _candidate(system: ReaderSystem, i: int, w: int, known: frozenset) -> bool:
    number = system.value[w]
    if w == i or system.text[w] == system.policy.symbols["suppressed"] or not number:
        return False
    # an earlier edition's number is in the archive: withholding it hides nothing
    return system.kind[w] == system.kind[i] and system.keys[w] not in known


def _complement(system: ReaderSystem, i: int, known: frozenset = frozenset()) -> int | None:
    best, best_cost = None, None
    for r in system.rows_of[i]:
        row = system.rows[r]
        if not row.additive or not row.active:
            continue
        for w in row.coefs:
            if not _candidate(system, i, w, known):
                continue
            total = w == row.lhs or system.keys[w][3] == "all"
            # least cost: in an equality, a breakdown before a total, the smallest
            cost = (row.op != "=", total, abs(system.value[w]), system.keys[w])
            if best_cost is None or cost < best_cost:
                best, best_cost = w, cost
    return best if best is not None else _farther_complement(system, i, known)


def _farther_complement(system: ReaderSystem, i: int, known: frozenset,
                        max_distance: int = FARTHEST_COMPLEMENT) -> int | None:
    """The nearest figure, through the additive relations, that may be withheld: used when no
    figure sharing a relation with ``i`` may be (each is withheld already, 0, of another kind,
    or published by an earlier edition). A new table restating such figures more finely (T21's
    areas add up to T1's applications, rounded to 10 where T1 rounds to 100) can narrow an old
    ``[c]``; only figures of the new table can then protect it. Nearest first, then a part
    before a total (breakdown ``all``), then the smallest. Whether it helps is checked by the
    caller, which goes on to the next nearest until the figure is protected or none is left."""
    seen_rows: set[int] = set()
    seen, frontier = {i}, [i]
    for _distance in range(1, max_distance + 1):
        best, best_cost, reached = None, None, []
        for v in frontier:
            for r in system.rows_of[v]:
                row = system.rows[r]
                if r in seen_rows or not row.additive or not row.active:
                    continue
                seen_rows.add(r)
                for w in row.coefs:
                    if w in seen:
                        continue
                    seen.add(w)
                    reached.append(w)
                    if _candidate(system, i, w, known):
                        cost = (system.keys[w][3] == "all", abs(system.value[w]), system.keys[w])
                        if best_cost is None or cost < best_cost:
                            best, best_cost = w, cost
        if best is not None or not reached:
            return best
        frontier = reached
    return None


def _secondary(published: pd.DataFrame, values: dict, policy: Policy, out: Protection,
               known: frozenset = frozenset()) -> None:
    system = ReaderSystem.from_published(published, policy)
    queue = list(system.suppressed())
    seen = set(queue)
    while queue:
        i = queue.pop(0)
        while system.check(i) is not None:
            w = _complement(system, i, known)
            if w is None:
                if system.keys[i] not in out.unprotected:  # (each pass re-checks it)
                    out.unprotected.append(system.keys[i])
                break
            system.suppress(w)
            values[system.keys[w]] = policy.symbols["suppressed"]
            out.secondary.append(system.keys[w])
            if w not in seen:
                seen.add(w)
                queue.append(w)
    out.solves += system.solves


def protect(published: pd.DataFrame, measures: pd.DataFrame, policy: Policy,
            known: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Protection]:
    """Apply dominance, the derived-figure rules and secondary suppression to a published frame.

    Parameters
    ----------
    published : DataFrame
        Published tidy frame after rounding and primary suppression (values as text).
    measures : DataFrame
        The unrounded tidy measures it was published from (with ``top1``/``top2`` for money
        when the measures report contributors).
    policy : Policy
    known : DataFrame, optional
        What earlier editions published (their published tidy frames, concatenated): a figure
        any of them withheld as ``[c]`` stays ``[c]``; a figure any of them published as a
        number is never chosen as a complement.

    Returns
    -------
    published : DataFrame
        Same rows, more figures ``[c]`` / ``[low]``; every other figure unchanged.
    protection : Protection
        What was suppressed and why.
    """
    out = Protection()
    keys = list(zip(published["table"], published["period"], published["measure"],
                    published["breakdown"]))
    values = dict(zip(keys, published["value"]))
    out.primary = sum(1 for v in values.values() if v == policy.symbols["suppressed"])
    raw = dict(zip(zip(measures["table"], measures["period"], measures["measure"],
                       measures["breakdown"]), measures["value"].astype(float)))
    withheld_before, seen_before = earlier_figures(known, policy)
    c = policy.symbols["suppressed"]
    for key in sorted(withheld_before):
        if key in values and to_symbol(values[key]) is None:
            values[key] = c
            out.carried.append(key)
    _dominance(values, measures, policy, out)
    # Until nothing changes: a figure withheld as a complement can withhold a share computed
    # from it, and a share withheld can need complements of its own.
    while True:
        before = dict(values)
        _derived(values, raw, policy, out)
        _secondary(published.assign(value=[values[k] for k in keys]), values, policy, out,
                   seen_before)
        if values == before:
            break
    return published.assign(value=[values[k] for k in keys]), out
