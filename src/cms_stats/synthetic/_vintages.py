"""When each synthetic fact became known: late recording, MI re-deliveries, the seed's correction.

Everything here adds recording dates to data the model has already made: the rows of the
final extract and their values are unchanged (the figures of the data as finally extracted
are those of the model), except that a month's earlier MI deliveries carry the values first
delivered. Draws come from a generator of their own (seeded from the folder's seed), so the
model's own random stream, and so every other value, is untouched.

Parameters: ``vintages`` in ``parameters.yaml``.
"""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np

from cms_stats.months import month_end, month_from_index, month_index

from ._model import day_of

#: The spawn key of the vintages' random stream (apart from the model's).
_STREAM = 10


def rng_for(seed: int) -> np.random.Generator:
    """The vintages' own random generator for a folder's seed."""
    return np.random.default_rng([seed, _STREAM])


def extracted_day(params: dict, last: int) -> int:
    """The extraction day: the last day of the month ``extracted_months_after_last`` after the
    folder's last month (2016-08 -> 2016-12-31)."""
    month = month_from_index(last + int(params["vintages"]["extracted_months_after_last"]))
    return day_of(month_end(month).isoformat())


def recorded_days(rng: np.random.Generator, event_days: np.ndarray, spec: dict | None,
                  extracted: int) -> np.ndarray:
    """The day each row was recorded: the event day, or for a share of rows (``spec``:
    ``share``, ``min_days``, ``max_days``) a uniform number of days later; never after the
    extraction day."""
    if not spec or not spec.get("share"):
        return np.asarray(event_days, np.int64).copy()
    late = rng.random(len(event_days)) < float(spec["share"])
    delay = rng.integers(int(spec["min_days"]), int(spec["max_days"]) + 1, len(event_days))
    return _delayed(event_days, late, delay, extracted)


def _delayed(event_days: np.ndarray, late: np.ndarray, delay: np.ndarray, extracted: int) -> np.ndarray:
    """The event days, those ``late`` by ``delay`` days later; never after the extraction day
    (unless the event itself is)."""
    days = np.asarray(event_days, np.int64).copy()
    days[late] += delay[late]
    return np.minimum(days, np.maximum(extracted, np.asarray(event_days, np.int64)))


class RecordedInParts:
    """:func:`recorded_days` of rows given a part at a time, with the same result.

    ``recorded_days(rng, concatenated parts, ...)`` draws every row's "late?" uniform, then
    every row's delay; here the uniforms come from a copy of ``rng`` and ``rng`` itself is moved
    past them (in bounded pieces, nothing kept) to draw the delays part by part. Numpy's
    uniforms and bounded integers are drawn element by element from the bit generator's state
    (which also carries its spare 32 bits), so the days are equal to the whole draw's, and after
    the last part ``rng`` is where :func:`recorded_days` leaves it.

    Parameters
    ----------
    rng : numpy.random.Generator
        The vintages' stream, as :func:`recorded_days` would be given it.
    spec : dict or None
        As :func:`recorded_days`.
    total : int
        The number of rows of all the parts.
    extracted : int
        The extraction day.
    """

    #: Uniforms skipped at a time (bounded memory).
    _SKIP = 1 << 20

    def __init__(self, rng: np.random.Generator, spec: dict | None, total: int, extracted: int):
        self.spec, self.extracted, self.left = spec, extracted, int(total)
        self.draws = bool(spec and spec.get("share"))
        if self.draws:
            self.late_rng = copy.deepcopy(rng)
            for start in range(0, self.left, self._SKIP):
                rng.random(min(self._SKIP, self.left - start))
        self.rng = rng

    def days(self, event_days: np.ndarray) -> np.ndarray:
        """The recording days of the next part's rows."""
        n = len(event_days)
        if n > self.left:
            raise ValueError(f"{n} rows given, {self.left} announced")
        self.left -= n
        if not self.draws:
            return np.asarray(event_days, np.int64).copy()
        late = self.late_rng.random(n) < float(self.spec["share"])
        delay = self.rng.integers(int(self.spec["min_days"]), int(self.spec["max_days"]) + 1, n)
        return _delayed(event_days, late, delay, self.extracted)


def copies_as_originals(recorded: np.ndarray, case: np.ndarray, dup: np.ndarray) -> np.ndarray:
    """Duplicated applications are exact copies made by the system: recorded with their
    original (same ``case``; the original is the row with ``dup`` False)."""
    out = recorded.copy()
    originals = np.flatnonzero(~dup)
    lookup = dict(zip(case[originals].tolist(), recorded[originals].tolist()))
    copies = np.flatnonzero(dup)
    out[copies] = [lookup[c] for c in case[copies].tolist()]
    return out


def correction_batch(params: dict, apps: dict, order: np.ndarray, recorded: np.ndarray,
                     extracted: int) -> tuple[np.ndarray, dict]:
    """The seed's correction after publication: a batch of one month's applications recorded
    late on one day, so that the data as known at the edition's cut-off give the share first
    published and the data as known later give the corrected one.

    The batch is a share of the month's arrears-only applications (the Arrears Only intake
    figures that were updated) and, recorded with them, enough of the month's fee-paying new
    applications (with any duplicate copies) that the fee-exemption share over the new
    applications known at the cut-off is ``original_fee_exemption_share``.

    Returns the recorded days (rows in written order) and what was done (for ``extract.json``
    tests and the book: month, day, rows).
    """
    cfg = params["vintages"].get("correction")
    if not cfg:
        return recorded, {}
    day = day_of(cfg["recorded"])
    month = cfg["month"]
    lo, hi = day_of(f"{month}-01"), day_of(month_end(month).isoformat())
    received = apps["day"][order]
    in_month = (received >= lo) & (received <= hi)
    if day > extracted or not in_month.any():
        return recorded, {}
    kind, fee, dup, case = (apps[k][order] for k in ("type", "fee", "dup", "case"))
    rng = np.random.default_rng([int(day), _STREAM])
    arrears = np.flatnonzero(in_month & (kind == 1))
    n_arrears = int(round(float(cfg["arrears_only_share"]) * len(arrears)))
    batch = np.zeros(len(order), bool)
    batch[rng.choice(arrears, n_arrears, replace=False)] = True
    # new applications after de-duplication (originals) and exemptions, in the month
    new = in_month & (kind == 0) & ~dup
    exempt = int(np.sum(new & ((fee == 2) | (fee == 3))))
    known_new = int(round(exempt / float(cfg["original_fee_exemption_share"])))
    n_paid = max(0, int(np.sum(new)) - known_new)
    paid = np.flatnonzero(new & (fee == 1))
    chosen = rng.choice(paid, min(n_paid, len(paid)), replace=False)
    batch |= np.isin(case, case[chosen]) & in_month & (kind == 0)  # with their copies
    out = recorded.copy()
    out[batch] = day
    return out, {"month": month, "recorded": cfg["recorded"], "rows": int(batch.sum())}


def mi_deliveries(params: dict, rng: np.random.Generator, feed: str, labels: list[str],
                  columns: list[np.ndarray], derive, extracted: int) -> list[list]:
    """An MI feed's rows, one per delivery of a month, in delivery order.

    Month M is first delivered on day ``mi_first_delivery_day`` of M+1; a share of months
    (``mi_revisions[feed]``) is re-delivered one to ``months_later_max`` months later with the
    values of the final extract, the first delivery having been lower by a uniform ``size_min``
    to ``size_max``. ``derive(columns)`` returns the feed's columns (totals recomputed, limits
    kept) from perturbed components. Deliveries after the extraction day are not in the file.
    """
    v = params["vintages"]
    first_day = int(v["mi_first_delivery_day"])
    spec = v["mi_revisions"].get(feed) or {}
    n = len(labels)
    revise = rng.random(n) < float(spec.get("share", 0.0))
    size = rng.uniform(float(spec.get("size_min", 0.0)), float(spec.get("size_max", 0.0)), n)
    later = rng.integers(1, int(spec.get("months_later_max", 1)) + 1, n)
    final = derive([np.asarray(c, np.int64) for c in columns])
    first = derive([np.round(np.asarray(c, np.float64) * (1 - size)).astype(np.int64)
                    for c in columns])
    rows = []
    for i, label in enumerate(labels):
        m = month_index(label)
        delivered = dt.date.fromisoformat(f"{month_from_index(m + 1)}-{first_day:02d}")
        again = dt.date.fromisoformat(f"{month_from_index(m + 1 + int(later[i]))}-{first_day:02d}")
        changed = revise[i] and any(int(f[i]) != int(g[i]) for f, g in zip(first, final))
        if changed and day_of(again.isoformat()) <= extracted:
            rows.append((delivered, i, [int(c[i]) for c in first]))
            rows.append((again, i, [int(c[i]) for c in final]))
        else:
            rows.append((delivered, i, [int(c[i]) for c in final]))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [[labels[i], *values, day] for day, i, values in rows]
