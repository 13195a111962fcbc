"""Application clearances and case closures (model 1.3): the facts behind Tables 16 and 17.

Built on the model's cases without changing them: every draw here comes from random streams
of their own (seeded from the folder's seed, stream numbers 101-109), so every file and column
the model wrote before 1.3 keeps its bytes.

* A new application is *cleared* when its case's initial calculation is made (``clearance_type``
  ``calculation_made``, on the calculation's effective day), or, for a share of applications,
  closed without a calculation (the applicant withdraws or the parents make their own
  arrangement) some days after receipt. A share of clearances has a long tail of extra delay,
  and some land exactly 42, 84 or 182 days after receipt (the 6, 12 and 26 week boundaries).
  A clearance after the extract's last month is not yet made (null). Arrears-only
  applications are not cleared in this sense (null).
* A case the model closes in month m (in the snapshot of m-1, not of m) closes on a day of m
  drawn uniformly, with the maintenance due from the 1st to the day before it, and a reason
  drawn by the case's state when it closed. A small share is recorded in the month after
  (a data-quality fault the measures count).

Parameters: ``clearances`` and ``closures`` in ``parameters.yaml``.
"""

from __future__ import annotations

import numpy as np

#: Random streams (COMMON: clearances 101-109).
_CLEARANCE_STREAM, _CLOSURE_STREAM = 101, 102

CLEARANCE_TYPES = ("calculation_made", "closed_without_calculation")
CLOSURE_REASONS = ("family_based_arrangement", "child_leaves_qualifying_age",
                   "applicant_withdraws", "no_further_liability", "other")
#: the state of a case when it closed (``_model``: 0 positive liability, 1 none, 2 arrears only)
_STATES = ("positive_liability", "no_liability", "arrears_only")


def closures(params: dict, seed: int, res: dict) -> dict:
    """The closures file's rows: the model's closed cases, in closing order.

    Returns
    -------
    dict
        ``case`` (model index), ``day`` (closed day), ``due`` (pence due in the month of
        closure to the day before it), ``reason`` (index into :data:`CLOSURE_REASONS`).
    """
    rng = np.random.default_rng([seed, _CLOSURE_STREAM])
    spec = params["closures"]
    cases = res["cases"]
    case = np.flatnonzero(cases["closed_at"] >= 0)
    month = cases["closed_at"][case]
    lo, hi = res["starts"][month], res["ends"][month]
    day = lo + np.floor(rng.random(len(case)) * (hi - lo + 1)).astype(np.int64)
    due = np.round(cases["closed_weekly"][case] * (day - lo) / 7).astype(np.int64)
    reason = np.zeros(len(case), np.int64)
    u = rng.random(len(case))
    state = cases["closed_state"][case]
    for s, name in enumerate(_STATES):
        shares = np.array([float(spec["reasons"][name][r]) for r in CLOSURE_REASONS])
        cut = np.cumsum(shares / shares.sum())
        here = state == s
        reason[here] = np.minimum(np.searchsorted(cut, u[here], side="right"), len(cut) - 1)
    # fault: recorded in the month after the one it closed in (the snapshots disagree)
    late = (rng.random(len(case)) < float(params["faults"]["closure_recorded_next_month"])) \
        & (hi + 1 <= res["extract_end"])
    day[late] = hi[late] + 1 + rng.integers(0, 28, int(late.sum()))
    order = np.lexsort((case, day))
    return {"case": case[order], "day": day[order], "due": due[order], "reason": reason[order]}


def application_clearances(params: dict, seed: int, res: dict, apps: dict,
                           order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cleared day and clearance type of each application row (in ``order``).

    Returns
    -------
    (cleared, kind)
        Days (``-1``: not cleared by the extract's last day) and indices into
        :data:`CLEARANCE_TYPES` (``-1`` where not cleared).
    """
    rng = np.random.default_rng([seed, _CLEARANCE_STREAM])
    spec = params["clearances"]
    cases = res["cases"]
    case = apps["case"][order].astype(np.int64)
    received = apps["day"][order].astype(np.int64)
    new = apps["type"][order] == 0
    n = len(case)
    cleared = np.where(new, cases["initial_day"][case], -1).astype(np.int64)
    kind = np.where(cleared >= 0, 0, -1).astype(np.int64)
    # draws for every row (copies included), so each row's draw depends only on its position
    u_closed, u_tail, u_edge = rng.random(n), rng.random(n), rng.random(n)
    closed_delay = rng.integers(int(spec["closed_days_min"]), int(spec["closed_days_max"]) + 1, n)
    tail_delay = rng.integers(int(spec["tail_days_min"]), int(spec["tail_days_max"]) + 1, n)
    edge_days = np.array(spec["boundary_days"], np.int64)[rng.integers(0, len(spec["boundary_days"]), n)]
    closed = new & (u_closed < float(spec["closed_without_calculation_share"]))
    cleared[closed] = received[closed] + closed_delay[closed]
    kind[closed] = 1
    tail = new & ~closed & (cleared >= 0) & (u_tail < float(spec["tail_share"]))
    cleared[tail] += tail_delay[tail]
    edge = new & ~tail & (cleared >= 0) & (u_edge < float(spec["boundary_share"]))
    cleared[edge] = received[edge] + edge_days[edge]
    # a duplicated application is a copy of its original: cleared with it
    dup = apps["dup"][order]
    first = {c: i for i, c in enumerate(case.tolist()) if not dup[i]}
    copies = np.flatnonzero(dup)
    src = np.array([first[c] for c in case[copies].tolist()], np.int64)
    cleared[copies], kind[copies] = cleared[src], kind[src]
    pending = cleared > res["extract_end"]
    cleared[pending], kind[pending] = -1, -1
    return cleared, kind
