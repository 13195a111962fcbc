"""Texts of the Arrears chapter: T8 and the Direct Pay sensitivity."""

from __future__ import annotations

from cms_stats.book import format as fmt
from cms_stats.book.charts import sensitivity_grid, sensitivity_step
from cms_stats.book.texts.shared import common, share_change
from cms_stats.book.values import series
from cms_stats.months import month_words


def arrears(ch) -> dict[str, str]:
    """Outstanding arrears, liability and their share at the period; the Direct Pay
    sensitivity (what each 5 points of Direct Pay non-compliance would add)."""
    out = common(ch)
    share = series(ch.measures, "arrears_share_of_liability", table="T8", upto=ch.period)
    grid = sensitivity_grid(ch.measures, ch.period)
    out.update({
        "arrears_latest": ch.shown("outstanding_arrears", table="T8", long_money=True),
        "arrears_latest_short": ch.shown("outstanding_arrears", table="T8"),
        "arrears_change": fmt.change_phrase(ch.change("outstanding_arrears", table="T8"),
                                            ch.month(3)),
        "arrears_case_groups": ch.shown("case_groups_with_arrears", table="T8"),
        "arrears_liability": ch.shown("total_maintenance_liability", table="T8", long_money=True),
        "arrears_collected": ch.shown("proxy_amount_collected", table="T8", long_money=True),
        "arrears_share": ch.shown("arrears_share_of_liability", table="T8"),
        "arrears_share_first": fmt.fmt_share(share.iloc[0]),
        "arrears_share_first_label": month_words(share.index[0]),
        "arrears_share_change": share_change(ch, "arrears_share_of_liability", "T8"),
        "arrears_sensitivity_step": fmt.fmt_pp(sensitivity_step(grid), adjective=True),
        "arrears_sensitivity_low_compliance": fmt.fmt_share(grid["compliance"].min()),
        "arrears_sensitivity_low_share": fmt.fmt_share(
            grid.loc[grid["compliance"].idxmin(), "arrears_share"]),
    })
    return out
