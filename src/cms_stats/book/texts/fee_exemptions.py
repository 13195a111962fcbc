"""Texts of the Fee exemptions chapter: T3 (from July 2014)."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.texts.shared import common, not_yet, recent_months, share_change
from cms_stats.book.values import series
from cms_stats.months import month_words


def fee_exemptions(ch) -> dict[str, str]:
    """Exemptions from the application fee, or why an early edition has none."""
    out = common(ch)
    reason = ch.not_applicable("T3")
    if reason:
        # An edition before the fee began: say so instead of quoting figures that do not exist.
        out.update({
            "fees_first_label": "30 June 2014",
            "fees_findings": not_yet(ch, reason, ", before any fee was charged, so there are no "
                                     "fee-paying applications or exemptions to report."),
        })
        return out
    share = series(ch.measures, "fee_exemption_share", table="T3", upto=ch.period)
    window = share[share.index >= ch.month(recent_months() - 1)]
    out.update({
        "fees_exemptions": ch.shown("fee_exemptions", table="T3"),
        "fees_exemptions_dv": ch.shown("fee_exemptions", breakdown="domestic_violence", table="T3"),
        "fees_exemptions_under_19": ch.shown("fee_exemptions", breakdown="under_19", table="T3"),
        "fees_paying": ch.shown("fee_paying_applications", table="T3"),
        "fees_share": ch.shown("fee_exemption_share", table="T3"),
        "fees_share_low": fmt.fmt_share(window.min()),
        "fees_share_high": fmt.fmt_share(window.max()),
        "fees_first_label": month_words(share.index[0]),
        "fees_share_change": share_change(ch, "fee_exemption_share", "T3"),
    })
    out["fees_findings"] = (
        f"In {out['period_label']} there were {out['fees_exemptions']} exemptions from the "
        f"application fee, {out['fees_share']} of new applications, {out['fees_share_change']}. "
        f"{out['fees_exemptions_dv']} were for domestic violence and "
        f"{out['fees_exemptions_under_19']} for applicants under nineteen; {out['fees_paying']} "
        "applications paid the fee. Over the months shown in the table below, the share of new "
        f"applications exempt ranged from {out['fees_share_low']} to {out['fees_share_high']}.")
    return out
