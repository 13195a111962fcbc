"""Which figures a folder can give for a period: the registry's ``needs``, decided before any
chapter runs.

Every table may declare what it needs from the extract folder (``needs`` in
``resources/tables.yaml``; the vocabulary is :data:`cms_stats.needs.NEEDS`). For each month:

- ``whole_quarter``: the quarter to the month has all three months in the folder (a folder
  that starts mid-quarter has partial quarters first: their figures would be published as whole
  quarters);
- ``children_sample``: a children sample was drawn on or before the month;
- ``month_before_period``: the folder has a month before the period (a table published to the
  month before, or comparing a month with the one before);
- ``received_before_period``: a row of the table's event file (its ``reads``) was received
  before the period's month (figures of the months before it are then not all empty);
- ``scheme_start``: the folder starts when the statistics start (``SCHEME_START_MONTH``) or
  gives opening balances for the months before it: cumulative figures begin there;
- ``shared_care_nights``, ``in_enforcement``, ``csa_arrears``: the month's snapshot has that
  optional column (absent: read as all-null, so the figures would be zeros, not facts);
- ``enforcement_actions``: the folder has the optional file of enforcement actions.

:func:`mask_unavailable` removes the figures of every month whose need is unmet (they are
published ``[x]``); :func:`not_available` says, for the period, which tables (or measures)
have no figure and why, in the data's words; the chapters show that reason.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cms_stats.extracts import SCHEME_START_MONTH
from cms_stats.months import month_start, month_words, quarter_months
from cms_stats.needs import FILE_NEEDS, SNAPSHOT_COLUMN_NEEDS
from cms_stats.registry import load_registry

__all__ = ["mask_unavailable", "not_available", "opening_balances"]

_EVENT_WORDS = {"service_requests": "change of circumstances",
                "reconsiderations": "mandatory reconsideration"}


def _earliest(dates) -> pd.Timestamp | None:
    """The earliest of ``dates`` (a pandas or an Arrow column); None when there is none."""
    first = pc.min(pa.array(dates) if isinstance(dates, pd.Series) else dates).as_py()
    return None if first is None else pd.Timestamp(first)


def opening_balances(folder) -> dict:
    """The folder's opening balances (``extract.json`` ``opening_balances``), or ``{}``."""
    return dict((getattr(folder, "metadata", {}) or {}).get("opening_balances") or {})


def _months(folder, period: str) -> list[str]:
    return [m for m in folder.months if m <= period]


def _starts_late(folder) -> bool:
    return folder.months[0] > SCHEME_START_MONTH and not opening_balances(folder)


def _snapshot_lacks(folder, column: str, month: str) -> bool:
    """Whether the month's snapshot lacks the optional ``column`` (``folder.absent_columns``)."""
    absent = getattr(folder, "absent_columns", None) or {}
    return column in absent.get(f"snapshots/cases_{month}.parquet", [])


def _lacks_file(folder, need: str) -> bool:
    return FILE_NEEDS[need][0] in (getattr(folder, "absent_files", None) or [])


#: Needs met by what the folder records: (file, the columns it must hold; none: the file).
_RECORDED = {"application_clearances": ("events/applications.parquet", ("cleared_date", "clearance_type")),
             "closures_file": ("events/closures.parquet", ()),
             "closure_reasons": ("events/closures.parquet", ("closure_reason",))}


_NOT_RECORDED_WORDS = {
    "application_clearances": (
        "The extract folder's applications do not record when and how each was cleared (an "
        "optional part of the data contract), so applications cleared, uncleared and time to "
        "clear are not available [x]."),
    "closures_file": ("The extract folder has no closures file (an optional part of the data "
                      "contract), so cases closed are not available [x]."),
    "closure_reasons": ("The extract folder's closures do not record why each case closed (an "
                        "optional part of the data contract), so closures by reason are not "
                        "available [x]."),
}


def _not_recorded(need: str, folder) -> list[str]:
    """What the folder lacks for a need of :data:`_RECORDED` (the file, or its columns)."""
    path, columns = _RECORDED[need]
    if path in (getattr(folder, "absent_files", None) or []):
        return [path]
    absent = (getattr(folder, "absent_columns", None) or {}).get(path, [])
    return [c for c in columns if c in absent]


def _unmet_at(need: str, month: str, months: list[str], folder) -> bool:
    """Whether ``need`` is unmet for the figures of ``month`` (month-level needs only)."""
    if need in SNAPSHOT_COLUMN_NEEDS:
        return _snapshot_lacks(folder, need, month)
    if need in FILE_NEEDS:
        return _lacks_file(folder, need)
    if need in _RECORDED:
        return bool(_not_recorded(need, folder))
    if need == "whole_quarter":
        return len(quarter_months(month, months)) < 3
    if need == "children_sample":
        return not any(s <= month for s in folder.sample_months)
    if need == "scheme_start":
        return _starts_late(folder)
    return False


def mask_unavailable(frame: pd.DataFrame, folder, period: str) -> pd.DataFrame:
    """``frame`` (tidy measures) without the figures whose table's needs are unmet at their month.

    Parameters
    ----------
    frame : DataFrame
        Tidy measures (``table, period, measure, ...``) of :func:`cms_stats.measures.compute_all`.
    folder
        The extract folder (``months``, ``sample_months``, ``metadata``).
    period : str
        The release period.

    Returns
    -------
    DataFrame
        The rows kept, in their order (the index reset).
    """
    months = _months(folder, period)
    drop = pd.Series(False, index=frame.index)
    for table in load_registry().tables.values():
        in_table = frame["table"].eq(table.id)
        for need in table.needs:
            rows = in_table & (frame["measure"].isin(need.measures) if need.measures else True)
            unmet = {m for m in months if _unmet_at(need.name, m, months, folder)}
            drop |= rows & frame["period"].isin(unmet)
    return frame.loc[~drop].reset_index(drop=True)


def _reason(need: str, table, folder, period: str, events: dict) -> str | None:
    """Why ``need`` is unmet at ``period``, in the data's words (None: met)."""
    months = _months(folder, period)
    first = month_words(folder.months[0])
    if need == "whole_quarter" and _unmet_at(need, period, months, folder):
        n = len(quarter_months(period, months))
        return (f"The quarter to {month_words(period)} has {n} month{'s' if n > 1 else ''} of "
                f"data (the extract folder starts in {first}); quarterly figures need all "
                "three months, so they are not available [x] for a partial quarter.")
    if need == "children_sample" and _unmet_at(need, period, months, folder):
        later = [s for s in folder.sample_months if s > period]
        where = (f"the folder's first sample is {month_words(later[0])}" if later
                 else "the folder has no children sample")
        return (f"No children sample was drawn on or before {month_words(period)} ({where}; "
                "samples are drawn in March and September).")
    if need == "month_before_period" and period == folder.months[0]:
        return (f"The extract folder starts in {first}: there is no month of data before "
                f"{month_words(period)}.")
    if need == "received_before_period":
        for name in table.reads:
            frame = events.get(name)
            if frame is None:
                continue
            first = _earliest(frame["received_date"])
            if first is None or first >= pd.Timestamp(month_start(period)):
                what = _EVENT_WORDS.get(name, name)
                return (f"No {what} was received before {month_words(period)} in the extract "
                        "folder, so there are no figures for the months before it.")
    if need in SNAPSHOT_COLUMN_NEEDS and _snapshot_lacks(folder, need, period):
        return (f"The snapshot of {month_words(period)} does not give `{need}` "
                f"({SNAPSHOT_COLUMN_NEEDS[need]}, an optional column of the data contract), so "
                "these figures are not available [x].")
    if need in FILE_NEEDS and _lacks_file(folder, need):
        path, what = FILE_NEEDS[need]
        return (f"The extract folder has no `{path}` ({what}, an optional file of the data "
                "contract), so these figures are not available [x].")
    if need in _RECORDED and _not_recorded(need, folder):
        # in words, never the column names (the published text is screened for them)
        return _NOT_RECORDED_WORDS[need]
    if need == "scheme_start" and _starts_late(folder):
        return (f"The extract folder starts in {first}, after the statistics began in "
                f"{month_words(SCHEME_START_MONTH)}, and gives no opening balances: a cumulative "
                f"figure from {first} would leave out everything before it.")
    return None


def not_available(folder, period: str, events: dict | None = None) -> dict[str, dict]:
    """The tables (or measures) of the edition with no figure for ``period``, and why.

    Parameters
    ----------
    folder
        The extract folder.
    period : str
        The release period.
    events : dict, optional
        Event frames or Arrow tables as known at the period, by contract name
        (``service_requests``, ``reconsiderations``; ``received_date`` is read), for
        ``received_before_period``.

    Returns
    -------
    dict
        Table id -> ``{"reason": str, "measures": [...]}`` (``measures`` empty: the whole
        table), for the tables of the edition whose declared needs are unmet at the period.
        When several unmet needs of one table name measures, ``measures`` lists them all and
        ``reasons`` gives each measure its own reason (T19: cases from a snapshot column,
        actions from an optional file).
    """
    registry = load_registry()
    out: dict[str, dict] = {}
    for table_id in registry.tables_in_edition(period):
        table = registry.table(table_id)
        for need in table.needs:
            reason = _reason(need.name, table, folder, period, events or {})
            if not reason:
                continue
            if not need.measures:  # the whole table: nothing more to say
                out[table_id] = {"reason": reason, "measures": []}
                break
            entry = out.get(table_id)
            if entry is None:
                out[table_id] = {"reason": reason, "measures": list(need.measures)}
                continue
            reasons = entry.setdefault("reasons", {m: entry["reason"] for m in entry["measures"]})
            for measure in need.measures:
                if measure not in reasons:
                    entry["measures"].append(measure)
                    reasons[measure] = reason
    return out
