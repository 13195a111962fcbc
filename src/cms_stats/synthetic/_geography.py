"""The paying parent's constituency of each case group (model 1.4).

A case group (one paying parent) is given one constituency of Great Britain the first time it
is written, kept for as long as it is on the caseload, drawn in proportion to the population of
the 632 constituencies (``cms_stats.areas``); a share ``not_known_share`` has none recorded
(null). The draws come from a random stream of their own (``[seed, 206]``), taken in order of
the case group's number (one uniform number per group, whatever the month the group first
appears in), so every other column of the folder keeps its bytes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cms_stats.areas import constituencies

#: The stream's spawn key (the planned measures' are 201-205).
STREAM = 206


class ConstituencyDraws:
    """The constituency (an index into :func:`cms_stats.areas.constituencies`, ``-1`` not
    known) of every case group, drawn once per group number."""

    def __init__(self, params: dict, seed: int):
        self.rng = np.random.default_rng([seed, STREAM])
        self.not_known = float(params["not_known_share"])
        population = constituencies()["population"].to_numpy(np.float64)
        self.cumulative = np.cumsum(population) / population.sum()
        self.codes = pa.array(constituencies()["constituency_code"].tolist(), pa.string())
        self.drawn = np.zeros(0, np.int64)

    def _grow(self, top: int) -> None:
        # uniform doubles drawn in group-number order: the same numbers whatever the chunks
        extra = top - len(self.drawn)
        if extra <= 0:
            return
        u = self.rng.random(extra)
        unknown = u < self.not_known
        # the rest of the unit interval, rescaled, picks a constituency by population
        v = (u - self.not_known) / (1.0 - self.not_known)
        index = np.minimum(np.searchsorted(self.cumulative, v, side="right"), len(self.cumulative) - 1)
        self.drawn = np.concatenate([self.drawn, np.where(unknown, -1, index)])

    def column(self, group) -> pa.Array:
        """The ``constituency_code`` column for the case groups ``group`` (numbers)."""
        group = np.asarray(group, np.int64)
        self._grow(int(group.max()) + 1 if len(group) else 0)
        return _take(self.codes, self.drawn[group])


def _take(codes: pa.Array, index: np.ndarray) -> pa.Array:
    """Codes at ``index`` (null where ``-1``)."""
    return codes.take(pa.array(index, pa.int64(), mask=index < 0))
