"""The extract folder: its layout checked when opened, each file validated when first read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cms_stats.months import is_month, month_start, months_between

from . import checked, scan
from .columns import check_table
from .common import Ctx, fmt, to_pandas, unique_strings
from .contract import CONTRACT, EVENT_FILES, MI_FEEDS, OPTIONAL_FILES, SAMPLE_CALENDAR_MONTHS
from .errors import ExtractError, PeriodError
from .keys import KeySet
from .metadata import extracted_day, read_metadata
from .parquet import read_column, read_parquet
from .periods import check_period
from .quarantine import apply_quarantine, empty_quarantine
from .rules import FILE_RULES
from .vintage import as_known_at, check_vintage_rules, delivered_present, latest_deliveries
from .workbook import check_total, read_xlsx


class ExtractFolder:
    """An extract folder whose files are validated against the contract when read.

    Create with :func:`open_extracts`. Accessors return validated pandas DataFrames (dates
    as ``datetime64``, codes and identifiers as ``str``, quarantined rows removed); the rows
    removed so far are in :attr:`quarantine`.
    """

    def __init__(self, data_dir: str | Path, known_at: dt.date | None = None):
        self.path = Path(data_dir)
        self.metadata: dict = read_metadata(self.path)
        self.months: list[str] = months_between(self.metadata["first_month"], self.metadata["last_month"])
        self.known_at = _check_known_at(known_at, self.months[0])
        self.extracted = extracted_day(self.metadata)
        self.sample_months: list[str] = [m for m in self.months if int(m[5:7]) in SAMPLE_CALENDAR_MONTHS]
        self._check_layout()
        self._frames: dict[str, pd.DataFrame] = {}
        self._quarantine: dict[str, pd.DataFrame] = {}
        self._rows_in: dict[str, int] = {}
        self._case_ids: pa.Array | None = None
        self._populations: dict[str, KeySet] = {}
        self._absent: dict[str, list[str]] = {}
        self._not_yet_known: dict[str, int] = {}
        self._superseded: dict[str, int] = {}
        self._signature: tuple | None = None  # the files as first read (extracts.checked)

    # ----- layout
    @property
    def is_synthetic(self) -> bool:
        return self.metadata["source"] == "synthetic"

    def __repr__(self) -> str:
        return f"ExtractFolder({str(self.path)!r}, {self.metadata['source']}, {self.months[0]}..{self.months[-1]})"

    def files(self) -> list[str]:
        """Every file of the folder the contract expects, as paths relative to it."""
        out = [CONTRACT["snapshot"].path.format(month=m) for m in self.months]
        out += [CONTRACT[k].path for k in EVENT_FILES]
        out += [CONTRACT[k].path for k in OPTIONAL_FILES if (self.path / CONTRACT[k].path).is_file()]
        out += [CONTRACT["children_sample"].path.format(month=m) for m in self.sample_months]
        out += [CONTRACT[k].path for k in MI_FEEDS]
        return out

    def _check_layout(self) -> None:
        span = f"extract.json covers {self.months[0]} to {self.months[-1]}"
        for key, months in (("snapshot", self.months), ("children_sample", self.sample_months)):
            spec = CONTRACT[key]
            folder, pattern = spec.path.split("/")
            prefix, suffix = pattern.split("{month}")
            present = {}
            directory = self.path / folder
            if directory.is_dir():
                for p in sorted(directory.iterdir()):
                    if not p.name.endswith(".parquet"):
                        continue
                    month = p.name[len(prefix) : -len(suffix)] if p.name.startswith(prefix) else ""
                    if not is_month(month) or p.name != prefix + month + suffix:
                        raise ExtractError(
                            f"{folder}/{p.name}", f"unexpected file name (expected {pattern.replace('{month}', 'YYYY-MM')})"
                        )
                    present[month] = p
            for month in sorted(present):
                if month not in months:
                    why = "not a March or September" if key == "children_sample" and month in self.months else span
                    raise ExtractError(
                        spec.path.format(month=month), f"month {month} is outside the contract ({why})"
                    )
            missing = [m for m in months if m not in present]
            if missing:
                m = missing[0]
                rel = spec.path.format(month=m)
                if key == "snapshot":
                    earlier = [x for x in present if x < m]
                    later = [x for x in present if x > m]
                    if earlier and later:
                        raise ExtractError(
                            rel, f"missing file: a gap in the monthly snapshots between {max(earlier)} and {min(later)}"
                        )
                    raise ExtractError(rel, f"missing file: no monthly snapshot for {m} ({span})")
                raise ExtractError(rel, f"missing file: no children sample for {m} ({span})")
        for key in (*EVENT_FILES, *MI_FEEDS):
            rel = CONTRACT[key].path
            if not (self.path / rel).exists():
                raise ExtractError(rel, "missing file")

    # ----- loading (arrow level)
    def _load(self, key: str, month: str | None = None, count_only: bool = False) -> pa.Table:
        """Read, check and quarantine a file; the rows that count as known at ``known_at``.

        ``count_only``: the rows known are only counted, not selected (the table returned is
        all the rows used before the cut-off): :func:`validate` needs no copy of them.
        """
        spec = CONTRACT[key]
        rel = spec.path.format(month=month) if month else spec.path
        path = self.path / rel
        if self._signature is None:
            self._signature = checked.folder_signature(self.path, self.files())
        remembered = checked.recall(self._signature, rel, spec)
        identity = checked.file_identity(path)
        if spec.kind == "parquet":
            ctx = Ctx(rel, row_base=1, month=month)
            table = check_table(read_parquet(path, spec, ctx), spec, ctx, check=remembered is None)
        elif remembered is not None:  # the workbook as read when it was checked
            ctx = Ctx(rel, row_base=2, sheet=spec.sheet, month=month)
            table, ctx.total, ctx.absent = remembered.table, remembered.total, list(remembered.absent)
        else:
            ctx = Ctx(rel, row_base=2, sheet=spec.sheet, month=month)
            table = read_xlsx(path, spec, ctx)
        if remembered is not None:
            used, quarantine = remembered.apply(table)
            if key == "children_sample":  # what its rule reads, as a fresh check would
                self._population(month)
        else:
            used, quarantine = self._check(key, spec, table, ctx)
            checked.remember(self._signature, rel, spec, identity,
                             quarantine["row"].to_numpy() - ctx.row_base, quarantine, ctx.absent,
                             *((table, ctx.total) if spec.kind != "parquet" else ()))
        used, self._not_yet_known[rel], self._superseded[rel] = as_known_at(
            used, spec, ctx, self.known_at, count_only)
        self._absent[rel] = list(ctx.absent)
        self._rows_in[rel] = table.num_rows
        self._quarantine[rel] = quarantine
        return used

    def _check(self, key: str, spec, table: pa.Table, ctx: Ctx) -> tuple[pa.Table, pd.DataFrame]:
        """The checks of a file that are not column checks (the contract's rules, the vintage
        rules, the workbook's Total row), then its quarantine: ``(rows used, quarantine)``."""
        check_vintage_rules(table, spec, ctx, self.months[-1])
        rule = FILE_RULES.get(key)
        if rule is not None:
            rule(table, ctx, self)
        if ctx.total is not None:
            total_values, total_index = ctx.total
            final = latest_deliveries(table, spec) if delivered_present(spec, ctx) else table
            check_total(final, total_values, spec, ctx, total_index)
        return apply_quarantine(table, spec, ctx, self)

    def _snapshot_case_ids(self, wanted: pa.Array) -> pa.Array:
        """The case_ids among ``wanted`` that are in some monthly snapshot (payments rule)."""
        if self._case_ids is None:
            parts = []
            for m in self.months:
                rel = CONTRACT["snapshot"].path.format(month=m)
                col = CONTRACT["snapshot"].column("case_id")
                arr = read_column(self.path / rel, col, Ctx(rel, month=m))
                parts.extend(arr.filter(pc.is_in(arr, value_set=wanted)).chunks)
            self._case_ids = unique_strings(parts)
        return self._case_ids

    def _population(self, month: str) -> KeySet:
        """case_ids with weekly_liability > 0 in the month's snapshot (the sample population),
        held compactly: kept for every sample month until the samples are checked."""
        if month not in self._populations:
            self._set_population(month, self._load("snapshot", month))
        return self._populations[month]

    def _set_population(self, month: str, snapshot: pa.Table) -> None:
        mask = pc.greater(snapshot.column("weekly_liability"), 0.0)
        self._populations[month] = KeySet(snapshot.column("case_id").filter(mask),
                                          CONTRACT["snapshot"].column("case_id"))

    @property
    def absent_columns(self) -> dict[str, list[str]]:
        """The optional columns absent from the folder's files: ``{file: [column, ...]}``.

        Only files with an absent optional column are listed (an empty dict: every optional
        column is present). An absent column reads as all-null; what its absence means is stated
        in the contract (``Column.absent``, ``data/README.md``). Parquet files are looked at
        through their schema only; MI workbooks are read (and validated) when first asked.
        """
        for rel in self.files():
            spec = _spec_of_file(rel)
            if rel in self._absent or not spec.optional_columns:
                continue
            if spec.kind == "parquet":
                try:
                    names = set(pq.read_schema(self.path / rel).names)
                except Exception:  # unreadable: loading says why, in one line
                    self._load(spec.key, _month_of(rel, spec))
                    continue
                self._absent[rel] = [c for c in spec.optional_columns if c not in names]
            else:
                self._load(spec.key)
        return {rel: cols for rel, cols in self._absent.items() if cols}

    # ----- public accessors
    def _snapshot_month(self, month: str) -> None:
        if month not in self.months:
            raise PeriodError(
                "extract.json",
                f"no snapshot for {fmt(month)}: the extract covers {self.months[0]} to {self.months[-1]}",
            )

    def check_snapshot(self, month: str) -> None:
        """Check the month's snapshot as :meth:`snapshot` does, without making a frame of it.

        For a reader that scans the file itself (the measures engine). A snapshot this process
        has already checked while the folder is unchanged (:mod:`.checked`: a validation just
        before) is not read at all; its bookkeeping (rows in, absent columns, quarantine) is
        what a read would give, its row count from the Parquet footer. Snapshots have no rows
        recorded later and no row quarantine, so the rows a read would use are all its rows.

        Raises
        ------
        ExtractError
            The snapshot fails a check (one line naming file, column and row).
        """
        self._snapshot_month(month)
        spec = CONTRACT["snapshot"]
        rel = spec.path.format(month=month)
        if self._signature is None:
            self._signature = checked.folder_signature(self.path, self.files())
        remembered = checked.recall(self._signature, rel, spec)
        if remembered is None or remembered.taken.size:
            table = self._load("snapshot", month, count_only=True)
            if month in self.sample_months:  # the children sample's population, for free
                self._set_population(month, table)
            return
        self._rows_in[rel] = pq.ParquetFile(self.path / rel).metadata.num_rows
        self._quarantine[rel] = remembered.quarantine.copy()
        self._absent[rel] = list(remembered.absent)
        self._not_yet_known[rel] = self._superseded[rel] = 0

    def snapshot(self, month: str) -> pd.DataFrame:
        """The validated monthly case snapshot for ``month`` (``YYYY-MM``)."""
        self._snapshot_month(month)
        table = self._load("snapshot", month)
        if month in self.sample_months:  # the children sample's population, for free
            self._set_population(month, table)
        return to_pandas(table)

    def _event(self, key: str) -> pd.DataFrame:
        if key not in self._frames:
            self._frames[key] = to_pandas(self._load(key))
        return self._frames[key]

    def event_table(self, key: str) -> pa.Table:
        """A validated event file as Arrow, not kept (:func:`.scan.event_table`)."""
        return scan.event_table(self, key)

    def event_scan(self, key: str) -> scan.EventScan | None:
        """How an engine may scan an event file itself (:func:`.scan.event_scan`)."""
        return scan.event_scan(self, key)

    def event_column(self, key: str, column: str) -> pa.ChunkedArray:
        """One column of a validated event file, read alone when it can be (:func:`.scan.event_column`)."""
        return scan.event_column(self, key, column)

    def applications(self) -> pd.DataFrame:
        """Validated applications (duplicates kept: the intake measures remove and count them)."""
        return self._event("applications")

    def payments(self) -> pd.DataFrame:
        """Validated Collect and Pay payments."""
        return self._event("payments")

    def liabilities(self) -> pd.DataFrame:
        """Validated maintenance calculations."""
        return self._event("liabilities")

    def service_requests(self) -> pd.DataFrame:
        """Validated service requests (changes of circumstances)."""
        return self._event("service_requests")

    def reconsiderations(self) -> pd.DataFrame:
        """Validated mandatory reconsiderations."""
        return self._event("reconsiderations")

    @property
    def absent_files(self) -> list[str]:
        """The optional files (``OPTIONAL_FILES``) the folder leaves out; the contract says
        what each absence means."""
        return [CONTRACT[k].path for k in OPTIONAL_FILES if not (self.path / CONTRACT[k].path).is_file()]

    def closures(self) -> pd.DataFrame:
        """Validated case closures with the closing month's liability (an optional file:
        absent, no rows)."""
        if CONTRACT["closures"].path in self.absent_files:
            return pd.DataFrame({"case_id": pd.Series([], dtype="str"),
                                 "closed_date": pd.Series([], dtype="datetime64[us]"),
                                 "liability_due": pd.Series([], dtype="float64")})
        return self._event("closures")

    def enforcement_actions(self) -> pd.DataFrame:
        """Validated enforcement actions (an optional file: absent, no rows; ``absent_files``
        says so)."""
        if CONTRACT["enforcement_actions"].path in self.absent_files:
            return pd.DataFrame({"action_id": pd.Series([], dtype="str"),
                                 "case_id": pd.Series([], dtype="str"),
                                 "action_date": pd.Series([], dtype="datetime64[us]"),
                                 "action_type": pd.Series([], dtype="str")})
        return self._event("enforcement_actions")

    def children_sample(self, month: str) -> pd.DataFrame:
        """The validated children sample drawn in ``month`` (a March or September)."""
        if month not in self.sample_months:
            raise PeriodError(
                "extract.json",
                f"no children sample for {fmt(month)}: samples are {', '.join(self.sample_months) or 'none'}",
            )
        key = f"children_sample:{month}"
        if key not in self._frames:
            self._frames[key] = to_pandas(self._load("children_sample", month))
        return self._frames[key]

    def mi(self, name: str) -> pd.DataFrame:
        """A validated MI feed (``telephony``, ``complaints``, ``appeals``, ``accuracy_checks``).

        The Total row is checked against the rows and removed.
        """
        if name not in MI_FEEDS:
            raise ValueError(f"unknown MI feed {name!r}: expected one of {', '.join(MI_FEEDS)}")
        return self._event(name)

    def check_period(self, period: str) -> str:
        """See :func:`check_period`."""
        return check_period(self, period)

    @property
    def quarantine(self) -> pd.DataFrame:
        """Rows quarantined so far: ``file, row, column, reason``."""
        frames = [q for q in self._quarantine.values() if len(q)]
        if not frames:
            return empty_quarantine()
        return pd.concat(frames, ignore_index=True)

    @property
    def rows_in(self) -> dict[str, int]:
        """Data rows read, by file (Excel: excluding header and Total row)."""
        return dict(self._rows_in)

    @property
    def rows_quarantined(self) -> dict[str, int]:
        return {rel: len(self._quarantine[rel]) for rel in self._rows_in}

    @property
    def rows_used(self) -> dict[str, int]:
        """Rows that count, by file: read, less quarantined, not yet known at ``known_at`` and
        (MI feeds) deliveries replaced by a later one."""
        return {rel: n - len(self._quarantine[rel]) - self._not_yet_known.get(rel, 0)
                - self._superseded.get(rel, 0) for rel, n in self._rows_in.items()}

    @property
    def rows_not_yet_known(self) -> dict[str, int]:
        """Rows left out as recorded (delivered) after ``known_at``, by file read so far."""
        return {rel: self._not_yet_known.get(rel, 0) for rel in self._rows_in}

    @property
    def rows_superseded(self) -> dict[str, int]:
        """MI rows replaced by a later delivery of their month, by file read so far."""
        return {rel: self._superseded.get(rel, 0) for rel in self._rows_in}

    @property
    def recording_dates(self) -> bool:
        """Whether the folder records when facts became known (``recorded_date`` in some event
        file or ``delivered_date`` in some MI feed); if not, it is the same at every cut-off."""
        absent = self.absent_columns
        return any(
            col in spec.column_names and col not in absent.get(spec.path, [])
            for key in (*EVENT_FILES, *MI_FEEDS)
            for spec in (CONTRACT[key],)
            for col in ("recorded_date", spec.delivery_column or "")
        )

    @property
    def vintage(self) -> dict:
        """The folder as known at ``known_at`` (see ``KNOWN_AT_DEFINITION``).

        Returns
        -------
        dict
            ``known_at`` and ``extracted`` (``datetime.date`` or None), ``recording_dates``
            (bool), ``not_yet_known`` (rows left out, by file; an event file or MI feed not
            read yet is read, validated, to count them) and ``superseded`` (MI rows replaced by a later
            delivery, by file). Files with nothing left out are not listed.
        """
        present = [k for k in OPTIONAL_FILES if CONTRACT[k].path not in self.absent_files]
        for key in (*EVENT_FILES, *present, *MI_FEEDS):
            if CONTRACT[key].path not in self._rows_in:  # counted once read
                self._event(key)
        return {
            "known_at": self.known_at,
            "extracted": self.extracted,
            "recording_dates": self.recording_dates,
            "not_yet_known": {f: n for f, n in self.rows_not_yet_known.items() if n},
            "superseded": {f: n for f, n in self.rows_superseded.items() if n},
        }


def _spec_of_file(rel: str):
    """The contract entry of a file of the folder (``rel`` as listed by ``files()``)."""
    for spec in CONTRACT.values():
        if spec.path == rel:
            return spec
        if "{month}" in spec.path:
            prefix, suffix = spec.path.split("{month}")
            if rel.startswith(prefix) and rel.endswith(suffix):
                return spec
    raise KeyError(rel)


def _month_of(rel: str, spec) -> str | None:
    if "{month}" not in spec.path:
        return None
    prefix, suffix = spec.path.split("{month}")
    return rel[len(prefix) : len(rel) - len(suffix)]


def _check_known_at(known_at: dt.date | None, first_month: str) -> dt.date | None:
    if known_at is None:
        return None
    if isinstance(known_at, dt.datetime) or not isinstance(known_at, dt.date):
        raise TypeError(f"known_at must be a datetime.date, got {known_at!r}")
    if known_at < month_start(first_month):
        raise PeriodError(
            "extract.json",
            f"known_at {known_at} is before the folder's first month ({first_month}): nothing "
            "was known then",
        )
    return known_at


def open_extracts(data_dir: str | Path, *, known_at: dt.date | None = None) -> ExtractFolder:
    """Open an extract folder: checks ``extract.json`` and that every file is present.

    Parameters
    ----------
    data_dir : the extract folder (synthetic or real).
    known_at : the folder as known at the end of this day (``KNOWN_AT_DEFINITION``): event
        rows recorded after it and MI deliveries after it are left out. None: everything the
        folder holds (as known at extraction).

    Returns
    -------
    ExtractFolder
        Its accessors validate each file when first read.

    Raises
    ------
    ExtractError
        Missing folder, file or month; gap in the snapshots; bad ``extract.json``; a
        ``known_at`` before the folder's first month (a :class:`PeriodError`).
    """
    return ExtractFolder(data_dir, known_at=known_at)
