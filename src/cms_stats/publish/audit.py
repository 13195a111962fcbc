"""What a reader can work out about a suppressed figure: the feasible interval, by linear
programming, from the published tables and the relations the registry declares.

The reader (an attacker) has the published tidy frame only. Every count and money figure that
takes part in a relation (:meth:`cms_stats.registry.Registry.additive_relations`) or is suppressed
becomes a variable with the bounds its published text allows:

- a published count ``v`` rounded to base ``b``: ``[v - b/2, v + b/2]``, and at least the
  threshold (smaller counts are never published); ``0`` is exact (1 .. threshold-1 are ``[c]``);
- ``[low]``: ``[threshold, b/2]``;
- published money ``v`` at ``d`` decimals (in its published unit): ``[v - 0.5 10^-d, v + 0.5 10^-d]``;
- ``[c]``, ``[x]``, ``[z]`` or a figure not in the frame: unknown, ``[0, inf)`` for a count or a
  suppressed sum of money, unbounded for other money;
- with revisions held back (a figure kept at its previously published value when it changed by
  less than ``revision_percent``), every published interval widens by that percentage.

Each relation instance (its terms in one period; ``@-1`` the period before, which counts as 0
before the first period of the table) is a linear equality or inequality; a published share
``s`` (percent, whole number) of ``num / den`` adds ``(s - 1/2) den <= 100 num <= (s + 1/2) den``.
The feasible interval of a suppressed cell is its minimum and maximum over that polytope
(``scipy.optimize.linprog``, HiGHS), solved on the connected part of the system that holds it.
A suppressed count is protected when its interval is at least ``threshold`` wide; a suppressed
money figure when its interval is at least ``money_percent`` of its upper bound wide (or unbounded).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cms_stats.months import add_months
from cms_stats.publish.policy import Policy
from cms_stats.publish.rounding import to_number
from cms_stats.registry import Registry, load_registry

__all__ = ["Finding", "ReaderSystem", "audit_published"]

Key = tuple[str, str, str, str]  # table, period, measure, breakdown
COUNT, MONEY = "count", "money"


#: Seconds HiGHS may take on one bound before the problem is solved again by its interior-point
#: method (the same optimum): HiGHS's default choice solves these small systems in
#: milliseconds but can, rarely, stall on a degenerate one for many minutes.
FIRST_SOLVE_SECONDS = 30.0
LAST_SOLVE_SECONDS = 600.0


def _solve(linprog, c, **problem):
    res = linprog(c, method="highs", options={"time_limit": FIRST_SOLVE_SECONDS}, **problem)
    if res.status in (1, 4):  # a time or iteration limit, or numerical trouble: not an answer
        res = linprog(c, method="highs-ipm", options={"time_limit": LAST_SOLVE_SECONDS}, **problem)
    return res


#: Intervals solved in this process, by problem: the component's relations and bounds written
#: by figure key (so the order the system was built in does not matter) and the figure. The
#: protection's repeated passes and the release audit after it ask the same questions again;
#: the same linear program has the same answer. The audit still builds every problem from the
#: published CSV files (what a reader has), so a fault in building one shows; it reuses the
#: solver's answer to an identical problem, and its ``solves`` counts the problems solved afresh.
_SOLVED: dict[tuple[bytes, tuple], tuple[float, float]] = {}


@dataclass(frozen=True)
class Finding:
    """A suppressed figure whose feasible interval is too narrow (or a system a reader finds
    inconsistent: ``lower`` > ``upper``)."""

    table: str
    period: str
    measure: str
    breakdown: str
    lower: float
    upper: float
    required: float

    def line(self) -> str:
        """One line naming the figure and what a reader can work out."""
        return (f"{self.table} {self.period} {self.measure} {self.breakdown}: a reader of the "
                f"published tables can narrow this suppressed figure to [{self.lower:g}, "
                f"{self.upper:g}], narrower than the protection of {self.required:g}")


@dataclass
class _Row:
    coefs: dict[int, float]
    op: str  # "=" or "<=" (">=" is stored negated)
    const: float  # sum(coefs * x) op const
    additive: bool = True  # an additive relation (not a share's bounds)
    lhs: int | None = None  # the variable on the left (a total)
    active: bool = True  # a share's bounds go when the share is suppressed


@dataclass
class ReaderSystem:
    """The linear system a reader of ``published`` can build (see the module docstring).

    Build with :meth:`from_published`; :meth:`interval` gives a variable's feasible interval;
    :meth:`suppress` turns a published figure into ``[c]`` (for the secondary suppression).
    """

    policy: Policy
    keys: list[Key] = field(default_factory=list)
    index: dict[Key, int] = field(default_factory=dict)
    kind: list[str] = field(default_factory=list)  # count | money
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    value: list[float | None] = field(default_factory=list)  # published number, None = symbol
    text: list[str] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)
    rows_of: dict[int, list[int]] = field(default_factory=dict)
    solves: int = 0
    _components: dict[int, tuple[list[int], list[int], bytes]] = field(default_factory=dict,
                                                                      repr=False)

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def from_published(cls, published: pd.DataFrame, policy: Policy, registry: Registry | None = None,
                       revision_percent: float = 0.0) -> ReaderSystem:
        """The system of a published tidy frame (``value`` as published text)."""
        registry = registry or policy.registry
        self = cls(policy)
        # columns as Python lists first: iterating Arrow-backed strings row by row is slow
        frame = {(t, p, m, b): (v, u) for t, p, m, b, v, u in zip(*(
            published[c].tolist() for c in ("table", "period", "measure", "breakdown", "value", "unit")))}
        self._published = frame
        self._revision = revision_percent / 100.0
        periods: dict[str, list[str]] = {}
        breakdowns: dict[tuple[str, str, str], list[str]] = {}
        for t, p, m, b in frame:
            periods.setdefault(t, []).append(p)
            breakdowns.setdefault((t, p, m), []).append(b)
        first = {t: min(ps) for t, ps in periods.items()}
        published_in = {t: set(ps) for t, ps in periods.items()}
        for rel in registry.additive_relations():
            for period in sorted(set(periods.get(rel.lhs.table, ()))):
                lhs = (rel.lhs.table, period, rel.lhs.measure, rel.lhs.breakdown)
                if lhs not in frame:
                    continue
                terms = rel.rhs
                if rel.open_breakdowns:
                    terms = tuple(type(rel.lhs)(rel.lhs.table, rel.lhs.measure, b)
                                  for b in breakdowns.get((rel.lhs.table, period, rel.lhs.measure), ())
                                  if b != "all")
                # a relation with another table holds where both publish the period (T22's
                # constituencies are published at five quarter ends, T21's areas every month)
                if any(not t.lag and t.table != rel.lhs.table and period not in published_in.get(t.table, ())
                       for t in terms):
                    continue
                coefs: dict[int, float] = {self._var(lhs): 1.0}
                for term in terms:
                    p = add_months(period, -term.lag) if term.lag else period
                    if p < first.get(term.table, p):
                        continue  # before the first period of the table: nothing (0)
                    v = self._var((term.table, p, term.measure, term.breakdown))
                    coefs[v] = coefs.get(v, 0.0) - term.sign
                op = rel.op
                if op == ">=":
                    coefs, op = {k: -c for k, c in coefs.items()}, "<="
                self._add(_Row(coefs, op, 0.0, True, self.index[lhs]))
        self._add_shares(registry, frame)
        for key, (text, unit) in frame.items():  # every suppressed figure, related or not
            if text == policy.symbols["suppressed"] and self._kind(key, unit):
                self._var(key)
        return self

    def _kind(self, key: Key, unit: str) -> str | None:
        spec = self.policy.registry.measure(key[0], key[2])
        if spec.unit == "count":
            return COUNT
        if spec.unit == "gbp":
            return MONEY
        return None

    def _bounds(self, key: Key) -> tuple[float, float, float | None, str]:
        text, unit = self._published.get(key, (self.policy.symbols["not_available"], ""))
        kind = self._kind(key, unit)
        number = to_number(text)
        threshold = self.policy.threshold
        if kind == COUNT:
            base = self.policy.unit_rule(key[0], key[2], "count").base or 1
            if number is None:
                if text == self.policy.symbols.get("low"):
                    return threshold, base / 2, None, text
                return 0.0, math.inf, None, text
            if number == 0:
                return 0.0, 0.0, 0.0, text
            slack = base / 2 + self._revision * number
            return max(threshold, number - slack), number + slack, float(number), text
        if number is None:
            low = 0.0 if text == self.policy.symbols["suppressed"] else -math.inf
            return low, math.inf, None, text
        decimals = self.policy.decimals(key[0], key[2], unit)
        slack = 0.5 * 10.0 ** -decimals + self._revision * abs(number)
        return number - slack, number + slack, float(number), text

    def _var(self, key: Key) -> int:
        if key in self.index:
            return self.index[key]
        i = len(self.keys)
        lo, hi, number, text = self._bounds(key)
        self.keys.append(key)
        self.index[key] = i
        self.kind.append(self._kind(key, self._published.get(key, ("", ""))[1]) or MONEY)
        self.lower.append(lo)
        self.upper.append(hi)
        self.value.append(number)
        self.text.append(text)
        self.rows_of[i] = []
        return i

    def _add(self, row: _Row) -> None:
        self._components.clear()
        r = len(self.rows)
        self.rows.append(row)
        for v in row.coefs:
            self.rows_of[v].append(r)

    def _add_shares(self, registry: Registry, frame: dict) -> None:
        for t in registry.tables.values():
            for m in t.measures.values():
                if m.ratio is None:
                    continue
                num, den = m.ratio
                for (table, period, measure, breakdown), (text, unit) in frame.items():
                    if table != t.id or measure != m.name or unit != "percent":
                        continue
                    s = to_number(text)
                    nk = (num.table, period, num.measure, num.breakdown)
                    dk = (den.table, period, den.measure, den.breakdown)
                    if s is None or nk not in frame or dk not in frame:
                        continue
                    n, d = self._var(nk), self._var(dk)
                    # (s - 1/2) den <= 100 num <= (s + 1/2) den
                    self._add(_Row({n: -100.0, d: s - 0.5}, "<=", 0.0, False))
                    self._add(_Row({n: 100.0, d: -(s + 0.5)}, "<=", 0.0, False))

    # -- questions -----------------------------------------------------------------------------
    def suppressed(self) -> list[int]:
        """Variables published as ``[c]``, in key order."""
        c = self.policy.symbols["suppressed"]
        return sorted((i for i, t in enumerate(self.text) if t == c), key=lambda i: self.keys[i])

    def suppress(self, i: int) -> None:
        """Make variable ``i`` a suppressed figure (unknown to the reader)."""
        for v in self._components.get(i, ((),))[0]:  # its component changes (or splits)
            self._components.pop(v, None)
        self.text[i] = self.policy.symbols["suppressed"]
        self.lower[i] = 0.0
        self.upper[i] = math.inf
        for r in self.rows_of[i]:  # a share of a suppressed figure is suppressed too
            if not self.rows[r].additive:
                self.rows[r].active = False

    def component(self, i: int) -> list[int]:
        """The variables connected to ``i`` through the rows."""
        seen, todo = {i}, [i]
        while todo:
            v = todo.pop()
            for r in self.rows_of[v]:
                if not self.rows[r].active:
                    continue
                for w in self.rows[r].coefs:
                    if w not in seen:
                        seen.add(w)
                        todo.append(w)
        return sorted(seen)

    def interval(self, i: int) -> tuple[float, float]:
        """The feasible interval ``(lower, upper)`` of variable ``i``; ``(nan, nan)`` when the
        published figures contradict the relations (no feasible point)."""
        from scipy.optimize import linprog  # deferred: heavy (only disclosure control needs it)
        from scipy.sparse import csr_array  # deferred: with linprog

        comp, rows, problem = self._component(i)
        if len(comp) == 1:
            return self.lower[i], self.upper[i]
        solved = _SOLVED.get((problem, self.keys[i]))
        if solved is not None:
            return solved
        pos = {v: k for k, v in enumerate(comp)}
        data: dict[str, tuple[list, list, list, list]] = {"=": ([], [], [], []), "<=": ([], [], [], [])}
        for r in rows:
            row = self.rows[r]
            d, ri, ci, b = data[row.op]
            k = len(b)
            for v, c in row.coefs.items():
                d.append(c)
                ri.append(k)
                ci.append(pos[v])
            b.append(row.const)

        def matrix(op):
            d, ri, ci, b = data[op]
            if not b:
                return None, None
            return csr_array((d, (ri, ci)), shape=(len(b), len(comp))), np.array(b)

        a_eq, b_eq = matrix("=")
        a_ub, b_ub = matrix("<=")
        bounds = [(None if math.isinf(self.lower[v]) else self.lower[v],
                   None if math.isinf(self.upper[v]) else self.upper[v]) for v in comp]
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(comp))
            c[pos[i]] = sign
            res = _solve(linprog, c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
            self.solves += 1
            if res.status not in (0, 3):  # infeasible, or unsolved (iteration limit, numerical
                return math.nan, math.nan     # trouble): no proof of protection, so a finding
            out.append(sign * res.fun if res.status == 0 else sign * -math.inf)
        _SOLVED[(problem, self.keys[i])] = (out[0], out[1])
        return out[0], out[1]

    def _component(self, i: int) -> tuple[list[int], list[int], bytes]:
        """``i``'s component, its active rows and a digest of the problem they make (rows and
        bounds by figure key), kept until a figure of the component is suppressed."""
        hit = self._components.get(i)
        if hit is not None:
            return hit
        comp = self.component(i)
        rows = sorted({r for v in comp for r in self.rows_of[v] if self.rows[r].active})
        digest = hashlib.blake2b(digest_size=20)
        for text in sorted(repr((self.rows[r].op, self.rows[r].const, self.rows[r].additive,
                                 sorted((self.keys[v], c) for v, c in self.rows[r].coefs.items())))
                           for r in rows):
            digest.update(text.encode())
        for v in sorted(comp, key=self.keys.__getitem__):
            digest.update(repr((self.keys[v], self.lower[v], self.upper[v])).encode())
        entry = (comp, rows, digest.digest())
        for v in comp:
            self._components[v] = entry
        return entry

    def required(self, i: int, upper: float) -> float:
        """The width a suppressed variable's interval must have."""
        if self.kind[i] == COUNT:
            return float(self.policy.threshold)
        return self.policy.money_protection_percent / 100.0 * upper if math.isfinite(upper) else 0.0

    def check(self, i: int) -> Finding | None:
        """A :class:`Finding` when suppressed variable ``i`` is not protected."""
        lo, hi = self.interval(i)
        if math.isnan(lo):
            lo, hi = math.inf, -math.inf  # inconsistent: reported as an empty interval
        need = self.required(i, hi)
        if hi - lo >= need - 1e-9:
            return None
        return Finding(*self.keys[i], lower=round(lo, 6), upper=round(hi, 6), required=need)


def audit_published(published: pd.DataFrame, policy: Policy, registry: Registry | None = None,
                    revision_percent: float = 0.0) -> tuple[list[Finding], dict]:
    """Check every suppressed figure of a published tidy frame against what a reader can work
    out from the published figures and the declared relations.

    Parameters
    ----------
    published : DataFrame
        Published tidy frame (``table, period, measure, breakdown, value, unit``; values as text).
    policy : Policy
    registry : Registry, optional
        Defaults to the policy's registry.
    revision_percent : float
        When figures may have been held at their previously published value (revisions), the
        revision threshold; 0 otherwise.

    Returns
    -------
    findings : list of Finding
        Suppressed figures whose feasible interval is narrower than the protection.
    stats : dict
        ``suppressed`` (cells checked), ``variables``, ``relations`` (rows), ``solves`` (LPs),
        ``seconds``.
    """
    start = time.perf_counter()
    system = ReaderSystem.from_published(published, policy, registry or load_registry(),
                                         revision_percent)
    findings = [f for f in (system.check(i) for i in system.suppressed()) if f is not None]
    stats = {"suppressed": len(system.suppressed()), "variables": len(system.keys),
             "relations": len(system.rows), "solves": system.solves,
             "seconds": round(time.perf_counter() - start, 3)}
    return findings, stats
