"""Texts of the Arrears chapter: T8, the Direct Pay sensitivity and legacy CSA arrears T20."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.charts import sensitivity_grid, sensitivity_step
from cms_stats.book.texts.shared import common, share_change
from cms_stats.book.values import series
from cms_stats.months import month_words
from cms_stats.registry import load_registry


def arrears(ch) -> dict[str, str]:
    """Outstanding arrears, liability and their share at the period; the Direct Pay
    sensitivity (what each 5 points of Direct Pay non-compliance would add)."""
    out = common(ch)
    out["arrears_legacy_csa_findings"] = legacy_csa_findings(ch)
    out.update({
        "arrears_latest": ch.shown("outstanding_arrears", table="T8", long_money=True),
        "arrears_latest_short": ch.shown("outstanding_arrears", table="T8"),
        "arrears_change": fmt.change_phrase(ch.change("outstanding_arrears", table="T8"),
                                            ch.month(3)),
        "arrears_case_groups": ch.shown("case_groups_with_arrears", table="T8"),
    })
    findings = (f"Outstanding maintenance arrears were **{out['arrears_latest']}** in "
                f"{ch.label}, {out['arrears_change']}, owed by {out['arrears_case_groups']} case "
                "groups.")
    reason = ch.not_available("T8", "total_maintenance_liability")
    if reason:
        # No cumulative liability (the folder starts late): say why instead of a share.
        out.update({
            "arrears_findings": f"{findings} {reason} The total maintenance liability, arrears "
                                "as a percentage of it and the proxy amount collected are "
                                "therefore not available [x].",
            "arrears_collected_findings": "",
            "arrears_sensitivity_step": fmt.SYMBOL_NOT_AVAILABLE,
            "arrears_sensitivity_low_compliance": fmt.SYMBOL_NOT_AVAILABLE,
            "arrears_sensitivity_low_share": fmt.SYMBOL_NOT_AVAILABLE,
        })
        return out
    share = series(ch.measures, "arrears_share_of_liability", table="T8", upto=ch.period)
    grid = sensitivity_grid(ch.measures, ch.period)
    # compared with a year earlier: the series' first months divide a few pounds of arrears by
    # a few pounds of liability (both shown as 0.0 million), a share that reads as an error
    year_ago = ch.month(12)
    since = year_ago if year_ago in share.index else share.index[0]
    out.update({
        "arrears_liability": ch.shown("total_maintenance_liability", table="T8", long_money=True),
        "arrears_collected": ch.shown("proxy_amount_collected", table="T8", long_money=True),
        "arrears_share": ch.shown("arrears_share_of_liability", table="T8"),
        "arrears_share_first": ch.shown("arrears_share_of_liability", since, table="T8"),
        "arrears_share_first_label": month_words(since),
        "arrears_share_change": share_change(ch, "arrears_share_of_liability", "T8"),
        "arrears_sensitivity_step": fmt.fmt_pp(sensitivity_step(grid), adjective=True, decimals=1),
        "arrears_sensitivity_low_compliance": fmt.fmt_share(grid["compliance"].min()),
        "arrears_sensitivity_low_share": fmt.fmt_share(
            grid.loc[grid["compliance"].idxmin(), "arrears_share"]),
    })
    out["arrears_findings"] = (
        f"{findings} Cumulative total maintenance liability was **{out['arrears_liability']}**, "
        f"so arrears were {out['arrears_share']} of liability, {out['arrears_share_change']} (it "
        f"was {out['arrears_share_first']} in {out['arrears_share_first_label']}). Both arrears "
        "and liability grow mainly because the caseload grows.")
    out["arrears_collected_findings"] = (
        f"The difference between liability and arrears, {out['arrears_collected']}, is a proxy "
        "for the amount collected. In the chart below the lower area is the arrears and the "
        "upper area the proxy amount collected; together they make the total maintenance "
        "liability.")
    return out


def legacy_csa_findings(ch) -> str:
    """T20: arrears from the CSA schemes on 2012 Scheme cases at the month end, by origin (no
    text in an edition before T20's first, where the table is absent)."""
    if not load_registry().table("T20").in_edition(ch.period):
        return ""
    reason = ch.not_available("T20")
    if reason:
        return f"{reason} There are no legacy CSA arrears figures for {ch.label}."
    if not ch.measures["table"].eq("T20").any():  # a chapter that does not show it (Methodology)
        return ""
    total = ch.shown("legacy_csa_arrears", table="T20", long_money=True)
    cases = ch.shown("cases_with_legacy_csa_arrears", table="T20")
    groups = ch.shown("case_groups_with_legacy_csa_arrears", table="T20")
    if fmt.is_symbol(total):
        return f"Legacy CSA arrears at the end of {ch.label} are {fmt.withheld(total)}."
    out = (f"At the end of {ch.label}, {cases} cases in {groups} case groups carried "
           f"**{total} of arrears from the CSA schemes**, apart from the outstanding maintenance "
           "arrears above")
    ao = ch.shown("legacy_csa_arrears", breakdown="arrears_only", table="T20", long_money=True)
    new = ch.shown("legacy_csa_arrears", breakdown="new_application", table="T20", long_money=True)
    if fmt.is_symbol(ao) or fmt.is_symbol(new):
        symbol = ao if fmt.is_symbol(ao) else new
        return out + f"; the split by origin is {fmt.withheld(symbol)}."
    ao_cases = ch.shown("cases_with_legacy_csa_arrears", breakdown="arrears_only", table="T20")
    new_cases = ch.shown("cases_with_legacy_csa_arrears", breakdown="new_application", table="T20")
    return (out + f": {ao} on {ao_cases} arrears only cases and {new} on {new_cases} cases from "
            "new applications made after a CSA case closed.")
