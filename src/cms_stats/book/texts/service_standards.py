"""Texts of the Service standards chapter: T9 to T14."""

from __future__ import annotations

from cms_stats.book.texts.shared import common, share_change
from cms_stats.book.values import is_highest_ever, series
from cms_stats.months import add_months, month_words


def service_standards(ch) -> dict[str, str]:
    """Changes of circumstances (published to the month before the period), mandatory
    reconsiderations, appeals, complaints, telephony and accuracy."""
    out = common(ch)
    out.update(_changes_of_circumstances(ch))
    out.update({
        "mr_received": ch.shown("mandatory_reconsiderations_received", table="T10"),
        "mr_cleared": ch.shown("mandatory_reconsiderations_cleared", table="T10"),
        "mr_revised": ch.shown("mandatory_reconsiderations_revised", table="T10"),
        "mr_share": ch.shown("cleared_within_20_days_share", table="T10"),
        "mr_share_change": share_change(ch, "cleared_within_20_days_share", "T10"),
        "appeals_received": ch.shown("appeals_received", table="T11"),
        "appeals_cleared": ch.shown("appeals_cleared", table="T11"),
        "appeals_tribunal": ch.shown("appeals_cleared", breakdown="tribunal_outcome", table="T11"),
        "appeals_cms": ch.shown("appeals_cleared", breakdown="cms_outcome", table="T11"),
        "complaints_received": ch.shown("complaints_received", table="T12"),
        "complaints_to_date": ch.shown("complaints_received_scheme_to_date", table="T12"),
        "calls_received": ch.shown("calls_received", table="T13"),
        "calls_answered_share": ch.shown("calls_answered_share", table="T13"),
        "calls_30s_share": ch.shown("calls_answered_within_30_seconds_share", table="T13"),
        "accuracy_share": ch.shown("accuracy_share", table="T14"),
        "accuracy_checks": ch.shown("accuracy_checks", table="T14"),
        "accuracy_change": share_change(ch, "accuracy_share", "T14"),
    })
    return out


def _changes_of_circumstances(ch) -> dict[str, str]:
    """T9 in the month before the period (28 days must pass), or why there is none."""
    reason = ch.not_applicable("T9")
    if reason:
        return {"coc_findings": f"{reason} There are no changes of circumstances to report for "
                                f"the months to {ch.label}."}
    coc = series(ch.measures, "cleared_within_28_days_share", table="T9", upto=ch.period)
    coc_month = coc.index[-1]
    coc_before = add_months(coc_month, -3)
    received = series(ch.measures, "changes_of_circumstances_received", table="T9", upto=ch.period)
    out = {
        "coc_month_label": month_words(coc_month),
        "coc_received": ch.shown("changes_of_circumstances_received", coc_month, table="T9"),
        "coc_share": ch.shown("cleared_within_28_days_share", coc_month, table="T9"),
        "coc_outstanding": ch.shown("changes_of_circumstances_outstanding", coc_month, table="T9"),
        "coc_compare_label": month_words(coc_before),
        "coc_compare_received": ch.shown("changes_of_circumstances_received", coc_before, table="T9"),
        "coc_compare_share": ch.shown("cleared_within_28_days_share", coc_before, table="T9"),
        "coc_highest": ("the highest monthly volume received so far"
                        if is_highest_ever(received, coc_month)
                        else "not the highest monthly volume received so far"),
    }
    out["coc_findings"] = (
        f"Of the **{out['coc_received']} changes of circumstances received** in "
        f"{out['coc_month_label']} ({out['coc_highest']}), {out['coc_share']} were cleared within "
        f"28 days. In {out['coc_compare_label']}, {out['coc_compare_received']} were received and "
        f"{out['coc_compare_share']} were cleared within 28 days. {out['coc_outstanding']} were "
        f"outstanding at the end of {out['coc_month_label']}.")
    return out
