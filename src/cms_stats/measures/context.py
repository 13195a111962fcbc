"""What the measures of one release see: the extract folder as known at the release period.

:class:`Context` is handed to every compute function the registry names
(``resources/tables.yaml``). It reads each extract once, applies the as-at rule, and carries the
results families share (``carry``). Every family reads the engine's tables (snapshots scanned
from their files once the loader has checked them, events scanned or handed over as the
loader's validated rows): there is no pass over the months in pandas. An engine reads the files
it scans when its queries run: :meth:`Context.check_unchanged` says if one changed meanwhile.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from cms_stats.extracts import ExtractError
from cms_stats.extracts.checked import file_identity
from cms_stats.extracts.columns import arrow_type
from cms_stats.extracts.scan import no_rows
from cms_stats.extracts.contract import CONTRACT
from cms_stats.months import month_end

from .common import as_at
from .engine import Engine, as_at as engine_as_at, engine_name
from .engine import month_number as engine_month_number
from .intake import PARENTS, mark_duplicates

__all__ = ["Context", "ENGINE_SNAPSHOT_COLUMNS", "AS_AT_RULES"]

#: The snapshot columns the families run by the engine read, with their types (the engine
#: scans only these; an optional column absent from the folder is null).
ENGINE_SNAPSHOT_COLUMNS = {"case_id": "string", "case_group_id": "string", "origin": "string",
                           "service_type": "string", "weekly_liability": "float64",
                           "liability_due": "float64", "arrears_closing": "float64",
                           "shared_care_nights": "int64", "in_enforcement": "int64",
                           "csa_arrears": "float64",
                           "arrears_opening": "float64", "arrears_accrued": "float64",
                           "arrears_paid": "float64", "arrears_adjustment": "float64",
                           "constituency_code": "string"}

#: What each event extract's as-at rule reads: the date that places an event (events after the
#: as-at date are not yet known), dates that become null when after it (not yet cleared) and
#: the columns that go with them (the outcome of a reconsideration not yet cleared).
AS_AT_RULES = {
    "applications": ("received_date", (), ()),
    "payments": ("payment_date", (), ()),
    "service_requests": ("received_date", ("cleared_date",), ()),
    "reconsiderations": ("received_date", ("cleared_date",), ("outcome",)),
    "closures": ("closed_date", (), ()),
    "enforcement_actions": ("action_date", (), ()),
}


class Context:
    """The extract folder as known at the as-at date of ``period`` (the last day of it).

    Parameters
    ----------
    folder
        An extract folder (:func:`cms_stats.extracts.open_extracts`) or any object with its API.
    period : str
        The release period ``YYYY-MM``; must be a month of the folder.
    quarantine : DataFrame, optional
        The quarantine of a validation that already read the whole folder
        (:class:`cms_stats.extracts.ValidationReport`); when absent, every extract is read here
        so the count covers the whole folder whatever was read before.
    engine : str, optional
        The engine that runs the families written as engine expressions (``duckdb``, the
        default, or ``spark``: :func:`cms_stats.measures.engine.engine_name`).
    """

    def __init__(self, folder, period: str, quarantine: pd.DataFrame | None = None,
                 engine: str | None = None) -> None:
        self.folder = folder
        self.period = period
        self.months = [m for m in folder.months if m <= period]
        if not self.months or self.months[-1] != period:
            raise ValueError(f"period {period!r} is not a month of the extract folder")
        self.as_at_date = pd.Timestamp(month_end(period))
        self._quarantine = quarantine
        self._mi: dict[str, pd.DataFrame] = {}
        self._engine_events: dict[str, ibis.Table] = {}
        self._engine_mi: dict[str, ibis.Table] = {}
        self._scanned: dict[Path, tuple | None] = {}  # files the engine reads, as checked
        self.engine_name = engine_name(engine)
        #: What a family computes once for others, under a key of its own (e.g. the quarter's
        #: case groups by constituency, held by the engine for T5/T6 and T21).
        self.carry: dict[str, object] = {}

    # -- events as known at the as-at date ------------------------------------------------
    def _as_at(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        date_column, cleared, dependent = AS_AT_RULES[name]
        return as_at(frame, date_column, self.as_at_date, cleared_columns=cleared,
                     cleared_dependent=dependent)

    @cached_property
    def payments(self) -> pd.DataFrame:
        """Payments dated on or before the as-at date."""
        return self._as_at("payments", self.folder.payments())

    # -- the engine's tables ------------------------------------------------------------------
    @cached_property
    def engine(self) -> Engine:
        """The measures engine (started when a family written for it first asks)."""
        return Engine(self.engine_name)

    @cached_property
    def engine_snapshots(self) -> ibis.Table:
        """The snapshots of every month up to the period, in the engine (the columns the
        engine's families read, :data:`ENGINE_SNAPSHOT_COLUMNS`).

        A folder on disk (``folder.path``) is scanned from its Parquet files once the loader
        has checked each (``folder.check_snapshot``: one line naming file, column and row on a
        fault, whichever engine runs; a snapshot the release's validation checked in this
        process is not read again); the snapshots of any other folder (a hand-made fixture)
        are read through its ``snapshot`` and handed over.
        """
        columns = dict(ENGINE_SNAPSHOT_COLUMNS)
        root = getattr(self.folder, "path", None)
        if root is not None:
            rel = CONTRACT["snapshot"].path
            paths = [Path(root) / rel.format(month=m) for m in self.months]
            for m, path in zip(self.months, paths):
                self.folder.check_snapshot(m)
                self._scanned[path] = file_identity(path)
            return self.engine.snapshots(paths, self.months, columns)
        frames = [self._engine_part(self.folder.snapshot(m)) for m in self.months]
        return self.engine.snapshot_frames(frames, self.months, columns)

    @staticmethod
    def _engine_part(snapshot: pd.DataFrame) -> pd.DataFrame:
        """The columns of a snapshot the engine reads (those the snapshot has)."""
        return snapshot[[c for c in ("snapshot_month", *ENGINE_SNAPSHOT_COLUMNS) if c in snapshot]]

    @cached_property
    def engine_payments(self) -> ibis.Table:
        """:attr:`payments` in the engine: ``case_id``, ``case_group_id``, ``payment_date``,
        ``amount`` and ``paid_to_arrears`` (null when the extract does not split payments)."""
        payments = self.engine_events("payments")
        if "paid_to_arrears" not in payments.columns:  # a fixture without the optional column
            payments = payments.mutate(paid_to_arrears=ibis.null("float64"))
        return payments.select("case_id", "case_group_id", "payment_date",
                               amount=payments.amount.cast("float64"),
                               paid_to_arrears=payments.paid_to_arrears.cast("float64"))

    def engine_events(self, name: str) -> ibis.Table:
        """An event extract (:data:`AS_AT_RULES`) in the engine, as known at the as-at date.

        On DuckDB, a file the loader has checked in this process and stores in the loader's
        types is scanned from disk (``folder.event_scan``: the quarantined positions and rows
        recorded later left out; nothing held in memory); otherwise the engine takes the
        loader's validated Arrow table (``folder.event_table``: codes dictionary-encoded, no
        pandas frame). A hand-made fixture folder hands over its frame. The engine then
        applies the as-at rule. Families reading the same extract share the table.
        """
        if name not in self._engine_events:
            date_column, cleared, dependent = AS_AT_RULES[name]
            scan = getattr(self.folder, "event_scan", None)
            scanned = scan(name) if scan is not None and self.engine.name == "duckdb" else None
            read = getattr(self.folder, "event_table", None)
            if read is None and not hasattr(self.folder, name):  # an optional file left out
                read = no_rows
            if scanned is not None:
                table = self.engine.scan(scanned)  # DuckDB reads only the columns used
                self._scanned[scanned.path] = scanned.identity
            elif read is not None:
                table = self.engine.arrow(_needed(read(name), name))
            else:  # the engine applies the as-at rule (below); a pandas accessor when there is one
                frame = getattr(self, name) if hasattr(Context, name) else getattr(self.folder, name)()
                table = self.engine.arrow(_typed(frame, name))
            self._engine_events[name] = engine_as_at(table, date_column, self.as_at_date,
                                                     cleared, dependent)
        return self._engine_events[name]

    @cached_property
    def engine_applications(self) -> ibis.Table:
        """The applications known at the as-at date in the engine, with the duplicate rule
        (:func:`~cms_stats.measures.intake.mark_duplicates`: ``duplicate`` and ``month``
        received), which T1, T3, T16, T21 and DQ share: run once and held by the engine, not
        read and ranked again by each of the six families; without the parents' identifiers,
        which the rule alone reads."""
        marked = mark_duplicates(self.engine_events("applications"))
        return self.engine.hold(marked.drop(*PARENTS))

    def check_unchanged(self) -> None:
        """Stop if a file the engine scans changed after the loader checked it.

        The engine reads a scanned file whenever a query runs, after the check: a file
        rewritten meanwhile would reach the figures unchecked. Called once every family has run.

        Raises
        ------
        ExtractError
            One line naming the file that changed.
        """
        for path, identity in self._scanned.items():
            if file_identity(path) != identity:
                rel = path.relative_to(Path(self.folder.path)).as_posix()
                raise ExtractError(rel, "changed while the measures read it (checked before, "
                                        "different now): run again on a folder that is not "
                                        "being written")

    def engine_quarter_blocks(self) -> list[tuple[ibis.Table, ibis.Table, ibis.Table]]:
        """The months up to the period in blocks (:meth:`~.engine.Engine.quarter_blocks`), for
        a measure of the quarter to each month to be run a block at a time, holding what one
        block's quarters hold whatever the months of the folder: for each block the snapshots
        its quarters reach (:attr:`engine_snapshots` of those months), its quarters
        (:meth:`~.engine.Engine.quarters` of its months) and its months (:attr:`engine_months`'
        rows)."""
        snapshots = self.engine_snapshots
        return [(snapshots.filter(snapshots.month.between(first, last)), quarters, months)
                for first, last, quarters, months in self.engine.quarter_blocks(self.months)]

    def engine_month_blocks(self) -> list[tuple[ibis.Table, ibis.Table]]:
        """The months up to the period in blocks (:meth:`~.engine.Engine.month_blocks`), for a
        monthly measure whose states by case or case group would otherwise hold every month's
        at once: for each block its snapshots and its months (:attr:`engine_months`' rows)."""
        snapshots = self.engine_snapshots
        return [(snapshots.filter(snapshots.month.between(first, last)), months)
                for first, last, months in self.engine.month_blocks(self.months)]

    @cached_property
    def engine_months(self) -> ibis.Table:
        """The months up to the period, in the engine (what monthly figures are reported on)."""
        return self.engine.months(self.months)

    def engine_mi(self, name: str) -> ibis.Table:
        """A management-information feed (:meth:`mi`: every month's row, the Total row
        removed) in the engine, with ``month`` (:func:`~.engine.month_number` of the feed's
        month, ``check_month`` for the accuracy checks) for the measures to take those to the
        period."""
        if name not in self._engine_mi:
            table = self.engine.frame(self.mi(name))
            month = table[_MI_MONTH.get(name, "month")]
            # an empty feed's month column has no type of its own: a string, then a number
            self._engine_mi[name] = table.mutate(
                month=engine_month_number(month.cast("string")).cast("int64"))
        return self._engine_mi[name]

    def mi_months(self, name: str) -> list[str]:
        """The months a feed's figures are reported on: the folder's to the period and the
        feed's own (``YYYY-MM``, in order)."""
        months = self.mi(name)[_MI_MONTH.get(name, "month")].astype("str")
        return sorted(set(self.months) | set(months))

    def mi(self, name: str) -> pd.DataFrame:
        """A management-information feed (rows for every month; measures take those to the period)."""
        if name not in self._mi:
            self._mi[name] = self.folder.mi(name)
        return self._mi[name]

    @property
    def quarantine(self) -> pd.DataFrame:
        """Every quarantined row of the folder (file, row, column, reason)."""
        if self._quarantine is not None:
            return self._quarantine
        # Checking every extract fills the folder's quarantine whatever was read before. A
        # folder that can check an event file without a frame of it (``event_scan``: checked
        # once in this process, then only its bookkeeping) is not made to build one: the
        # frames of every event file were the measures stage's peak (DESIGN, Measures engine).
        check = getattr(self.folder, "event_scan", None)
        for name in ("applications", "payments", "liabilities", "service_requests",
                     "reconsiderations", "closures", "enforcement_actions"):
            if check is not None:
                check(name)
            elif name in ("closures", "enforcement_actions"):  # optional extracts
                getattr(self.folder, name, lambda: None)()
            else:  # a required extract: a folder without its reader fails, not skips it
                getattr(self.folder, name)()
        for name in ("telephony", "complaints", "appeals", "accuracy_checks"):
            self.mi(name)
        return self.folder.quarantine


#: The columns of an event extract the engine's families read, when they are fewer than the
#: extract's (the identifiers left out are most of the service requests' bytes: 70 of 111 MB at
#: scale 1.0 x 37); an extract not named here is handed over whole.
ENGINE_EVENT_COLUMNS = {
    "service_requests": ("request_type", "received_date", "cleared_date"),
    "reconsiderations": ("received_date", "cleared_date", "outcome"),
    "enforcement_actions": ("action_date", "action_type"),
}


def _needed(table: pa.Table, name: str) -> pa.Table:
    """``table`` with only the columns the engine's families read (:data:`ENGINE_EVENT_COLUMNS`;
    no copy)."""
    columns = ENGINE_EVENT_COLUMNS.get(name)
    return table if columns is None else table.select([c for c in columns if c in table.column_names])


#: The column of an MI feed that names its month (``month`` when not listed).
_MI_MONTH = {"accuracy_checks": "check_month"}


def _typed(frame: pd.DataFrame, name: str) -> pa.Table:
    """A fixture's event frame as Arrow with the contract's types for its columns (an empty
    frame's columns carry no type of their own, or pandas' default float)."""
    spec = CONTRACT[name]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, field in enumerate(table.schema):
        if field.name in spec.column_names and (pa.types.is_null(field.type)
                                                or table.num_rows == 0):
            table = table.set_column(i, field.name, table.column(i).cast(arrow_type(spec.column(field.name))))
    return table
