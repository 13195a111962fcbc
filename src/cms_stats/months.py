"""Month arithmetic, written once: every layer uses these.

A **month** is the string ``"YYYY-MM"``; its **index** is ``year * 12 + month - 1`` (a running
month number, so ``index + 1`` is the next month). Words for readers come from
:func:`month_words` (``"August 2016"``) and :func:`month_short` (``"Aug 2016"``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence

__all__ = [
    "MONTH_RE", "is_month", "month_index", "month_from_index", "add_months", "months_between",
    "month_start", "month_end", "quarter_months", "month_words", "month_short", "month_name",
]

#: A month ``YYYY-MM`` (the whole string).
MONTH_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])\Z")


def is_month(value) -> bool:
    """True when ``value`` is a string ``YYYY-MM`` naming a real month."""
    return isinstance(value, str) and MONTH_RE.match(value) is not None


def month_index(month: str) -> int:
    """``"YYYY-MM"`` -> a running month number (``year * 12 + month - 1``).

    Raises ValueError for anything that is not a month.

    >>> month_index("2016-08") - month_index("2016-05")
    3
    """
    if not is_month(month):
        raise ValueError(f"not a month 'YYYY-MM': {month!r}")
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_from_index(index: int) -> str:
    """Inverse of :func:`month_index`."""
    year, mon = divmod(int(index), 12)
    return f"{year:04d}-{mon + 1:02d}"


def add_months(month: str, k: int) -> str:
    """The month ``k`` months after ``month`` (``k`` may be negative).

    >>> add_months("2016-01", -1)
    '2015-12'
    """
    return month_from_index(month_index(month) + k)


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when ``last < first``)."""
    return [month_from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def month_start(month: str) -> dt.date:
    """The first day of the month."""
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def month_end(month: str) -> dt.date:
    """The last day of the month: the as-at date of a release for ``month``."""
    y, m = int(month[:4]), int(month[5:7])
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def quarter_months(month: str, available: Sequence[str] | None = None) -> list[str]:
    """The quarter to ``month``: the three calendar months ending with it.

    Restricted to ``available`` months when given (at the start of a series the quarter is
    shorter: only months with a snapshot exist).
    """
    months = [add_months(month, k) for k in (-2, -1, 0)]
    if available is not None:
        have = set(available)
        months = [m for m in months if m in have]
    return months


def month_name(month: str) -> str:
    """``"2016-08"`` -> ``"August"``."""
    return calendar.month_name[int(month[5:7])]


def month_words(month: str) -> str:
    """``"2016-08"`` -> ``"August 2016"`` (how the publication names a month)."""
    return f"{month_name(month)} {int(month[:4])}"


def month_short(month: str) -> str:
    """``"2016-08"`` -> ``"Aug 2016"`` (table rows and chart axes)."""
    return f"{month_name(month)[:3]} {int(month[:4])}"
