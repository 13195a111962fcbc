"""The release period: a month that the extract folder covers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cms_stats.months import is_month

from .common import fmt
from .errors import PeriodError

if TYPE_CHECKING:
    from .folder import ExtractFolder


def check_period(folder: ExtractFolder, period: str) -> str:
    """Check that a release period is a month the extract folder covers.

    Parameters
    ----------
    folder : the open extract folder.
    period : the release period, ``YYYY-MM``.

    Returns
    -------
    str
        The period.

    Raises
    ------
    PeriodError
        (an :class:`ExtractError`) The period is not a month, or not one the folder covers.
    """
    if not is_month(period):
        raise PeriodError("extract.json", f"release period {fmt(period)} is not a month YYYY-MM")
    if period not in folder.months:
        raise PeriodError(
            "extract.json",
            f"release period {period} is outside the data: the extract covers "
            f"{folder.months[0]} to {folder.months[-1]}",
        )
    return period
