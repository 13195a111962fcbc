"""The computed texts each chapter glues into its narrative, one function per chapter.

Each function takes a :class:`~cms_stats.book.chapter.Chapter` and returns ``{glue name: text}``;
every number is the published figure (rounded by the policy) or a change computed from
unrounded values. Months are words computed from the period. A notebook calls
``book.glue_texts(book.texts.intake(ch))`` and writes ``{glue:text}`intake_total``` in its prose.
"""

from __future__ import annotations

import math

import pandas as pd

from cms_stats.book import format as fmt
from cms_stats.book.values import series

__all__ = ["common", "summary", "intake", "caseload", "fee_exemptions", "children", "compliance",
           "arrears", "service_standards", "methodology", "methodology_all", "about", "sensitivity"]


def _quarter_label(month: str) -> str:
    return f"the quarter to {fmt.month_label(month)}"


def common(ch) -> dict[str, str]:
    """Texts every chapter may use: the period and the comparison month in words."""
    first = str(ch.extract.get("first_month") or ch.measures["period"].min())
    return {
        "period_label": ch.label,
        "period_month": fmt.month_name(ch.period),
        "period_year": ch.period[:4],
        "compare_label": fmt.month_label(ch.month(3)),
        "first_label": fmt.month_label(first),
        "recent_from_label": fmt.month_label(ch.month(_recent_months() - 1)),
    }


def _recent_months() -> int:
    from cms_stats.book.charts import chart_style

    return int(chart_style().get("recent_months", 13))


def summary(ch) -> dict[str, str]:
    out = common(ch)
    out["summary_headline_count"] = str(len(ch.headlines()))
    return out


def intake(ch) -> dict[str, str]:
    out = common(ch)
    out.update({
        "intake_total": ch.shown("total_intake", table="T1"),
        "intake_new": ch.shown("new_applications", table="T1"),
        "intake_arrears_only": ch.shown("arrears_only_applications", table="T1"),
        "intake_change": fmt.change_phrase(ch.change("total_intake", table="T1"), ch.month(3)),
        "intake_duplicates": ch.shown("duplicate_new_applications_removed", table="T1"),
    })
    # Duplicates as a share of all new applications received (kept + removed) in the quarter.
    months = [ch.month(k) for k in (2, 1, 0)]
    dup = sum(ch.value("duplicate_new_applications_removed", m, table="T1") for m in months)
    kept = sum(ch.value("new_applications", m, table="T1") for m in months)
    out["intake_duplicates_quarter"] = ch.shown_raw(
        dup, "T1", "duplicate_new_applications_removed", "count")
    out["intake_duplicates_quarter_share"] = fmt.fmt_share(dup / (dup + kept)) if dup + kept else "[x]"
    return out


def caseload(ch) -> dict[str, str]:
    out = common(ch)
    year_ago = ch.month(12)
    out.update({
        "caseload_latest": ch.shown("caseload", table="T2"),
        "caseload_new": ch.shown("caseload", breakdown="new_application", table="T2"),
        "caseload_arrears_only": ch.shown("caseload", breakdown="arrears_only", table="T2"),
        "caseload_change": fmt.change_phrase(ch.change("caseload", table="T2"), ch.month(3)),
        "caseload_year_change": fmt.change_phrase(ch.change("caseload", back=12, table="T2"), year_ago),
        "caseload_arrears_only_share": fmt.fmt_share(
            ch.value("caseload", breakdown="arrears_only", table="T2")
            / ch.value("caseload", table="T2")),
    })
    return out


def fee_exemptions(ch) -> dict[str, str]:
    out = common(ch)
    reason = ch.not_applicable("T3")
    if reason:
        # An edition before the fee began: say so instead of quoting figures that do not exist.
        out.update({
            "fees_first_label": "30 June 2014",
            "fees_findings": (f"{reason} This edition "
                              f"covers the months to {ch.label}, before any fee was charged, so "
                              "there are no fee-paying applications or exemptions to report."),
        })
        return out
    share = series(ch.measures, "fee_exemption_share", table="T3", upto=ch.period)
    window = share[share.index >= ch.month(_recent_months() - 1)]
    out.update({
        "fees_exemptions": ch.shown("fee_exemptions", table="T3"),
        "fees_exemptions_dv": ch.shown("fee_exemptions", breakdown="domestic_violence", table="T3"),
        "fees_exemptions_under_19": ch.shown("fee_exemptions", breakdown="under_19", table="T3"),
        "fees_paying": ch.shown("fee_paying_applications", table="T3"),
        "fees_share": ch.shown("fee_exemption_share", table="T3"),
        "fees_share_low": fmt.fmt_share(window.min()),
        "fees_share_high": fmt.fmt_share(window.max()),
        "fees_first_label": fmt.month_label(share.index[0]),
        "fees_share_change": fmt.pp_change_phrase(
            ch.change("fee_exemption_share", table="T3"), ch.month(3),
            ch.shown("fee_exemption_share", ch.month(3), table="T3"),
            current_text=ch.shown("fee_exemption_share", table="T3")),
    })
    out["fees_findings"] = (
        f"In {out['period_label']} there were {out['fees_exemptions']} exemptions from the "
        f"application fee, {out['fees_share']} of new applications, {out['fees_share_change']}. "
        f"{out['fees_exemptions_dv']} were for domestic violence and "
        f"{out['fees_exemptions_under_19']} for applicants under nineteen; {out['fees_paying']} "
        "applications paid the fee. Over the months shown in the table below, the share of new "
        f"applications exempt ranged from {out['fees_share_low']} to {out['fees_share_high']}.")
    return out


def children(ch) -> dict[str, str]:
    """Children benefiting; the latest sample's mean and interval, and the quarter's estimate."""
    out = common(ch)
    sample_months = [m for m in (ch.extract.get("sample_months") or []) if m <= ch.period]
    if not sample_months:
        # The sample month: latest March or September on or before the period.
        m = ch.period
        while int(m[5:7]) not in (3, 9):
            m = fmt.shift_month(m, -1)
        sample_months = [m]
    sample = sample_months[-1]
    out.update({
        "children_estimate": ch.shown("children_benefiting", breakdown="estimate", table="T4"),
        "children_lower": ch.shown("children_benefiting", breakdown="lower_95", table="T4"),
        "children_upper": ch.shown("children_benefiting", breakdown="upper_95", table="T4"),
        "children_change": fmt.change_phrase(
            ch.change("children_benefiting", breakdown="estimate", table="T4"), ch.month(3)
        ).replace(" from ", " from the quarter to ", 1),
        "children_cases_paying": ch.shown("cases_paying", table="T4"),
        "children_mean": ch.shown("mean_children_per_case", breakdown="estimate", table="T4"),
        "children_mean_lower": ch.shown("mean_children_per_case", breakdown="lower_95", table="T4"),
        "children_mean_upper": ch.shown("mean_children_per_case", breakdown="upper_95", table="T4"),
        "children_sample_size": ch.shown("sample_size", table="T4"),
        "children_sample_label": fmt.month_label(sample),
        "children_sample_fraction": fmt.fmt_share(
            ch.value("sample_size", table="T4") / ch.value("sample_population", table="T4"))
        if ch.value("sample_population", table="T4") else "[x]",
        "children_sample_lower": ch.shown("children_benefiting", sample, "lower_95", table="T4"),
        "children_sample_upper": ch.shown("children_benefiting", sample, "upper_95", table="T4"),
    })
    return out


def compliance(ch) -> dict[str, str]:
    out = common(ch)
    q3 = ch.month(3)
    out.update({
        "compliance_groups_share": ch.shown("case_groups_contributing_share", table="T5"),
        "compliance_groups": ch.shown("case_groups_with_current_liability", table="T5"),
        "compliance_groups_contributing": ch.shown("case_groups_contributing", table="T5"),
        "compliance_groups_change": fmt.pp_change_phrase(
            ch.change("case_groups_contributing_share", table="T5"), q3,
            ch.shown("case_groups_contributing_share", q3, table="T5"), quarter=True,
            current_text=ch.shown("case_groups_contributing_share", table="T5")),
        "compliance_cash_share": ch.shown("cash_paid_share", table="T6"),
        "compliance_cash_due": ch.shown("cash_due", table="T6", long_money=True),
        "compliance_cash_paid": ch.shown("cash_paid", table="T6", long_money=True),
        "compliance_cash_change": fmt.pp_change_phrase(
            ch.change("cash_paid_share", table="T6"), q3,
            ch.shown("cash_paid_share", q3, table="T6"), quarter=True,
            current_text=ch.shown("cash_paid_share", table="T6")),
        "compliance_quarter_label": _quarter_label(ch.period),
    })
    reason = ch.not_applicable("T7")
    if reason:
        # An edition before service type was published: say so instead of quoting figures.
        out["compliance_service_type_findings"] = (
            f"{reason} This edition covers the months to {ch.label}, so there is no service "
            "type split to report.")
        return out
    direct_pay_share = ch.shown("direct_pay_share", table="T7")
    due_to_pay = ch.shown("cases_due_to_pay", table="T7")
    direct_pay = ch.shown("cases_due_to_pay", breakdown="direct_pay", table="T7")
    collect_and_pay = ch.shown("cases_due_to_pay", breakdown="collect_and_pay", table="T7")
    out["compliance_service_type_findings"] = (
        f"At the end of {ch.label}, {direct_pay_share} of the {due_to_pay} cases due to pay "
        f"used Direct Pay ({direct_pay} cases); {collect_and_pay} paid through Collect and Pay.")
    return out


def sensitivity(ch, month: str | None = None) -> pd.DataFrame:
    """The Direct Pay sensitivity grid for the period (compliance, arrears_share)."""
    from cms_stats.measures.arrears import direct_pay_sensitivity, sensitivity_inputs

    return direct_pay_sensitivity(**sensitivity_inputs(ch.measures, month or ch.period))


def arrears(ch) -> dict[str, str]:
    from cms_stats.book.charts import sensitivity_step

    out = common(ch)
    share = series(ch.measures, "arrears_share_of_liability", table="T8", upto=ch.period)
    grid = sensitivity(ch)
    out.update({
        "arrears_latest": ch.shown("outstanding_arrears", table="T8", long_money=True),
        "arrears_latest_short": ch.shown("outstanding_arrears", table="T8"),
        "arrears_change": fmt.change_phrase(ch.change("outstanding_arrears", table="T8"), ch.month(3)),
        "arrears_case_groups": ch.shown("case_groups_with_arrears", table="T8"),
        "arrears_liability": ch.shown("total_maintenance_liability", table="T8", long_money=True),
        "arrears_collected": ch.shown("proxy_amount_collected", table="T8", long_money=True),
        "arrears_share": ch.shown("arrears_share_of_liability", table="T8"),
        "arrears_share_first": fmt.fmt_share(share.iloc[0]),
        "arrears_share_first_label": fmt.month_label(share.index[0]),
        "arrears_share_change": fmt.pp_change_phrase(
            ch.change("arrears_share_of_liability", table="T8"), ch.month(3),
            ch.shown("arrears_share_of_liability", ch.month(3), table="T8"),
            current_text=ch.shown("arrears_share_of_liability", table="T8")),
        "arrears_sensitivity_step": fmt.fmt_pp(sensitivity_step(grid), adjective=True),
        "arrears_sensitivity_low_compliance": fmt.fmt_share(grid["compliance"].min()),
        "arrears_sensitivity_low_share": fmt.fmt_share(
            grid.loc[grid["compliance"].idxmin(), "arrears_share"]),
    })
    return out


def service_standards(ch) -> dict[str, str]:
    out = common(ch)
    coc = series(ch.measures, "cleared_within_28_days_share", table="T9", upto=ch.period)
    coc_month = coc.index[-1]
    coc_before = fmt.shift_month(coc_month, -3)
    received = series(ch.measures, "changes_of_circumstances_received", table="T9", upto=ch.period)
    highest = bool(len(received) > 1 and received.get(coc_month, -1) == received.max())
    out.update({
        "coc_month_label": fmt.month_label(coc_month),
        "coc_received": ch.shown("changes_of_circumstances_received", coc_month, table="T9"),
        "coc_share": ch.shown("cleared_within_28_days_share", coc_month, table="T9"),
        "coc_outstanding": ch.shown("changes_of_circumstances_outstanding", coc_month, table="T9"),
        "coc_compare_label": fmt.month_label(coc_before),
        "coc_compare_received": ch.shown("changes_of_circumstances_received", coc_before, table="T9"),
        "coc_compare_share": ch.shown("cleared_within_28_days_share", coc_before, table="T9"),
        "coc_highest": ("the highest monthly volume received so far" if highest
                        else "not the highest monthly volume received so far"),
        "mr_received": ch.shown("mandatory_reconsiderations_received", table="T10"),
        "mr_cleared": ch.shown("mandatory_reconsiderations_cleared", table="T10"),
        "mr_revised": ch.shown("mandatory_reconsiderations_revised", table="T10"),
        "mr_share": ch.shown("cleared_within_20_days_share", table="T10"),
        "mr_share_change": fmt.pp_change_phrase(
            ch.change("cleared_within_20_days_share", table="T10"), ch.month(3),
            ch.shown("cleared_within_20_days_share", ch.month(3), table="T10"),
            current_text=ch.shown("cleared_within_20_days_share", table="T10")),
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
        "accuracy_change": fmt.pp_change_phrase(
            ch.change("accuracy_share", table="T14"), ch.month(3),
            ch.shown("accuracy_share", ch.month(3), table="T14"),
            current_text=ch.shown("accuracy_share", table="T14")),
    })
    return out


def methodology(ch) -> dict[str, str]:
    """Methods, rounding, revisions and the data-quality results of this run."""
    out = common(ch)
    policy = ch.policy
    raw = policy.raw
    v = ch.validation
    dq = ch.measures[ch.measures["table"] == "DQ"]

    def dq_total(measure: str, breakdown: str = "all") -> float:
        rows = dq[(dq["measure"] == measure) & (dq["breakdown"] == breakdown) & (dq["period"] <= ch.period)]
        return float(rows["value"].sum()) if len(rows) else math.nan

    dups = dq_total("duplicate_new_applications_removed")
    if math.isnan(dups):
        dups = float(series(ch.measures, "duplicate_new_applications_removed", table="T1",
                            upto=ch.period).sum())
    counts = {k: sum(v.get(k, {}).values()) for k in ("rows_in", "rows_used", "rows_quarantined")}
    out.update({
        "method_suppression_threshold": f"{policy.threshold:,}",
        "method_revision_threshold": f"{policy.revision_threshold_percent:g}%",
        "method_always_revise": ", ".join(policy.always_revise) or "none",
        "method_count_bases": ", ".join(sorted(
            {f"{int(cfg.get('count_base')):,}" for cfg in raw.get("tables", {}).values()
             if cfg and cfg.get("count_base")}, key=lambda s: int(s.replace(",", "")), reverse=True)),
        "dq_duplicates_to_date": ch.shown_raw(dups, "DQ", "duplicate_new_applications_removed", "count"),
        "dq_duplicates": _dq_shown(ch, "duplicate_new_applications_removed"),
        "dq_rows_in": ch.shown_raw(counts["rows_in"], "DQ", "quarantined_rows", "count"),
        "dq_rows_used": ch.shown_raw(counts["rows_used"], "DQ", "quarantined_rows", "count"),
        "dq_rows_quarantined": ch.shown_raw(counts["rows_quarantined"], "DQ", "quarantined_rows", "count"),
        "dq_files": f"{len(v.get('rows_in', {})):,}",
        "dq_roll_forward_failures": _dq_shown(ch, "arrears_roll_forward_failures"),
        "dq_money_at_stake": _dq_shown(ch, "arrears_roll_forward_money_at_stake", long_money=True),
        "dq_closed_cases": _dq_shown(ch, "cases_closed_with_arrears"),
        "extract_last_label": fmt.month_label(str(ch.extract.get("last_month") or ch.period)),
        "dq_closed_arrears": _dq_shown(ch, "arrears_on_closed_cases", long_money=True),
        "dq_revisions": (f"{len(ch.revisions):,}" if ch.revisions is not None else "no"),
    })
    return out


def _dq_shown(ch, measure: str, long_money: bool = False) -> str:
    """A data-quality figure for the period month as published, or ``[x]`` when absent."""
    try:
        return ch.shown(measure, table="DQ", long_money=long_money)
    except KeyError:
        return fmt.SYMBOL_NOT_AVAILABLE


def methodology_all(ch) -> dict[str, str]:
    """The Methodology page's texts: its own plus the worked figures it quotes."""
    out = methodology(ch)
    out.update({k: v for k, v in children(ch).items() if k.startswith("children_sample")
                or k == "children_mean"})
    out["arrears_sensitivity_step"] = arrears(ch)["arrears_sensitivity_step"]
    return out


def about(ch) -> dict[str, str]:
    out = common(ch)
    gen = ch.extract.get("generator") or {}
    out.update({
        "about_source": "synthetic" if ch.is_synthetic else "administrative",
        "about_seed": str(gen.get("seed", "")),
        "about_scale": str(gen.get("scale", "")),
        "about_last_label": fmt.month_label(str(ch.extract.get("last_month") or ch.period)),
        "about_period": ch.period,
    })
    return out
