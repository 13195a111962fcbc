"""Texts of the Methodology chapter: rounding, revisions and this run's data-quality results."""

from __future__ import annotations

import datetime as dt
import math

from cms_stats.book import format as fmt
from cms_stats.book.texts.arrears import arrears
from cms_stats.book.texts.children import children
from cms_stats.book.texts.shared import common
from cms_stats.book.values import series
from cms_stats.calendar import date_words
from cms_stats.months import month_words


def _any_suppressed(ch, measure: str) -> bool:
    """Whether a month's published figure is [c] (then no total over the months is printed: the
    total less the other months would give it away)."""
    pub = ch.published
    rows = pub[(pub["measure"] == measure) & (pub["breakdown"] == "all") & (pub["period"] <= ch.period)]
    return bool((rows["value"] == ch.policy.symbols["suppressed"]).any())


def methodology(ch) -> dict[str, str]:
    """Methods, rounding, revisions and the data-quality results of this run."""
    out = common(ch)
    policy = ch.policy
    raw = policy.raw
    v = ch.validation
    dq = ch.measures[ch.measures["table"] == "DQ"]

    def dq_total(measure: str, breakdown: str = "all") -> float:
        rows = dq[(dq["measure"] == measure) & (dq["breakdown"] == breakdown)
                  & (dq["period"] <= ch.period)]
        return float(rows["value"].sum()) if len(rows) else math.nan

    dups = dq_total("duplicate_new_applications_removed")
    if math.isnan(dups):
        dups = float(series(ch.measures, "duplicate_new_applications_removed", table="T1",
                            upto=ch.period).sum())
    counts = {k: sum(v.get(k, {}).values()) for k in ("rows_in", "rows_used", "rows_quarantined")}
    suppressed = policy.symbols["suppressed"]
    # The quarantined total is the data-quality table's, as that table publishes it (its
    # protection may withhold it); the rows used are the rows read less it, withheld with it.
    quarantined = _dq_shown(ch, "quarantined_rows")
    if quarantined == fmt.SYMBOL_NOT_AVAILABLE:  # a chapter run outside a release
        quarantined = ch.shown_raw(counts["rows_quarantined"], "DQ", "quarantined_rows", "count")
    total_withheld = quarantined == suppressed
    out.update({
        "method_suppression_threshold": f"{policy.threshold:,}",
        "method_revision_threshold": f"{policy.revision_threshold_percent:g}%",
        "method_always_revise": ", ".join(policy.always_revise) or "none",
        "method_rounding_exceptions": rounding_exceptions(policy, ch.period),
        "method_count_bases": ", ".join(sorted(
            {f"{int(cfg.get('count_base')):,}" for cfg in raw.get("tables", {}).values()
             if cfg and cfg.get("count_base")}, key=lambda s: int(s.replace(",", "")), reverse=True)),
        "dq_duplicates_to_date": (
            ch.policy.symbols["suppressed"] if _any_suppressed(ch, "duplicate_new_applications_removed")
            else ch.shown_raw(dups, "DQ", "duplicate_new_applications_removed", "count")),
        "dq_duplicates": _dq_shown(ch, "duplicate_new_applications_removed"),
        "dq_rows_in": ch.shown_raw(counts["rows_in"], "DQ", "quarantined_rows", "count"),
        "dq_rows_used": (suppressed if total_withheld
                         else ch.shown_raw(counts["rows_used"], "DQ", "quarantined_rows", "count")),
        "dq_rows_quarantined": quarantined,
        "dq_files": f"{len(v.get('rows_in', {})):,}",
        "dq_roll_forward_failures": _dq_shown(ch, "arrears_roll_forward_failures"),
        "dq_money_at_stake": _dq_shown(ch, "arrears_roll_forward_money_at_stake", long_money=True),
        "dq_closed_cases": _dq_shown(ch, "cases_closed_with_arrears"),
        "dq_closures_check": closures_check(ch),
        "extract_last_label": month_words(str(ch.extract.get("last_month") or ch.period)),
        "dq_closed_arrears": _dq_shown(ch, "arrears_on_closed_cases", long_money=True),
        "dq_revisions": (f"{len(ch.revisions):,}" if ch.revisions is not None else "no"),
        "dq_unexpected_files": _unexpected_files(v.get("unexpected_files") or []),
    })
    out.update(data_vintage(ch))
    n, k = policy.dominance
    out.update({
        "method_dominance_n": f"{n}", "method_dominance_k": f"{k:g}%",
        "method_minimum_sample": f"{policy.minimum_sample:,}",
        "method_money_protection": f"{policy.money_protection_percent:g}%",
    })
    return out


def _in_sentence(label: str) -> str:
    """A label inside a sentence: its capital dropped, but not an acronym's (CSA, CMS)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def rounding_exceptions(policy, period: str | None = None) -> str:
    """The percentages and amounts published otherwise than the policy's units say (whole
    percentages, GBP million to one decimal place), as one sentence from the policy's rule for
    each measure (empty when there is none): a reader re-computing a table rounds each figure
    as published. With ``period``, only that edition's tables (Table 17 is not in one before
    2016-08)."""
    registry = policy.registry
    present = set(registry.tables_in_edition(period)) if period else set(registry.tables)
    units, labels = policy.raw["units"], policy.raw["published_units"]
    by_unit: dict[str, list[str]] = {"share": [], "gbp": []}  # percentages first, as said before
    for table_id, table in registry.tables.items():
        if table_id not in present:
            continue
        for m in table.measures.values():
            if m.unit not in by_unit:
                continue
            rule = policy.unit_rule(table_id, m.name, m.unit)
            default = units[m.unit]
            if (rule.published_unit, rule.decimals) == (default["published_unit"],
                                                        default.get("decimals")):
                continue
            where = "the data quality table" if table_id == "DQ" else f"Table {table_id[1:]}"
            kind = ("" if m.unit == "share" else f" in {labels[rule.published_unit]['label']}")
            by_unit[m.unit].append(f"{_in_sentence(m.label)} ({where}),{kind} to {rule.in_words()}")
    parts = by_unit["share"] + by_unit["gbp"]
    return f"Except: {'; '.join(parts)}." if parts else ""


def data_vintage(ch) -> dict[str, str]:
    """What this release knew: the data as known at its cut-off (``edition.json`` ``vintage``,
    recorded by the release from the loader) and the definition of that phrase (the contract's,
    passed through ``edition.json``)."""
    ed = ch.edition or {}
    v = ed.get("vintage") or {}
    known_at = v.get("known_at")
    extracted = v.get("extracted")
    if known_at:
        cut = " (its cut-off)" if ed.get("cutoff") in (None, known_at) else ""
        text = (f"This release uses the data as known at the end of "
                f"{date_words(dt.date.fromisoformat(known_at))}{cut}.")
    else:
        text = "This release uses everything the extract folder holds, as known at extraction."
    if extracted:
        text += f" The extract was taken on {date_words(dt.date.fromisoformat(extracted))}."
    if not v:
        text = "This notebook was run outside a release: it uses everything the extract folder holds."
    elif not v.get("recording_dates"):
        text += (" The extract folder does not record when each fact became known (it has no "
                 "recording or delivery dates), so everything in it counts as known at "
                 "extraction: the data are the same at every cut-off, and an earlier edition "
                 "rebuilt from it shows the figures as they are now, not as they were then.")
    elif known_at and any(v.get("not_yet_known", {}).values()):
        # no count here: a small count is not published unrounded (it is in the manifest)
        text += (" Events recorded and management information delivered after that day are "
                 "left out of this release; they count in later editions.")
    else:
        text += " Everything the extract folder holds had been recorded by then."
    definition = ed.get("known_at_definition") or (
        "See the data contract (data/README.md): the data as known at a cut-off.")
    return {"data_vintage": text, "known_at_definition": definition.replace("`", "")}


def _unexpected_files(names: list[str]) -> str:
    """The files of the folder the contract does not name (reported, not read), by name."""
    if not names:
        return "The extract folder held no file outside the data contract."
    listed = ", ".join(f"`{n}`" for n in names)
    return (f"The extract folder also held {len(names):,} file{'s' if len(names) > 1 else ''} the "
            f"data contract does not name, which {'were' if len(names) > 1 else 'was'} not read: "
            f"{listed}.")


def closures_check(ch) -> str:
    """The closures that disagree with the monthly caseload in the period month (DQ), or why
    there is no such check (the folder has no closures file)."""
    reason = ch.not_available("DQ", "closures_disagreeing_with_snapshots")
    if reason:
        return f"Closures and the monthly caseload: {reason[0].lower()}{reason[1:]}"
    parts = [_dq_shown(ch, "closures_disagreeing_with_snapshots", breakdown=b)
             for b in ("all", "in_month_end_snapshot", "not_in_previous_snapshot")]
    return (f"Closures and the monthly caseload: a case closed in a month should be on the "
            f"caseload at the end of the month before and not at the end of the month. In "
            f"{ch.label}, {parts[0]} closures disagreed ({parts[1]} still on the caseload at the "
            f"end of the month, {parts[2]} not on it at the end of the month before). They are "
            "reported, not corrected: Table 17 counts closures in the month of their closure date.")


def _dq_shown(ch, measure: str, long_money: bool = False, breakdown: str = "all") -> str:
    """A data-quality figure for the period month as published, or ``[x]`` when absent."""
    try:
        return ch.shown(measure, breakdown=breakdown, table="DQ", long_money=long_money)
    except KeyError:
        return fmt.SYMBOL_NOT_AVAILABLE


def methodology_all(ch) -> dict[str, str]:
    """The Methodology page's texts: its own plus the worked figures it quotes (the children
    sample, and the Direct Pay sensitivity step)."""
    out = methodology(ch)
    out.update({k: v for k, v in children(ch).items() if k.startswith("children_sample")
                or k == "children_mean"})
    out["arrears_sensitivity_step"] = arrears(ch)["arrears_sensitivity_step"]
    return out
