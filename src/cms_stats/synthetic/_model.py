"""The case-by-case simulation behind :func:`cms_stats.synthetic.generate`.

Vectorised numpy over arrays of cases with a loop over months. Money is held in integer pence
so that every arrears roll-forward reconciles exactly (to the penny) unless a fault is injected.
Monthly snapshots and samples are handed to a writer as soon as the month is simulated, so the
whole history never sits in memory at once.
"""

from __future__ import annotations

import numpy as np

from cms_stats.months import month_from_index, month_index

from ._spill import SpilledEvents
from ._writer import ExtractWriter

#: Where event rows wait on disk inside the folder being written (removed before it is complete).
SPILL_FOLDER = ".spill"
# service type codes inside the simulation
NONE, DP, CP = 0, 1, 2
# payer classes of Collect and Pay cases
PAYER_CLASSES = ("full", "partial", "none")


# --- calendar helpers -----------------------------------------------------------------
def month_start_day(number: int) -> int:
    """Days since 1970-01-01 of the first day of the month."""
    return int(np.datetime64(month_from_index(number) + "-01", "D").astype(np.int64))


def day_of(date: str) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))


def anchors(spec, numbers: np.ndarray) -> np.ndarray:
    """Evaluate a parameter that is a constant or a ``{YYYY-MM: value}`` anchor mapping."""
    if not isinstance(spec, dict):
        return np.full(len(numbers), float(spec))
    points = sorted((month_index(str(k)), float(v)) for k, v in spec.items())
    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    return np.interp(numbers.astype(float), xs, ys)


def _uniform_days(rng, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A uniformly drawn day in [low, high] (inclusive), elementwise."""
    return low + np.floor(rng.random(len(low)) * (high - low + 1)).astype(np.int64)


class _Events:
    """Per-month event arrays, concatenated once at the end."""

    def __init__(self, *names):
        self.parts = {n: [] for n in names}

    def add(self, **arrays):
        for name, arr in arrays.items():
            self.parts[name].append(np.asarray(arr))

    def concat(self):
        return {n: (np.concatenate(p) if p else np.empty(0)) for n, p in self.parts.items()}


def simulate(params: dict, rng: np.random.Generator, scale: float, first: int, last: int,
             writer: ExtractWriter) -> dict:
    """Run the monthly simulation from month number ``first`` to ``last`` inclusive.

    Snapshots, samples and nothing else are written through ``writer`` during the loop; the
    event tables and MI feeds are returned as plain arrays for the writer to finish, except the
    service requests and payments: :class:`~._spill.SpilledEvents` under ``writer.folder``, whose
    rows of a month are all dated in it (received, paid).
    """
    numbers = np.arange(first, last + 1)
    n_months = len(numbers)
    starts = np.array([month_start_day(n) for n in numbers], dtype=np.int64)
    ends = np.array([month_start_day(n + 1) - 1 for n in numbers], dtype=np.int64)
    dims = ends - starts + 1
    scheme_start = day_of(params["scheme_start"])
    fee_start = day_of(params["fee_start"])
    extract_end = int(ends[-1])
    faults = params["faults"]

    # --- intake volumes, drawn up front so every case has its slot -------------------
    new_rate = anchors(params["new_applications"], numbers) * scale
    december = np.array([month_from_index(int(x)).endswith("-12") for x in numbers])
    new_rate[december] *= anchors(params["december_new_application_factor"], numbers)[december]
    ao_rate = anchors(params["arrears_only_applications"], numbers) * scale
    ao_rate[numbers < month_index("2014-12")] = 0.0  # arrears-only data from Dec 2014
    n_new = rng.poisson(new_rate)
    n_ao = rng.poisson(ao_rate)
    n_pre = int(rng.poisson(params["pathfinder_cases"] * scale)) if first <= month_index("2013-08") else 0
    n_cases = n_pre + int(n_new.sum() + n_ao.sum())

    origin = np.zeros(n_cases, np.int8)           # 0 new application, 1 arrears only
    open_month = np.zeros(n_cases, np.int16)      # index into months
    opened_day = np.zeros(n_cases, np.int64)
    block_lo = np.zeros(n_months, np.int64)
    block_hi = np.zeros(n_months, np.int64)
    pos = 0
    if n_pre:
        opened_day[:n_pre] = np.sort(_uniform_days(
            rng, np.full(n_pre, day_of(params["pathfinder_first_date"])),
            np.full(n_pre, starts[0] - 1)))
        pos = n_pre
    for m in range(n_months):
        k = int(n_new[m] + n_ao[m])
        block_lo[m], block_hi[m] = pos, pos + k
        kinds = np.concatenate([np.zeros(n_new[m], np.int8), np.ones(n_ao[m], np.int8)])
        days = _uniform_days(rng, np.full(k, starts[m]), np.full(k, ends[m]))
        order = np.lexsort((kinds, days))          # case ids follow the opening date
        origin[pos:pos + k] = kinds[order]
        opened_day[pos:pos + k] = days[order]
        open_month[pos:pos + k] = m
        pos += k

    children_p = np.array(params["children"], float)
    children = (rng.choice(len(children_p), n_cases, p=children_p / children_p.sum()) + 1).astype(np.int64)
    lag_p = np.array(params["calculation_lag_probabilities"], float)
    lag = rng.choice(len(lag_p), n_cases, p=lag_p / lag_p.sum())
    calc_month = np.where(origin == 0, open_month + lag, -1).astype(np.int64)

    group = np.full(n_cases, -1, np.int64)
    rparent = np.full(n_cases, -1, np.int64)
    is_open = np.zeros(n_cases, bool)
    was_closed = np.zeros(n_cases, bool)
    reapplied = np.zeros(n_cases, bool)           # closed case whose parents applied again
    service = np.zeros(n_cases, np.int8)
    weekly = np.zeros(n_cases, np.int64)          # pence
    has_calc = np.zeros(n_cases, bool)
    payer = np.zeros(n_cases, np.int8)
    cp_since = np.full(n_cases, -1, np.int64)      # month a case last became Collect and Pay
    arrears = np.zeros(n_cases, np.int64)         # pence, last reported closing
    # what the clearances and closures files are built from (no draws: _clearances.py draws)
    closed_at = np.full(n_cases, -1, np.int64)     # month (index) the case closed in
    closed_state = np.zeros(n_cases, np.int8)     # at closure: 0 positive liability, 1 none, 2 arrears only
    closed_weekly = np.zeros(n_cases, np.int64)   # weekly liability (pence) when it closed
    initial_day = np.full(n_cases, -1, np.int64)  # effective day of the initial calculation
    n_groups = 0
    n_rparents = 0

    # parameters used every month
    dv_share = anchors(params["fee"]["exempt_domestic_violence"], numbers)
    u19_share = float(params["fee"]["exempt_under_19"])
    dp_share = anchors(params["direct_pay_share_of_calculations"], numbers)
    cp_to_dp = anchors(params["monthly_switch_cp_to_dp"], numbers)
    wl = params["weekly_liability"]
    payer_share = np.stack([anchors(params["payer_classes"][c]["share"], numbers) for c in PAYER_CLASSES], 1)
    pay_prob = np.array([params["payer_classes"][c]["pay_probability"] for c in PAYER_CLASSES])
    frac_lo = np.array([params["payer_classes"][c]["fraction_low"] for c in PAYER_CLASSES])
    frac_hi = np.array([params["payer_classes"][c]["fraction_high"] for c in PAYER_CLASSES])
    hz = params["closure_hazard"]
    first_pay = anchors(params["first_month_pay_factor"], numbers)
    coc_rate = anchors(params["change_of_circumstances_rate"], numbers)
    coc_fast = anchors(params["coc_cleared_within_28_days"], numbers)
    mr_rate = anchors(params["mr_rate"], numbers)
    mr_fast = anchors(params["mr_cleared_within_20_days"], numbers)
    checks_n = anchors(params["accuracy_checks"]["checks"], numbers) * scale
    inaccurate = anchors(params["accuracy_checks"]["inaccurate_share"], numbers)
    sample_size = int(params["children_sample_size"])
    dc = params["definition_cases"]
    pending_closed = (np.empty(0, np.int64), np.empty(0, np.int64))  # closed last month, their arrears

    def draw_weekly(kind: np.ndarray) -> np.ndarray:
        med = np.where(kind == DP, wl["direct_pay"]["median"], wl["collect_and_pay"]["median"])
        sig = np.where(kind == DP, wl["direct_pay"]["sigma"], wl["collect_and_pay"]["sigma"])
        pounds = np.maximum(med * np.exp(sig * rng.standard_normal(len(kind))), wl["minimum"])
        return np.round(pounds * 100).astype(np.int64)

    def draw_payer(k: int) -> np.ndarray:
        return rng.choice(3, k, p=payer_share[m] / payer_share[m].sum()).astype(np.int8)

    apps = _Events("day", "type", "group", "rparent", "fee", "case", "dup")
    liab = _Events("case", "day", "weekly", "service", "reason")
    pays = SpilledEvents(writer.folder / SPILL_FOLDER / "payments", "case", "group", "day", "amount")
    # the largest event files wait on disk (at 1.0 x 120: 45M service requests, 6M payments)
    reqs = SpilledEvents(writer.folder / SPILL_FOLDER / "service_requests", "case", "received", "cleared")
    mrs = _Events("case", "received", "cleared", "outcome")
    checks = _Events("month", "case", "calculated", "correct")
    caseload = np.zeros(n_months, np.int64)
    fault_counts = {"arrears_lost_between_months": 0, "arrears_lost_within_month": 0,
                    "arrears_case_months": 0}

    for m in range(n_months):
        lo, hi = int(block_lo[m]), int(block_hi[m])
        month_lo, month_hi = int(starts[m]), int(ends[m])
        if m == 0 and n_pre:
            # pathfinder cases: already open, each its own paying parent
            idx = np.arange(n_pre)
            group[idx] = n_groups + idx
            rparent[idx] = n_rparents + idx
            n_groups += n_pre
            n_rparents += n_pre
            is_open[idx] = True

        # --- closures among cases open before this month ------------------------------
        prior = np.flatnonzero(is_open)
        h = np.where(origin[prior] == 1, hz["arrears_only"],
                     np.where(weekly[prior] > 0, hz["positive_liability"],
                              np.where(has_calc[prior], hz["no_liability"], 0.0)))
        closing = prior[rng.random(len(prior)) < h]
        closed_at[closing] = m
        closed_state[closing] = np.where(origin[closing] == 1, 2, np.where(weekly[closing] > 0, 0, 1))
        closed_weekly[closing] = weekly[closing]
        is_open[closing] = False
        was_closed[closing] = True
        # a closed case with arrears sometimes still pays after its last snapshot
        late = closing[(arrears[closing] > 0) & (rng.random(len(closing)) < dc["closed_case_payment"])]
        if len(late):
            pays.add(m, case=late, group=group[late],
                     day=_uniform_days(rng, np.full(len(late), month_lo), np.full(len(late), month_hi)),
                     amount=np.maximum(1, np.round(arrears[late] * rng.uniform(0.1, 1.0, len(late))))
                     .astype(np.int64))

        # --- this month's openings: case groups, parents, applications --------------------
        new_idx = np.arange(lo, hi)
        survivors = np.flatnonzero(is_open & (origin == 0))
        # one closed case per parent pair is ever in this pool, so a pair never applies twice a day
        closed_new = np.flatnonzero(was_closed & (origin == 0) & ~reapplied)
        u = rng.random(len(new_idx))
        is_new_app = origin[new_idx] == 0
        join = np.where(is_new_app, u < params["group_join_share"],
                        u < params["arrears_only_group_join_share"]) & (len(survivors) > 0)
        reapply = is_new_app & ~join & (u < params["group_join_share"] + params["reapplication_share"])
        reapply[np.flatnonzero(reapply)[len(closed_new):]] = False
        fresh = ~join & ~reapply
        if join.any():
            group[new_idx[join]] = group[rng.choice(survivors, int(join.sum()))]
        if reapply.any():
            src = rng.choice(closed_new, int(reapply.sum()), replace=False)
            reapplied[src] = True
            group[new_idx[reapply]] = group[src]
            rparent[new_idx[reapply]] = rparent[src]
        k = int(fresh.sum())
        group[new_idx[fresh]] = n_groups + np.arange(k)
        n_groups += k
        ao_fresh = new_idx[fresh & ~is_new_app]
        pair = ao_fresh[rng.random(len(ao_fresh)) < dc["arrears_only_with_same_day_new_application"]]
        new_fresh = new_idx[fresh & is_new_app]
        if len(pair) and len(new_fresh):
            at = np.searchsorted(opened_day[new_fresh], opened_day[pair])
            at = np.minimum(at, len(new_fresh) - 1)
            ok = opened_day[new_fresh[at]] == opened_day[pair]
            group[pair[ok]] = group[new_fresh[at[ok]]]
            rparent[pair[ok]] = n_rparents + np.arange(int(ok.sum()))
            n_rparents += int(ok.sum())
            rparent[new_fresh[at[ok]]] = rparent[pair[ok]]
        need_rp = new_idx[rparent[new_idx] < 0]
        rparent[need_rp] = n_rparents + np.arange(len(need_rp))
        n_rparents += len(need_rp)
        is_open[new_idx] = True

        # applications (and duplicates) of the month
        days = opened_day[new_idx]
        fee = np.zeros(len(new_idx), np.int8)  # 0 no_fee, 1 fee_paid, 2 DV, 3 under 19
        charged = is_new_app & (days >= fee_start)
        uf = rng.random(len(new_idx))
        fee[charged] = np.where(uf[charged] < dv_share[m], 2,
                                np.where(uf[charged] < dv_share[m] + u19_share, 3, 1))
        # fee status recorded in error: a new application after the fee recorded no_fee
        fee[charged & (rng.random(len(new_idx)) < dc["no_fee_recorded_in_error"])] = 0
        apps.add(day=days, type=origin[new_idx], group=group[new_idx], rparent=rparent[new_idx],
                 fee=fee, case=new_idx, dup=np.zeros(len(new_idx), bool))
        dup = new_idx[is_new_app & (rng.random(len(new_idx)) < faults["duplicate_new_application_share"])]
        dsel = np.isin(new_idx, dup)
        apps.add(day=days[dsel], type=origin[new_idx][dsel], group=group[new_idx][dsel],
                 rparent=rparent[new_idx][dsel], fee=fee[dsel], case=new_idx[dsel],
                 dup=np.ones(int(dsel.sum()), bool))

        # --- changes to existing calculations (effective from the 1st of the month) -----
        calc = np.flatnonzero(is_open & has_calc)
        pos_c = calc[weekly[calc] > 0]
        nil_c = calc[weekly[calc] == 0]
        r = rng.random(len(pos_c))
        ends_l = pos_c[r < params["monthly_liability_end"]]
        # a liability ends on a day of the month: due for the days before it, nil weekly at month end
        end_day = _uniform_days(rng, np.full(len(ends_l), month_lo), np.full(len(ends_l), month_hi))
        end_weekly = weekly[ends_l].copy()
        end_service = service[ends_l].copy()
        recalc = pos_c[(r >= params["monthly_liability_end"])
                       & (r < params["monthly_liability_end"] + params["monthly_recalculation"])]
        stay = pos_c[r >= params["monthly_liability_end"] + params["monthly_recalculation"]]
        liab.add(case=ends_l, day=end_day, weekly=np.zeros(len(ends_l), np.int64),
                 service=service[ends_l], reason=np.ones(len(ends_l), np.int8))
        weekly[ends_l] = 0
        service[ends_l] = NONE
        factor = np.exp(params["recalculation_sigma"] * rng.standard_normal(len(recalc)))
        weekly[recalc] = np.maximum(np.round(weekly[recalc] * factor),
                                    round(wl["minimum"] * 100)).astype(np.int64)
        liab.add(case=recalc, day=np.full(len(recalc), month_lo), weekly=weekly[recalc],
                 service=service[recalc], reason=np.ones(len(recalc), np.int8))
        rs = rng.random(len(stay))
        to_dp = stay[(service[stay] == CP) & (rs < cp_to_dp[m])]
        to_cp = stay[(service[stay] == DP) & (rs < params["monthly_switch_dp_to_cp"])]
        service[to_dp] = DP
        service[to_cp] = CP
        payer[to_cp] = draw_payer(len(to_cp))
        cp_since[to_cp] = m
        restart = nil_c[rng.random(len(nil_c)) < params["monthly_liability_restart"]]
        kind = np.where(rng.random(len(restart)) < dp_share[m], DP, CP).astype(np.int8)
        service[restart] = kind
        weekly[restart] = draw_weekly(kind)
        payer[restart] = draw_payer(len(restart))
        cp_since[restart] = m
        liab.add(case=restart, day=np.full(len(restart), month_lo), weekly=weekly[restart],
                 service=kind, reason=np.ones(len(restart), np.int8))

        # --- initial calculations -----------------------------------------------------------
        init = np.flatnonzero(is_open & (calc_month == m) & ~has_calc)
        kind = np.where(rng.random(len(init)) < dp_share[m], DP, CP).astype(np.int8)
        wk = draw_weekly(kind)
        wk[rng.random(len(init)) < params["nil_calculation_share"]] = 0
        eff = _uniform_days(rng, np.maximum(opened_day[init], month_lo), np.full(len(init), month_hi))
        liab.add(case=init, day=eff, weekly=wk, service=kind, reason=np.zeros(len(init), np.int8))
        has_calc[init] = True
        initial_day[init] = eff
        weekly[init] = wk
        service[init] = np.where(wk > 0, kind, NONE)
        payer[init] = draw_payer(len(init))
        cp_since[init] = m

        # --- the month's liability, payments and arrears ----------------------------------------
        cur = np.flatnonzero(is_open)
        caseload[m] = len(cur)
        days_due = np.full(len(cur), int(dims[m]), np.int64)
        first_month = np.isin(cur, init)
        days_due[first_month] = month_hi - eff[np.searchsorted(init, cur[first_month])] + 1
        due = np.round(weekly[cur] * days_due / 7).astype(np.int64)
        ended = np.searchsorted(ends_l, cur)
        ended_here = (ended < len(ends_l)) & (ends_l[np.minimum(ended, max(len(ends_l) - 1, 0))] == cur) \
            if len(ends_l) else np.zeros(len(cur), bool)
        at = ended[ended_here]
        due[ended_here] = np.round(end_weekly[at] * (end_day[at] - month_lo) / 7).astype(np.int64)
        svc = service[cur].copy()          # an ended liability keeps its service type for the month
        svc[ended_here] = np.where(due[ended_here] > 0, end_service[at], NONE)

        opening = arrears[cur].copy()  # last month's reported closing; 0 for a new case
        with_arrears = opening > 0
        fault_counts["arrears_case_months"] += int(with_arrears.sum())
        lost = with_arrears & (rng.random(len(cur)) < faults["arrears_lost_between_months"])
        opening[lost] = np.floor(opening[lost] * rng.uniform(0.0, 0.8, int(lost.sum()))).astype(np.int64)
        fault_counts["arrears_lost_between_months"] += int(lost.sum())

        cpay = (svc == CP) & (due > 0)
        cls = payer[cur]
        # the first month on Collect and Pay is often missed while payments are set up
        p_pay = np.where(cp_since[cur] == m, pay_prob[cls] * first_pay[m], pay_prob[cls])
        paying = cpay & (rng.random(len(cur)) < p_pay)
        frac = frac_lo[cls] + rng.random(len(cur)) * (frac_hi[cls] - frac_lo[cls])
        toward_current = np.where(paying, np.minimum(np.round(due * frac).astype(np.int64), due), 0)
        accrued = np.where(cpay, due - toward_current, 0)
        toward_arrears = np.where(paying & (opening > 0),
                                  np.minimum(opening, np.round(due * params["arrears_repayment_rate"])
                                             .astype(np.int64)), 0)
        # arrears paid through the Collection Service by a case not on Collect and Pay (Direct Pay
        # after a switch, liability ended, arrears-only with 2012-scheme arrears)
        other = ~cpay & (opening > 0) & (rng.random(len(cur)) < dc["arrears_payment_off_collect_and_pay"])
        toward_arrears[other] = np.minimum(opening[other], np.maximum(
            100, np.round(opening[other] * rng.uniform(0.05, 0.3, int(other.sum()))))).astype(np.int64)
        balance = opening + accrued - toward_arrears
        adjustment = np.zeros(len(cur), np.int64)
        ra = rng.random(len(cur))
        write_off = (balance > 0) & (ra < params["monthly_write_off"])
        adjustment[write_off] = -np.ceil(balance[write_off] * rng.uniform(0.1, 1.0, int(write_off.sum()))) \
            .astype(np.int64)
        correct = (balance > 0) & (ra >= params["monthly_write_off"]) \
            & (ra < params["monthly_write_off"] + params["monthly_correction"])
        adjustment[correct] = rng.integers(1, int(params["correction_max"] * 100) + 1, int(correct.sum()))
        # 2012-scheme arrears put onto a new arrears-only case (an earlier 2012 case of the parents)
        ao_new = (origin[cur] == 1) & (opened_day[cur] >= month_lo) \
            & (rng.random(len(cur)) < dc["arrears_only_with_2012_arrears"])
        adjustment[ao_new] = rng.integers(5000, 200000, int(ao_new.sum()))
        closing_bal = balance + adjustment
        broken = with_arrears & (rng.random(len(cur)) < faults["arrears_lost_within_month"])
        closing_bal[broken] = np.floor(closing_bal[broken] * rng.uniform(0.0, 0.8, int(broken.sum()))) \
            .astype(np.int64)
        fault_counts["arrears_lost_within_month"] += int(broken.sum())
        arrears[cur] = closing_bal

        amount = toward_current + toward_arrears
        payer_rows = cur[amount > 0]
        pays.add(m, case=payer_rows, group=group[payer_rows],
                 day=_uniform_days(rng, np.maximum(opened_day[payer_rows], month_lo),
                                   np.full(len(payer_rows), month_hi)),
                 amount=amount[amount > 0])

        stype = np.where((weekly[cur] > 0) | (due > 0), svc, NONE).astype(np.int8)
        writer.snapshot(month_from_index(int(numbers[m])), cur, group[cur], origin[cur], opened_day[cur],
                        stype, weekly[cur], due, opening, accrued, toward_arrears, adjustment,
                        closing_bal)

        # --- changes of circumstances ---------------------------------------------------------
        k = int(rng.poisson(coc_rate[m] * len(cur)))
        rc = np.sort(rng.choice(cur, k)) if k else np.empty(0, np.int64)
        received = _uniform_days(rng, np.maximum(opened_day[rc], month_lo), np.full(k, month_hi))
        fast = rng.random(k) < coc_fast[m]
        delay = np.where(fast, rng.integers(0, 29, k),
                         29 + rng.geometric(1.0 / params["coc_slow_extra_days_mean"], k))
        bad = rng.random(k) < faults["service_request_cleared_before_received"]
        delay[bad] = -rng.integers(1, 15, int(bad.sum()))
        reqs.add(m, case=rc, received=received, cleared=received + delay)

        # --- mandatory reconsiderations -------------------------------------------------------
        with_calc = cur[has_calc[cur]]
        k = int(round(mr_rate[m] * len(with_calc)))  # a managed workload: little month-to-month noise
        rc = np.sort(rng.choice(with_calc, k)) if k else np.empty(0, np.int64)
        received = _uniform_days(rng, np.maximum(opened_day[rc], month_lo), np.full(k, month_hi))
        fast = rng.random(k) < mr_fast[m]
        delay = np.where(fast, rng.integers(1, 21, k),
                         20 + rng.geometric(1.0 / params["mr_slow_extra_days_mean"], k))
        revised = rng.random(k) < params["mr_revised_share"]
        mrs.add(case=rc, received=received, cleared=received + delay, outcome=revised)
        # a revised decision is a new calculation (recorded; the snapshot amount is not re-derived)
        rv = revised & (received + delay <= extract_end) & (weekly[rc] > 0)
        liab.add(case=rc[rv], day=(received + delay)[rv],
                 weekly=np.round(weekly[rc[rv]] * rng.uniform(0.85, 1.0, int(rv.sum()))).astype(np.int64),
                 service=service[rc[rv]], reason=np.full(int(rv.sum()), 2, np.int8))

        # --- six-monthly children sample ---------------------------------------------------
        label = month_from_index(int(numbers[m]))
        if label[5:] in ("03", "09") and label >= "2013-09":
            population = cur[weekly[cur] > 0]
            n = min(sample_size, len(population))
            chosen = np.sort(rng.choice(population, n, replace=False))
            writer.sample(label, chosen, children[chosen])

        # --- accuracy checks -------------------------------------------------------------------
        population = cur[weekly[cur] > 0]
        k = min(int(round(checks_n[m] * np.exp(params["mi_noise_sd"] * rng.standard_normal()))),
                len(population))
        chosen = np.sort(rng.choice(population, k, replace=False)) if k else np.empty(0, np.int64)
        calculated = weekly[chosen]
        correct_amt = calculated.copy()
        wrong = rng.random(k) < inaccurate[m]
        diff = np.maximum(150, np.round(calculated * rng.uniform(0.05, 0.3, k))).astype(np.int64)
        sign = np.where((rng.random(k) < 0.5) & (calculated - diff > 0), -1, 1)
        correct_amt[wrong] = calculated[wrong] + (sign * diff)[wrong]
        # checks exactly on the tolerance: GBP 1 off a small amount, or exactly 2% of a larger one
        edge = ~wrong & (rng.random(k) < dc["accuracy_check_on_tolerance"])
        small = edge & (calculated <= 5100) & (calculated > 200)
        correct_amt[small] = calculated[small] - 100
        large = edge & (calculated > 5100)
        base = np.round(calculated[large] / 51 * 50 / 50).astype(np.int64) * 50   # a multiple of 50p
        correct_amt[large] = base
        calculated = calculated.copy()
        calculated[large] = base + base // 50                                        # +2% exactly
        checks.add(month=np.full(k, m), case=chosen, calculated=calculated, correct=correct_amt)

    return {
        "numbers": numbers, "starts": starts, "ends": ends, "caseload": caseload,
        "n_groups": n_groups, "n_cases": n_cases, "scheme_start": scheme_start,
        "extract_end": extract_end, "fault_counts": fault_counts,
        "applications": apps.concat(), "liabilities": liab.concat(), "payments": pays,
        "service_requests": reqs, "reconsiderations": mrs.concat(),
        "checks": checks.concat(),
        "cases": {"opened_day": opened_day, "origin": origin, "closed_at": closed_at,
                  "closed_state": closed_state, "closed_weekly": closed_weekly,
                  "initial_day": initial_day},
    }

