"""Validate a whole extract folder in one pass: :func:`validate` and its :class:`ValidationReport`."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import streamed
from .contract import CONTRACT, EVENT_FILES, MI_FEEDS, OPTIONAL_FILES
from .folder import ExtractFolder, unique_strings


def _payment_case_ids(folder: ExtractFolder) -> pa.Array | None:
    """The distinct case_ids of the payments file, or None if it cannot be read as expected."""
    try:
        pf = pq.ParquetFile(folder.path / CONTRACT["payments"].path)
        if not pa.types.is_string(pf.schema_arrow.field("case_id").type):
            return None
        return unique_strings([pc.unique(b.column(0))
                               for b in pf.iter_batches(batch_size=streamed.batch_rows(), columns=["case_id"])])
    except Exception:
        return None


@dataclass
class ValidationReport:
    """What :func:`validate` read and found. Every fatal fault raises instead."""

    data_dir: Path
    metadata: dict
    files: list[str]
    rows_in: dict[str, int]
    rows_used: dict[str, int]
    rows_quarantined: dict[str, int]
    quarantine: pd.DataFrame
    seconds: float = 0.0
    months: list[str] = field(default_factory=list)
    sample_months: list[str] = field(default_factory=list)
    #: files the contract does not name, reported by name (:func:`unexpected_files`)
    unexpected: list[str] = field(default_factory=list)
    #: optional files the folder leaves out (``ExtractFolder.absent_files``)
    absent_files: list[str] = field(default_factory=list)
    #: optional columns absent from the files (see ``ExtractFolder.absent_columns``)
    absent_columns: dict[str, list[str]] = field(default_factory=dict)
    #: rows recorded (delivered) after ``known_at``, and MI rows replaced by a later delivery
    rows_not_yet_known: dict[str, int] = field(default_factory=dict)
    rows_superseded: dict[str, int] = field(default_factory=dict)
    #: ``ExtractFolder.vintage``: the folder as known at ``known_at``
    vintage: dict = field(default_factory=dict)

    def quarantine_counts(self) -> pd.DataFrame:
        """Quarantined rows counted by file and reason: ``file, reason, rows``."""
        if not len(self.quarantine):
            return pd.DataFrame({"file": pd.Series([], dtype="str"), "reason": pd.Series([], dtype="str"),
                                 "rows": pd.Series([], dtype="int64")})
        return (
            self.quarantine.groupby(["file", "reason"], sort=False)
            .size()
            .rename("rows")
            .reset_index()
        )

    def format(self) -> str:
        """A short human summary: files, rows in / used / quarantined, quarantine by reason."""
        meta = self.metadata
        source = meta["source"]
        if source == "synthetic":
            g = meta["generator"]
            source += f" (generator {g['name']} {g['version']}, seed {g['seed']}, scale {g['scale']})"
        total_in, total_q = sum(self.rows_in.values()), sum(self.rows_quarantined.values())
        width = max(len(f) for f in self.files)
        lines = [
            f"Extract folder {self.data_dir}",
            f"  source: {source}",
            f"  months: {self.months[0]} to {self.months[-1]} ({len(self.months)} snapshots); "
            f"children samples: {', '.join(self.sample_months) or 'none'}",
            f"  {len(self.files)} files, {total_in:,} rows in, {total_in - total_q:,} used, "
            f"{total_q:,} quarantined",
            "",
            f"  {'file':<{width}}  {'rows in':>10}  {'used':>10}  {'quarantined':>11}",
        ]
        for f in self.files:
            lines.append(
                f"  {f:<{width}}  {self.rows_in[f]:>10,}  {self.rows_used[f]:>10,}  {self.rows_quarantined[f]:>11,}"
            )
        lines.append("")
        counts = self.quarantine_counts()
        if len(counts):
            lines.append("  quarantined rows by reason:")
            for r in counts.itertuples(index=False):
                lines.append(f"    {r.file}: {r.reason}: {r.rows:,}")
        else:
            lines.append("  no rows quarantined")
        lines.extend(self._vintage_lines())
        for name in self.absent_files:
            lines.append(f"  optional file absent: {name} (see data/README.md)")
        for name in self.unexpected:
            lines.append(f"  warning: {name}: unexpected file, not part of the contract (ignored)")
        for f, cols in self.absent_columns.items():
            lines.append(f"  optional columns absent from {f}: {', '.join(cols)} (see data/README.md)")
        lines.append(f"All files meet the contract (read and checked in {self.seconds:.1f} s).")
        return "\n".join(lines)


    def _vintage_lines(self) -> list[str]:
        v = self.vintage
        if not v:
            return []
        known = v.get("known_at")
        lines = [f"  as known at: {known.isoformat() if known else 'extraction'}"
                 + (f" (extracted {v['extracted'].isoformat()})" if v.get("extracted") else "")]
        if not v.get("recording_dates"):
            lines.append("  the folder does not record when rows became known: it is the same at "
                         "every cut-off")
        for what, counts in (("rows not yet known (recorded later)", v.get("not_yet_known")),
                              ("MI rows replaced by a later delivery", v.get("superseded"))):
            if counts:
                lines.append(f"  {what}: " + "; ".join(f"{f} {n:,}" for f, n in counts.items()))
        return lines


def unexpected_files(data_dir: Path, expected: list[str]) -> list[str]:
    """Files in the folder that the contract does not name (e.g. ``events/payments_old.parquet``).

    They are reported by name (a warning in ``cms-stats validate`` and the release's validation
    summary), never read and never refused: a harmless extra must not stop a release. Hidden
    files (a name starting with ``.``) are not reported.
    """
    known = set(expected) | {"extract.json", "README.md"}
    out = []
    for p in sorted(Path(data_dir).rglob("*")):
        rel = p.relative_to(data_dir).as_posix()
        if p.is_file() and rel not in known and not any(part.startswith(".") for part in rel.split("/")):
            out.append(rel)
    return out


def validate(data_dir: str | Path, *, known_at: dt.date | None = None) -> ValidationReport:
    """Read and check every file of an extract folder once.

    Parameters
    ----------
    data_dir : the extract folder.
    known_at : count the folder as known at the end of this day (see
        :func:`~cms_stats.extracts.open_extracts`); every row is checked whatever its date.

    Returns
    -------
    ValidationReport
        Rows in / used / quarantined by file and the quarantine table.

    Raises
    ------
    ExtractError
        The first fatal fault found (one line: file, column, row).
    """
    started = time.perf_counter()
    folder = ExtractFolder(data_dir, known_at=known_at)
    wanted = _payment_case_ids(folder)  # None if unreadable: the payments check will say why
    known = unique_strings([])  # the payments' case_ids met in a snapshot so far, each once
    for m in folder.months:
        table = folder._load("snapshot", m)
        if wanted is not None:  # keep only what the payments rule needs: small, flat in months
            case_ids = table.column("case_id")
            known = unique_strings([known, *case_ids.filter(pc.is_in(case_ids, value_set=wanted)).chunks])
        if m in folder.sample_months:
            folder._set_population(m, table)
        del table
        pa.default_memory_pool().release_unused()  # else the allocator keeps each month's pages
    if wanted is not None:
        folder._case_ids = known
    for key in (*EVENT_FILES, *OPTIONAL_FILES):
        if CONTRACT[key].path not in folder.absent_files:
            streamed.check_event(folder, key)  # in batches: its rows are not kept
            pa.default_memory_pool().release_unused()
    for m in folder.sample_months:
        folder._load("children_sample", m)
    for key in MI_FEEDS:
        folder._load(key)
    files = folder.files()
    return ValidationReport(
        data_dir=folder.path,
        metadata=folder.metadata,
        files=files,
        rows_in={f: folder._rows_in[f] for f in files},
        rows_used={f: folder.rows_used[f] for f in files},
        rows_quarantined={f: folder.rows_quarantined[f] for f in files},
        quarantine=folder.quarantine,
        seconds=time.perf_counter() - started,
        months=folder.months,
        sample_months=folder.sample_months,
        unexpected=unexpected_files(folder.path, files),
        absent_files=folder.absent_files,
        absent_columns=folder.absent_columns,
        rows_not_yet_known={f: folder.rows_not_yet_known[f] for f in files},
        rows_superseded={f: folder.rows_superseded[f] for f in files},
        vintage=folder.vintage,
    )
