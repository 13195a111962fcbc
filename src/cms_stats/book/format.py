"""Formatting of published values for the narrative: months, counts, money, percentages.

The functions here format numbers that are *already rounded* by the publication policy
(:mod:`cms_stats.publish`); they never round counts themselves, so a number in the prose is
always the number in the table. Changes (on the quarter, in percentage points) are computed by
the callers from unrounded values and only formatted here.
"""

from __future__ import annotations

import math

from cms_stats import months
from cms_stats.publish.rounding import round_half_up

__all__ = [
    "fmt_count",
    "fmt_gbp_millions",
    "fmt_share",
    "fmt_percent_change",
    "fmt_pp",
    "whole_points",
    "fmt_decimal",
    "change_phrase",
    "pp_change_phrase",
    "SYMBOL_NOT_AVAILABLE",
]

#: Analysis Function shorthand for a figure that is not available.
SYMBOL_NOT_AVAILABLE = "[x]"

# Changes smaller than this (in absolute value) are shown to one decimal place, as the edition
# does ("an increase of 2.9%"); larger ones to whole percent ("an increase of 19%").
_ONE_DECIMAL_BELOW = 0.10


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_count(value) -> str:
    """A rounded count with thousands separators: ``338900.0`` -> ``"338,900"``."""
    if _missing(value):
        return SYMBOL_NOT_AVAILABLE
    return f"{round_half_up(float(value), decimals=0):,}"


def fmt_decimal(value, decimals: int = 2) -> str:
    """A mean or ratio with fixed decimals: ``1.5067`` -> ``"1.51"``."""
    if _missing(value):
        return SYMBOL_NOT_AVAILABLE
    return f"{float(value):,.{decimals}f}"


def fmt_gbp_millions(value_gbp, decimals: int = 1, long: bool = False) -> str:
    """Money in pounds shown in millions: ``77_512_345`` -> ``"£77.5m"``.

    Parameters
    ----------
    value_gbp : float
        Amount in pounds (normally already rounded to the policy's precision).
    decimals : int
        Decimal places of millions shown.
    long : bool
        ``True`` writes ``"£77.5 million"`` instead of ``"£77.5m"``.
    """
    if _missing(value_gbp):
        return SYMBOL_NOT_AVAILABLE
    millions = float(value_gbp) / 1e6
    text = f"£{millions:,.{decimals}f}"
    return text + (" million" if long else "m")


def fmt_share(share, decimals: int = 0) -> str:
    """A share in 0..1 as a percentage: ``0.884`` -> ``"88%"``."""
    if _missing(share):
        return SYMBOL_NOT_AVAILABLE
    return f"{round_half_up(float(share) * 100, decimals=decimals):.{decimals}f}%"


def fmt_percent_change(change) -> str:
    """The size of a relative change (``0.19`` -> ``"19%"``, ``0.029`` -> ``"2.9%"``); no sign."""
    if _missing(change):
        return SYMBOL_NOT_AVAILABLE
    size = abs(float(change))
    decimals = 1 if round_half_up(size, decimals=3) < _ONE_DECIMAL_BELOW else 0
    return f"{round_half_up(size * 100, decimals=decimals):.{decimals}f}%"


def fmt_pp(difference, adjective: bool = False, decimals: int = 0) -> str:
    """A difference of two shares in percentage points, rounded half up; no sign.

    ``0.05`` -> ``"5 percentage points"``, ``0.01`` -> ``"1 percentage point"``;
    ``decimals=1``: ``0.0336`` -> ``"3.4 percentage points"`` (a step a reader multiplies, as
    the Direct Pay sensitivity's: four whole steps of 3 would not make its 13 points).
    """
    if _missing(difference):
        return SYMBOL_NOT_AVAILABLE
    if decimals:
        value = round_half_up(abs(float(difference)) * 100, decimals=decimals)
        return f"{value:.{decimals}f} percentage point" + ("" if adjective else "s")
    points = whole_points(difference)
    # "a 4 percentage point increase" (adjective) but "up 4 percentage points".
    return f"{points} percentage point" + ("" if points == 1 or adjective else "s")


def whole_points(difference) -> int:
    """The size of a difference of two shares in whole percentage points, rounded half up.

    ``whole_points(-0.035)`` -> ``4``; ``whole_points(0.003)`` -> ``0`` (shown as unchanged).
    """
    return round_half_up(abs(float(difference)) * 100, decimals=0)


def change_phrase(change, since: str) -> str:
    """Describe a relative change on a comparison month, the edition's way.

    ``change_phrase(0.19, "2016-05")`` -> ``"an increase of 19% from May 2016"``.
    A change that rounds to zero is described as ``"little changed from May 2016"``.
    """
    if _missing(change):
        return f"no comparison with {months.month_words(since)} is available"
    shown = fmt_percent_change(change)
    if float(shown.rstrip("%")) == 0:
        return f"little changed from {months.month_words(since)}"
    word = "an increase" if change > 0 else "a decrease"
    return f"{word} of {shown} from {months.month_words(since)}"


def is_symbol(text) -> bool:
    """Whether a shown figure is a symbol (``[c]``, ``[low]``, ``[x]``, ``[z]``), not a number."""
    return isinstance(text, str) and text.startswith("[") and text.endswith("]")


def withheld(text: str) -> str:
    """Why a figure is not given, for a sentence that would have quoted it."""
    if text == "[c]":
        return "not shown, to protect confidentiality ([c], see the notes)"
    if text == "[low]":
        return "not shown: too few cases to estimate it reliably ([low], see the notes)"
    return f"not available ({text})"


def pp_change_phrase(difference, since: str, previous_text: str | None = None,
                     quarter: bool = False, current_text: str | None = None) -> str:
    """Describe a change of a share in percentage points on a comparison month.

    ``pp_change_phrase(0.05, "2016-05")`` -> ``"up 5 percentage points from May 2016"``;
    with ``previous_text="95%"`` -> ``"up 5 percentage points from 95% in May 2016"``;
    ``quarter=True`` says ``"the quarter to May 2016"``. A difference that rounds to zero
    percentage points is ``"unchanged from ..."``, unless the figures as shown differ
    (``current_text`` "89%" against ``previous_text`` "88%"): then it is ``"up by less than
    half a percentage point from 88% in ..."``, so the prose never contradicts the figures.
    When either figure is withheld (a symbol such as ``[c]``), no change is given.
    """
    where = ("the quarter to " if quarter else "") + months.month_words(since)
    was = f"{previous_text} in {where}" if previous_text else where
    for text in (current_text, previous_text):
        if is_symbol(text):  # never a change computed from a withheld figure
            return f"no comparison with {where}: a figure is {withheld(text)}"
    if _missing(difference):
        return f"no comparison with {where} is available"
    points = whole_points(difference)
    if points == 0:
        if current_text is not None and previous_text is not None and current_text != previous_text:
            word = "up" if difference > 0 else "down"
            return f"{word} by less than half a percentage point from {was}"
        return f"unchanged from {was}"
    word = "up" if difference > 0 else "down"
    return f"{word} {fmt_pp(difference)} from {was}"
