"""Revisions policy: which previously published figures are revised, and the log of them.

As in the 2016-08 edition: small changes of less than 5% are not revised in later
editions (the previously published figure is kept); appeals (T11) are always revised;
changes of 5% or more are revised and flagged. Thresholds are in the rounding policy.
"""

from __future__ import annotations

import pandas as pd

from cms_stats.publish.policy import Policy
from cms_stats.publish.rounding import TIDY_COLUMNS, sort_tidy, to_number

KEY = ["table", "period", "measure", "breakdown"]
LOG_COLUMNS = [
    "table",
    "period",
    "measure",
    "breakdown",
    "previous",
    "revised",
    "change",
    "percent_change",
    "reason",
    "is_revised",
]

REASON_ALWAYS = "revised: {table} figures are always revised"
REASON_LARGE = "revised: changed by {threshold:g}% or more"
REASON_SMALL = "not revised: changed by less than {threshold:g}%, previously published figure kept"
REASON_SYMBOL = "revised: {previous} replaced by {revised}"
REASON_UNIT = "revised: published unit changed"


def _percent_change(previous: float, change: float) -> float:
    if previous == 0:
        return float("inf") if change > 0 else float("-inf")
    return change / abs(previous) * 100.0


def apply_revisions(
    current_published_tidy: pd.DataFrame,
    previous_published_tidy: pd.DataFrame,
    policy: Policy,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the revisions policy to this edition's published figures.

    Both frames are *published* tidy frames (from :func:`publish_tidy`; values are the
    published text or a symbol), so the comparison is of published figures: the earlier
    edition is only known as published.

    For each figure (``table, period, measure, breakdown``) in both editions whose
    published value differs:

    * tables in ``revisions.always_revise`` (T11 appeals): revised;
    * both numbers, ``|change| / |previous| < threshold_percent`` (5%): **not revised**,
      the previously published figure is kept;
    * both numbers, change of 5% or more (or from 0): revised and flagged;
    * a symbol involved (e.g. ``[x]`` now available, a figure now ``[c]``): revised.

    Parameters
    ----------
    current_published_tidy : DataFrame
        This edition's published tidy frame.
    previous_published_tidy : DataFrame
        The previous edition's published tidy frame (e.g. read from its ``csv/``).
    policy : Policy

    Returns
    -------
    published_tidy : DataFrame
        This edition's published tidy frame with small changes reverted to the previous
        figure (same columns and row order as ``current_published_tidy``).
    revisions_log : DataFrame
        One row per figure whose published value differs: ``table, period, measure,
        breakdown, previous`` (text as previously published), ``revised`` (text this
        edition's data gives), ``change`` and ``percent_change`` (of the published
        numbers; ``NaN`` when a symbol is involved), ``reason`` and ``is_revised``
        (whether the new figure is published). Sorted like the tidy frames.
    """
    for name, frame in (("current", current_published_tidy), ("previous", previous_published_tidy)):
        missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} published frame lacks columns {missing}")
    current = current_published_tidy[TIDY_COLUMNS].astype(str).reset_index(drop=True)
    previous = previous_published_tidy[TIDY_COLUMNS].astype(str)
    threshold = policy.revision_threshold_percent
    always = set(policy.always_revise)

    prev_lookup = {
        k: (v, u)
        for k, v, u in zip(
            zip(previous["table"], previous["period"], previous["measure"], previous["breakdown"]),
            previous["value"],
            previous["unit"],
        )
    }
    values = current["value"].tolist()
    log_rows = []
    for i, (t, p, m, b, v, u) in enumerate(current.itertuples(index=False, name=None)):
        prev = prev_lookup.get((t, p, m, b))
        if prev is None:
            continue
        pv, pu = prev
        if pv == v and pu == u:
            continue
        new_num, old_num = to_number(v), to_number(pv)
        change = pct = float("nan")
        if pu != u:
            reason, revise = REASON_UNIT, True
        elif new_num is None or old_num is None:
            reason, revise = REASON_SYMBOL.format(previous=pv, revised=v), True
        else:
            change = float(new_num) - float(old_num)
            if change == 0:  # same number written differently ("5" vs "5.0")
                continue
            pct = _percent_change(float(old_num), change)
            if t in always:
                reason, revise = REASON_ALWAYS.format(table=t), True
            elif abs(pct) >= threshold:
                reason, revise = REASON_LARGE.format(threshold=threshold), True
            else:
                reason, revise = REASON_SMALL.format(threshold=threshold), False
        if not revise:
            values[i] = pv
        log_rows.append((t, p, m, b, pv, v, change, pct, reason, revise))

    published = current.copy()
    published["value"] = pd.Series(values, dtype=str)
    log = pd.DataFrame(log_rows, columns=LOG_COLUMNS)
    log = log.astype(
        {
            "table": str,
            "period": str,
            "measure": str,
            "breakdown": str,
            "previous": str,
            "revised": str,
            "change": float,
            "percent_change": float,
            "reason": str,
            "is_revised": bool,
        }
    )
    if len(log):
        log = sort_tidy(log)
    return published, log
