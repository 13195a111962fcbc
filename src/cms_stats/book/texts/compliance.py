"""Texts of the Compliance chapter: T5, T6, the service type split T7 and transfers T15 (both
from August 2014)."""

from __future__ import annotations

from cms_stats.registry import load_registry

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common, not_yet, quarter_label, share_change


def compliance(ch) -> dict[str, str]:
    """Case groups contributing and cash paid in the quarter; Direct Pay at the period."""
    out = common(ch)
    out.update({
        "compliance_groups_share": ch.shown("case_groups_contributing_share", table="T5"),
        "compliance_groups": ch.shown("case_groups_with_current_liability", table="T5"),
        "compliance_groups_contributing": ch.shown("case_groups_contributing", table="T5"),
        "compliance_groups_change": share_change(ch, "case_groups_contributing_share", "T5",
                                                 quarter=True),
        "compliance_cash_share": ch.shown("cash_paid_share", table="T6"),
        "compliance_cash_due": ch.shown("cash_due", table="T6", long_money=True),
        "compliance_cash_paid": ch.shown("cash_paid", table="T6", long_money=True),
        "compliance_cash_change": share_change(ch, "cash_paid_share", "T6", quarter=True),
        "compliance_quarter_label": quarter_label(ch.period),
        "compliance_transfers_findings": transfers_findings(ch),
    })
    reason = ch.not_available("T5")
    out["compliance_findings"] = (
        f"{reason} There are no compliance figures for {out['compliance_quarter_label']}."
        if reason else
        f"In {out['compliance_quarter_label']}, **{out['compliance_groups_share']} of case groups "
        f"with a current liability were contributing** towards it "
        f"({out['compliance_groups_contributing']} of {out['compliance_groups']}), "
        f"{out['compliance_groups_change']}. {out['compliance_cash_share']} of the cash due was "
        f"paid ({out['compliance_cash_paid']} of {out['compliance_cash_due']}), "
        f"{out['compliance_cash_change']}.")
    reason = ch.not_applicable("T7")
    if reason:
        # An edition before service type was published: say so instead of quoting figures.
        out["compliance_service_type_findings"] = not_yet(
            ch, reason, ", so there is no service type split to report.")
        return out
    direct_pay_share = ch.shown("direct_pay_share", table="T7")
    due_to_pay = ch.shown("cases_due_to_pay", table="T7")
    direct_pay = ch.shown("cases_due_to_pay", breakdown="direct_pay", table="T7")
    collect_and_pay = ch.shown("cases_due_to_pay", breakdown="collect_and_pay", table="T7")
    out["compliance_service_type_findings"] = (
        f"At the end of {ch.label}, {direct_pay_share} of the {due_to_pay} cases due to pay "
        f"used Direct Pay ({direct_pay} cases); {collect_and_pay} paid through Collect and Pay.")
    return out


def transfers_findings(ch) -> str:
    """T15: cases that changed service type in the period month, by direction (no text in an
    edition before T15's first, where the table is absent)."""
    if not load_registry().table("T15").in_edition(ch.period):
        return ""
    if ch.not_applicable("T15"):
        return not_yet(ch, ch.not_applicable("T15"), ", so there are no transfers to report.")
    to_collect = ch.shown("service_type_transfers", breakdown="direct_pay_to_collect_and_pay",
                          table="T15")
    to_direct = ch.shown("service_type_transfers", breakdown="collect_and_pay_to_direct_pay",
                         table="T15")
    total = ch.shown("service_type_transfers", table="T15")
    share = ch.shown("service_type_transfers_share", table="T15")
    if fmt.is_symbol(total):
        return (f"The number of cases that changed service type in {ch.label} is "
                f"{fmt.withheld(total)}.")
    out = f"In {ch.label}, {total} cases changed service type"
    out += f" ({share} of cases due to pay)" if not fmt.is_symbol(share) else ""
    if fmt.is_symbol(to_collect) or fmt.is_symbol(to_direct):
        symbol = to_collect if fmt.is_symbol(to_collect) else to_direct
        return out + f"; the split by direction is {fmt.withheld(symbol)}."
    return (out + f": {to_collect} moved from Direct Pay to Collect and Pay and {to_direct} from "
            f"Collect and Pay to Direct Pay.")
