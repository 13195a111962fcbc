"""The measures the publication strategy planned (issue 12): shared care, enforcement and the
legacy CSA arrears, added to the model's snapshots, and the enforcement actions file.

:class:`PlannedMeasuresWriter` is the model's snapshot writer with three optional columns
added to every snapshot (``shared_care_nights``, ``in_enforcement``, ``csa_arrears``, and the
paying parent's ``constituency_code`` from :mod:`._geography`) from the month's cases as the
model wrote them. Every draw comes from a random stream of its own
(``[seed, 201..205]``), so the model's stream, and every other column of the folder, keeps its
bytes. Parameters: ``shared_care``, ``enforcement``, ``legacy_csa_arrears`` in
``parameters.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cms_stats.months import month_index

from . import _vintages as vin
from . import _writer as w
from ._geography import ConstituencyDraws
from ._model import CP, DP, anchors, month_start_day

#: The streams' spawn keys (COMMON: enforcement's are 201-209).
STREAMS = {"shared_care": 201, "enforcement": 202, "actions": 203, "csa": 204, "recorded": 205}


class PlannedMeasuresWriter(w.ExtractWriter):
    """The extract writer with the planned measures' snapshot columns and enforcement actions."""

    def __init__(self, folder: Path, id_offsets: dict, params: dict, seed: int):
        super().__init__(folder, id_offsets)
        self.p = params
        self.rng = {k: np.random.default_rng([seed, v]) for k, v in STREAMS.items()}
        self.nights = np.zeros(0, np.int64)       # -1 none drawn yet; else the nights
        self.enforced = np.zeros(0, bool)
        self.csa = np.zeros(0, np.int64)          # pence; -1 none drawn yet
        self.actions = {"case": [], "day": [], "type": []}
        self.constituency = ConstituencyDraws(params["geography"], seed)

    def _grow(self, top: int) -> None:
        n = len(self.nights)
        if top > n:
            extra = top - n
            self.nights = np.concatenate([self.nights, np.full(extra, -1, np.int64)])
            self.enforced = np.concatenate([self.enforced, np.zeros(extra, bool)])
            self.csa = np.concatenate([self.csa, np.full(extra, -1, np.int64)])

    def extra_columns(self, month, case, group, origin, stype, weekly, closing) -> dict:
        case = np.asarray(case, np.int64)
        self._grow(int(case.max()) + 1 if len(case) else 0)
        number = np.array([month_index(month)])
        nights = self._shared_care(case, np.asarray(weekly))
        enforced = self._enforcement(month, number, case, np.asarray(stype), np.asarray(closing))
        csa = self._csa_arrears(number, case, np.asarray(origin))
        return {
            "shared_care_nights": w.pa.array(nights, w.pa.int64(), mask=nights < 0),
            "in_enforcement": w.pa.array(enforced.astype(np.int64), w.pa.int64()),
            "csa_arrears": w.money(csa),
            "constituency_code": self.constituency.column(group),
        }

    def _shared_care(self, case, weekly) -> np.ndarray:
        """Nights drawn once, when a case first has a positive liability; kept after (null
        before any)."""
        sc, rng = self.p["shared_care"], self.rng["shared_care"]
        new = case[(self.nights[case] < 0) & (weekly > 0)]
        u = rng.random(len(new))
        bands = np.array(sc["bands"], float)  # [low, high, probability]
        which = rng.choice(len(bands), len(new), p=bands[:, 2] / bands[:, 2].sum())
        lo, hi = bands[which, 0].astype(np.int64), bands[which, 1].astype(np.int64)
        drawn = lo + np.floor(rng.random(len(new)) * (hi - lo + 1)).astype(np.int64)
        below = (u >= sc["share"]) & (u < sc["share"] + sc["below_52_share"])
        few = rng.integers(1, 52, len(new))
        self.nights[new] = np.where(u < sc["share"], drawn, np.where(below, few, 0))
        return self.nights[case]

    def _enforcement(self, month, number, case, stype, closing) -> np.ndarray:
        """Cases enter enforcement (mostly Collect and Pay with arrears) and leave it; each entry
        starts an action, and cases staying in enforcement start further ones."""
        en, rng = self.p["enforcement"], self.rng["enforcement"]
        start = float(anchors(en["entry_rate"], number)[0])
        owing = closing >= en["arrears_threshold"] * 100
        rate = np.where(stype == CP, start, start * en["other_service_factor"])
        rate = np.where(stype == DP, 0.0, rate) * owing
        u = rng.random(len(case))
        was = self.enforced[case]
        enter = ~was & (u < rate)
        leave = np.where(stype == DP, en["direct_pay_exit"], en["monthly_exit"])
        stay = was & owing & (u >= leave)
        now = enter | stay
        self.enforced[case] = now
        more = stay & (rng.random(len(case)) < en["further_action_rate"])
        self._actions(month, np.concatenate([case[enter], case[more]]))
        return now

    def _actions(self, month, cases) -> None:
        en, rng = self.p["enforcement"], self.rng["actions"]
        p = np.array(list(en["action_types"].values()), float)  # codes: the keys, in order
        first = month_start_day(month_index(month))
        last = month_start_day(month_index(month) + 1) - 1
        self.actions["case"].append(cases)
        self.actions["type"].append(rng.choice(len(p), len(cases), p=p / p.sum()))
        self.actions["day"].append(first + rng.integers(0, last - first + 1, len(cases)))

    def _csa_arrears(self, number, case, origin) -> np.ndarray:
        """CSA arrears put on a case when first seen (most arrears-only cases, some new
        applications after CSA case closure), long-tailed; then paid down or written off."""
        ca, rng = self.p["legacy_csa_arrears"], self.rng["csa"]
        first_seen = self.csa[case] < 0
        new = case[first_seen]
        share = np.where(origin[first_seen] == 1, ca["arrears_only_share"],
                         float(anchors(ca["new_application_share"], number)[0]))
        carry = rng.random(len(new)) < share
        pounds = np.minimum(ca["median"] * np.exp(ca["sigma"] * rng.standard_normal(len(new))),
                            ca["maximum"])
        self.csa[new] = np.where(carry, np.round(pounds * 100), 0).astype(np.int64)
        held = case[self.csa[case] > 0]
        u = rng.random(len(held))
        pay = u < ca["monthly_repayment"]
        self.csa[held[pay]] = np.round(self.csa[held[pay]] * (1 - rng.uniform(
            0.02, 0.10, int(pay.sum())))).astype(np.int64)
        self.csa[held[(u >= ca["monthly_repayment"])
                      & (u < ca["monthly_repayment"] + ca["monthly_write_off"])]] = 0
        return self.csa[case]

    def write_actions(self, path: Path, extracted: int) -> None:
        """``events/enforcement_actions.parquet``, in date order, with recording dates."""
        case = np.concatenate(self.actions["case"]).astype(np.int64)
        day = np.concatenate(self.actions["day"]).astype(np.int64)
        kind = np.concatenate(self.actions["type"]).astype(np.int64)
        order = np.lexsort((kind, case, day))
        late = self.p["enforcement"]["late_recording"]
        recorded = vin.recorded_days(self.rng["recorded"], day[order], late, extracted)
        w.write_parquet(path, {
            "action_id": w.ids("E", self.off["enforcement_action"] + np.arange(len(order)), 9),
            "case_id": self.case_ids(case[order]),
            "action_date": w.dates(day[order]),
            "action_type": w.codes(w.pa.array(list(self.p["enforcement"]["action_types"])),
                                   kind[order]),
            "recorded_date": w.dates(recorded),
        })
