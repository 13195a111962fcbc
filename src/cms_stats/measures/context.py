"""What the measures of one release see: the extract folder as known at the release period.

:class:`Context` is handed to every compute function the registry names
(``resources/tables.yaml``). It reads each extract once, applies the as-at rule, and carries the
state that the month-by-month pass builds up (the latest children sample). :class:`Quarter` is
what a quarterly measure sees.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import ibis
import pandas as pd

from cms_stats.extracts.contract import CONTRACT
from cms_stats.months import month_end, quarter_months

from . import children, compliance
from .common import as_at, with_id_codes
from .engine import Engine, engine_name
from .intake import deduplicate_new_applications

__all__ = ["Context", "Quarter", "ENGINE_SNAPSHOT_COLUMNS"]

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


@dataclass
class Quarter:
    """The quarter to ``month``: its months with a snapshot, the cases with liability due in
    them (:func:`cms_stats.measures.compliance.liable_cases`) and the payments dated in them."""

    month: str
    months: list[str]
    liable: pd.DataFrame
    payments: pd.DataFrame


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
        self.engine_name = engine_name(engine)
        self._engine_frames: list[pd.DataFrame] = []
        # state of the month-by-month pass (see :meth:`snapshots`)
        self.sample_children = None
        self.population: int | None = None
        #: What a per-month or per-quarter function keeps between calls, under a key of its
        #: own (e.g. the quarter's case groups, computed once for T5/T6 and T21).
        self.carry: dict[str, object] = {}

    # -- events as known at the as-at date ------------------------------------------------
    @cached_property
    def applications(self) -> pd.DataFrame:
        """Applications received on or before the as-at date (duplicates included)."""
        return as_at(self.folder.applications(), "received_date", self.as_at_date)

    @cached_property
    def _deduplicated(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return deduplicate_new_applications(self.applications)

    @property
    def kept(self) -> pd.DataFrame:
        """Applications after removing duplicated new applications (the T1 rule)."""
        return self._deduplicated[0]

    @property
    def removed(self) -> pd.DataFrame:
        """The duplicated new applications removed."""
        return self._deduplicated[1]

    @cached_property
    def payments(self) -> compliance.PaymentIndex:
        """Payments dated on or before the as-at date, indexed by month."""
        return compliance.PaymentIndex(as_at(self.folder.payments(), "payment_date", self.as_at_date))

    @cached_property
    def service_requests(self) -> pd.DataFrame:
        """Changes of circumstances received by the as-at date; later clearances not yet made."""
        return as_at(self.folder.service_requests(), "received_date", self.as_at_date,
                     cleared_columns=["cleared_date"])

    @cached_property
    def reconsiderations(self) -> pd.DataFrame:
        """Mandatory reconsiderations received by the as-at date; later outcomes not yet known."""
        return as_at(self.folder.reconsiderations(), "received_date", self.as_at_date,
                     cleared_columns=["cleared_date"], cleared_dependent=["outcome"])

    @cached_property
    def closures(self) -> pd.DataFrame:
        """Cases closed by the as-at date with their closing month's liability (an optional
        file: none when the folder has no ``events/closures.parquet``)."""
        read = getattr(self.folder, "closures", None)
        if read is None:
            return pd.DataFrame({"closed_date": pd.Series([], dtype="datetime64[us]"),
                                 "liability_due": pd.Series([], dtype="float64")})
        return as_at(read(), "closed_date", self.as_at_date)

    @cached_property
    def enforcement_actions(self) -> pd.DataFrame:
        """Enforcement actions started by the as-at date (an optional file: none when the
        folder has no ``events/enforcement_actions.parquet``)."""
        read = getattr(self.folder, "enforcement_actions", None)
        if read is None:
            return pd.DataFrame({"action_date": pd.Series([], dtype="datetime64[us]"),
                                 "action_type": pd.Series([], dtype="str")})
        return as_at(read(), "action_date", self.as_at_date)

    # -- the engine's tables ------------------------------------------------------------------
    @cached_property
    def engine(self) -> Engine:
        """The measures engine (started when a family written for it first asks)."""
        return Engine(self.engine_name)

    @cached_property
    def engine_snapshots(self) -> ibis.Table:
        """The snapshots of every month up to the period, in the engine (the columns the
        engine's families read, :data:`ENGINE_SNAPSHOT_COLUMNS`).

        A folder on disk (``folder.path``) is scanned from its Parquet files (already checked
        by the loader in the month-by-month pass, which runs first); the snapshots of any
        other folder (a hand-made fixture) are those the pass read, handed over.
        """
        columns = dict(ENGINE_SNAPSHOT_COLUMNS)
        root = getattr(self.folder, "path", None)
        if root is not None:
            rel = CONTRACT["snapshot"].path
            return self.engine.snapshots([Path(root) / rel.format(month=m) for m in self.months],
                                         self.months, columns)
        if len(self._engine_frames) != len(self.months):  # no month-by-month pass ran
            self._engine_frames = [self._engine_part(self.folder.snapshot(m))
                                   for m in self.months]
        return self.engine.snapshot_frames(self._engine_frames, self.months, columns)

    @staticmethod
    def _engine_part(snapshot: pd.DataFrame) -> pd.DataFrame:
        """The columns of a snapshot the engine reads (those the snapshot has)."""
        return snapshot[[c for c in ("snapshot_month", *ENGINE_SNAPSHOT_COLUMNS) if c in snapshot]]

    @cached_property
    def engine_months(self) -> ibis.Table:
        """The months up to the period, in the engine (what monthly figures are reported on)."""
        return self.engine.months(self.months)

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
        # Reading every extract fills the folder's quarantine whatever was read before.
        for read in (self.folder.applications, self.folder.payments, self.folder.liabilities,
                     self.folder.service_requests, self.folder.reconsiderations,
                     getattr(self.folder, "closures", lambda: None),
                     getattr(self.folder, "enforcement_actions", lambda: None)):
            read()
        for name in ("telephony", "complaints", "appeals", "accuracy_checks"):
            self.mi(name)
        return self.folder.quarantine

    # -- the month-by-month pass ------------------------------------------------------------
    def snapshots(self):
        """Yield ``(snapshot, month, quarter)`` for every month up to the period, in order.

        One snapshot is held at a time; only the last three months' small per-case summaries
        (cases with liability due) are kept for the quarter. Before each yield the running
        state is brought up to the month (the sample in force).
        """
        sample_months = {m for m in self.folder.sample_months if m <= self.period}
        liable = deque(maxlen=3)
        for m in self.months:
            raw = self.folder.snapshot(m)
            if getattr(self.folder, "path", None) is None:  # for the engine: see engine_snapshots
                self._engine_frames.append(self._engine_part(raw))
            snap = with_id_codes(raw)
            liable.append((m, compliance.liable_cases(snap)))
            if m in sample_months:
                self.sample_children = self.folder.children_sample(m)["qualifying_children"].to_numpy()
                self.population = children.sample_population(snap)
            q = quarter_months(m, self.months)
            quarter = Quarter(
                month=m, months=q,
                liable=pd.concat([frame for month, frame in liable if month in q], ignore_index=True),
                payments=self.payments.in_months(q))
            yield snap, m, quarter
