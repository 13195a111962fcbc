"""The engine that runs the measures written as Ibis expressions: DuckDB or Spark.

A measure family migrated to the engine states its definition once, as an Ibis expression over
the tables this module hands it (the monthly snapshots, scanned from the extract's Parquet
files; a validated event frame). The same expression runs on DuckDB embedded (the default: in
this process, no server) or on Apache Spark (PySpark; local mode or a cluster), chosen by one
setting: ``--engine duckdb|spark`` on the command line, ``CMS_STATS_ENGINE`` in the
environment. ``CMS_STATS_SPARK_MASTER`` names the Spark master (default ``local[2]``);
``CMS_STATS_DUCKDB_THREADS`` DuckDB's threads (default :func:`duckdb_threads`);
``CMS_STATS_DUCKDB_MEMORY`` DuckDB's memory limit (default :data:`DEFAULT_DUCKDB_MEMORY`,
:func:`duckdb_memory_limit`): beyond it DuckDB spills its joins and aggregations to a temporary
folder of its own, removed when the engine closes; ``CMS_STATS_MONTHS_AT_ONCE`` the months a
DuckDB query of the families that hold a row a month and case group takes at once (default
:data:`DEFAULT_MONTHS_AT_ONCE`, :func:`months_at_once`).

The loader still checks every file first (``cms_stats.extracts``): the engine scans Parquet
files that have already passed the contract, so bad input stops with the loader's one line
whichever engine runs.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cms_stats.files import pid_alive
from cms_stats.measures.spark_jvm import spark_java_options
from cms_stats.months import quarter_months

if TYPE_CHECKING:
    import ibis

    from cms_stats.extracts.scan import EventScan

__all__ = ["ENGINES", "DEFAULT_ENGINE", "EngineError", "Engine", "engine_name", "duckdb_threads",
           "DEFAULT_DUCKDB_MEMORY", "duckdb_memory_limit", "DEFAULT_MONTHS_AT_ONCE",
           "months_at_once",
           "month_number", "month_integer", "as_at",
           "left_join", "count_where", "ratio", "pence"]

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
#: The Spark master when ``CMS_STATS_SPARK_MASTER`` is not set: local mode on two cores.
DEFAULT_SPARK_MASTER = "local[2]"
#: DuckDB's memory limit when ``CMS_STATS_DUCKDB_MEMORY`` is not set: beyond it DuckDB spills,
#: so the measures' memory does not grow with the months (every family ran under it at 1.0 x
#: 120 once the quarters and T8's months were worked a block at a time: DESIGN.md).
DEFAULT_DUCKDB_MEMORY: str | None = "1GB"
#: The months one DuckDB query of a family holding a row a month and case group takes (T4,
#: T5/T6, T21's compliance, T8, T20) when ``CMS_STATS_MONTHS_AT_ONCE`` is not set: what it holds
#: is those months', whatever the months of the folder (DESIGN.md, "a block of months at a time").
DEFAULT_MONTHS_AT_ONCE = 12
_MEMORY = re.compile(r"[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", re.IGNORECASE)


class EngineError(ValueError):
    """An unknown engine, or one that cannot start."""


def engine_name(name: str | None = None) -> str:
    """The engine to use: ``name``, else ``CMS_STATS_ENGINE``, else DuckDB; checked."""
    name = name or os.environ.get("CMS_STATS_ENGINE") or DEFAULT_ENGINE
    if name not in ENGINES:
        raise EngineError(f"unknown measures engine {name!r}: one of {', '.join(ENGINES)}")
    return name


def _spark_session():
    # deferred: PySpark (and its JVM) only when the Spark engine is asked for
    from pyspark.sql import SparkSession

    master = os.environ.get("CMS_STATS_SPARK_MASTER") or DEFAULT_SPARK_MASTER
    return (SparkSession.builder.master(master).appName("cms-stats")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.extraJavaOptions", spark_java_options())
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


def duckdb_threads() -> int:
    """DuckDB's threads: ``CMS_STATS_DUCKDB_THREADS``, else half the machine's cores (at least
    one).

    The measures share the machine with the release's other processes (the chapters' kernels;
    in a series the next edition's measures run beside this edition's chapters), and DuckDB's
    aggregations cost more CPU and memory on more threads: on the shared 2-core machine, one
    thread measured the default data's measures stage at 37.6-41.5 s of CPU and 1.48-1.50 GB
    at the peak against 44.2-47.0 s and 1.86-1.95 GB on two (run in turn, the same moment).
    The figures do not depend on it (sums in whole pence, ties broken by value).
    """
    value = os.environ.get("CMS_STATS_DUCKDB_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise EngineError(f"CMS_STATS_DUCKDB_THREADS={value!r} is not a number of threads (1 or more)")
        return int(value)
    return max(1, (os.cpu_count() or 2) // 2)


def duckdb_memory_limit() -> str | None:
    """DuckDB's memory limit: ``CMS_STATS_DUCKDB_MEMORY`` (a size, e.g. ``1500MB``, ``4GB``,
    ``2GiB``), else :data:`DEFAULT_DUCKDB_MEMORY`.

    Beyond it DuckDB spills its joins and aggregations to disk, so the measures' peak memory
    does not grow with the months of the folder (DuckDB's buffers, not the Python process's
    own memory; the families aggregate fixed-width values so that every state can spill).
    """
    value = os.environ.get("CMS_STATS_DUCKDB_MEMORY", "").strip()
    if not value:
        return DEFAULT_DUCKDB_MEMORY
    if not _MEMORY.fullmatch(value):
        raise EngineError(f"CMS_STATS_DUCKDB_MEMORY={value!r} is not a size of memory "
                          "(a number and a unit: 1500MB, 4GB, 2GiB)")
    return value


def months_at_once(engine: str = DEFAULT_ENGINE) -> int | None:
    """The months a query of a family holding a row a month and case group takes at once
    (:meth:`Engine.month_blocks`, :meth:`Engine.quarter_blocks`): on DuckDB ``CMS_STATS_MONTHS_AT_ONCE``, else
    :data:`DEFAULT_MONTHS_AT_ONCE`; on Spark None, every month in one query (a cluster's memory
    is the cluster's, and each query is a job of its own).

    A quarter's case groups are a hash table of one row a month and group: all months at once,
    at 1.0 x 120 (1.65M cases by 2023), that was beyond a 1 GB memory limit even spilled.
    """
    if engine != "duckdb":
        return None
    value = os.environ.get("CMS_STATS_MONTHS_AT_ONCE", "").strip()
    if not value:
        return DEFAULT_MONTHS_AT_ONCE
    if not value.isdigit() or int(value) < 1:
        raise EngineError(f"CMS_STATS_MONTHS_AT_ONCE={value!r} is not a number of months (1 or more)")
    return int(value)


def _spill_folder() -> str:
    """A new folder for DuckDB's spilling, named with this process's id; the folders of
    processes no longer running are removed first (a process killed, e.g. for want of memory,
    never ran its engine's clean-up, and spilled files can be large)."""
    for old in Path(tempfile.gettempdir()).glob("cms-duckdb-*-*"):
        pid = old.name.split("-")[2]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"cms-duckdb-{os.getpid()}-")


class Engine:
    """One connection of an Ibis backend, and the tables the measures read through it.

    Parameters
    ----------
    name : str, optional
        ``duckdb`` or ``spark`` (default: :func:`engine_name`).
    """

    def __init__(self, name: str | None = None) -> None:
        self.name = engine_name(name)
        self._count = 0
        # deferred: Ibis and its backends only when measures are computed (the CLI and the
        # release import this module for the engine's name)
        import ibis

        self._ibis = ibis
        if self.name == "duckdb":
            # no progress bar on the release's output (DuckDB draws one for a long query)
            self.con = ibis.duckdb.connect()
            self.con.raw_sql("SET enable_progress_bar = false")
            self.con.raw_sql(f"SET threads = {duckdb_threads()}")
            # DuckDB spills its joins and aggregations beyond its memory limit, into a folder
            # of this engine's (removed with it); results are sorted where order matters, so
            # DuckDB need not keep the order of rows (which holds more in memory)
            limit = duckdb_memory_limit()
            self._spill = _spill_folder()
            weakref.finalize(self, shutil.rmtree, self._spill, ignore_errors=True)
            if limit:
                self.con.raw_sql(f"SET memory_limit = '{limit}'")
            self.con.raw_sql(f"SET temp_directory = '{self._spill}'")
            self.con.raw_sql("SET preserve_insertion_order = false")
        else:
            try:
                self._session = _spark_session()
            except Exception as err:  # no Java, no PySpark, an unreachable master: one line
                first = (str(err).strip().splitlines() or [type(err).__name__])[0]
                raise EngineError(f"the Spark engine could not start: {first}") from None
            self._session.sparkContext.setLogLevel("ERROR")
            self.con = ibis.pyspark.connect(self._session)

    def _name(self, what: str) -> str:
        self._count += 1
        return f"cms_{what}_{self._count}"

    def snapshots(self, files: list[Path], months: list[str],
                  columns: dict[str, str]) -> ibis.Table:
        """The snapshot files of ``months`` scanned as one table of ``columns`` (name -> type;
        read only for those), plus ``month`` (:func:`month_integer` of ``snapshot_month``).

        An optional column absent from some files is null in their rows; absent from every
        file, it is a null column of its type (as the loader reads it).
        """
        files = [str(f) for f in files]
        present = set().union(*(pq.read_schema(f).names for f in files))
        read = [c for c in dict.fromkeys(["snapshot_month", *columns]) if c in present]
        if self.name == "duckdb":
            table = self.con.read_parquet(files, union_by_name=True).select(*read)
        else:
            name = self._name("snapshots")
            (self._session.read.option("mergeSchema", "true").parquet(*files).select(*read)
             .createOrReplaceTempView(name))
            table = self.con.table(name)
        absent = {c: self._ibis.null(t) for c, t in columns.items() if c not in present}
        return self._with_month(table.mutate(**absent) if absent else table, months)

    def _with_month(self, snapshots: ibis.Table, months: list[str]) -> ibis.Table:
        """Snapshots with ``month`` (:func:`month_integer` of ``snapshot_month``), found by a
        join with the few months rather than by string arithmetic on every row."""
        lookup = self.frame(pd.DataFrame({"snapshot_month": months,
                                          "month": [month_integer(m) for m in months]}))
        return snapshots.join(lookup, "snapshot_month")

    def frame(self, frame: pd.DataFrame) -> ibis.Table:
        """A validated frame of the loader as a table of the engine (dates as dates, codes and
        identifiers as strings)."""
        return self.arrow(pa.Table.from_pandas(frame, preserve_index=False))

    def arrow(self, table: pa.Table) -> ibis.Table:
        """A validated Arrow table of the loader as a table of the engine: dates as dates,
        identifiers as strings; codes stay dictionary-encoded on DuckDB (it scans the Arrow
        memory in place: a one-value code column of 45M rows is 180 MB, not 600), plain
        strings on Spark."""
        fields = []
        for field in table.schema:
            if pa.types.is_timestamp(field.type):
                fields.append(pa.field(field.name, pa.date32()))
            elif (pa.types.is_large_string(field.type) or pa.types.is_string_view(field.type)
                  or (pa.types.is_dictionary(field.type) and self.name != "duckdb")):
                fields.append(pa.field(field.name, pa.string()))
            else:
                fields.append(field)
        schema = pa.schema(fields)
        if schema != table.schema:
            table = table.cast(schema)
        if self.name != "duckdb":
            table = table.combine_chunks()
        return self._ibis.memtable(table)

    def scan(self, scan: EventScan) -> ibis.Table:
        """An event file scanned by the engine itself (DuckDB), the rows and values the loader
        gives (:class:`cms_stats.extracts.scan.EventScan`): streamed from the file, not held in
        memory. The quarantined rows are found by their position in the file
        (``file_row_number``)."""
        ibis = self._ibis
        if self.name != "duckdb":
            raise EngineError("only DuckDB scans an event file itself; hand Spark the table")
        table = self.con.read_parquet(str(scan.path), file_row_number=True)
        if scan.taken.size:
            taken = ibis.memtable(pa.table({"file_row_number": pa.array(scan.taken, pa.int64())}))
            table = table.anti_join(taken, "file_row_number")
        if scan.recorded_by is not None:
            table = table.filter(table.recorded_date <= _date(scan.recorded_by))
        columns = {}
        for name, kind in scan.columns.items():
            kind = ibis.dtype(kind)
            columns[name] = ibis.null(kind) if name in scan.absent else table[name].cast(kind)
        if scan.cleared is not None:
            column, dependents, known_at = scan.cleared
            # the column as built: a null literal when the file leaves it out (nothing to unmake)
            late = (columns[column] > _date(known_at)).fill_null(False)
            for name in (column, *dependents):
                columns[name] = ibis.ifelse(late, ibis.null(columns[name].type()), columns[name])
        return table.select(**columns)

    def snapshot_frames(self, frames: list[pd.DataFrame], months: list[str],
                        columns: dict[str, str]) -> ibis.Table:
        """Snapshots handed over as frames (a folder that is not on disk: a hand-made
        fixture), as :meth:`snapshots` gives them."""
        frame = pd.concat(frames, ignore_index=True)
        table = self.frame(frame[[c for c in ["snapshot_month", *columns] if c in frame]])
        absent = {c: self._ibis.null(t) for c, t in columns.items() if c not in frame}
        return self._with_month(table.mutate(**absent) if absent else table, months)

    def months(self, months: list[str]) -> ibis.Table:
        """A one-column table (``month``: :func:`month_number`) of ``months``, in order: the
        frame every monthly figure is reported on, months without rows included."""
        return self.frame(pd.DataFrame({"month": [month_integer(m) for m in months]}))

    def quarters(self, months: list[str], of: list[str] | None = None) -> ibis.Table:
        """The quarter to each of ``months`` (:func:`month_number`), or to each of ``of`` (some
        of ``months``): one row for each month (``month``) and each calendar month of its
        quarter (``in_month``), from the quarter's first month with a snapshot
        (:func:`cms_stats.months.quarter_months`: at the start of a folder the quarter is
        shorter) to the month.

        A snapshot row of month k or an event dated in month k joins on ``in_month`` to every
        quarter it counts in, so measures of the quarter to m are one expression for all m."""
        pairs = []
        for m in months if of is None else of:
            first = month_integer(quarter_months(m, months)[0])
            pairs += [(month_integer(m), k) for k in range(first, month_integer(m) + 1)]
        return self.frame(pd.DataFrame(pairs, columns=["month", "in_month"], dtype="int64"))

    def _blocks(self, months: list[str]) -> list[list[str]]:
        """``months`` cut into runs of :func:`months_at_once` (one run on Spark)."""
        size = months_at_once(self.name) or len(months)
        return [months[start:start + size] for start in range(0, len(months), size)]

    def month_blocks(self, months: list[str]) -> list[tuple[int, int, ibis.Table]]:
        """``months`` a block of :func:`months_at_once` at a time (one block on Spark): for each
        block its first and last month (:func:`month_number`) and its months
        (:meth:`months`)."""
        return [(month_integer(block[0]), month_integer(block[-1]), self.months(block))
                for block in self._blocks(months)]

    def quarter_blocks(self, months: list[str]) -> list[tuple[int, int, ibis.Table, ibis.Table]]:
        """The quarters to ``months`` (:meth:`quarters`) a block of :func:`months_at_once`
        months at a time: for each block the earliest and the last month its quarters reach
        (:func:`month_number`), its rows of :meth:`quarters` and its months (:meth:`months`)."""
        return [(month_integer(quarter_months(block[0], months)[0]), month_integer(block[-1]),
                 self.quarters(months, block), self.months(block))
                for block in self._blocks(months)]

    def hold(self, *exprs: ibis.Table) -> ibis.Table:
        """Run each of ``exprs`` (of the same columns) once and hold their rows together as a
        table of the engine, for several expressions to read (small results: they are
        brought into this process)."""
        return self._ibis.memtable(pa.concat_tables([self.con.to_pyarrow(e) for e in exprs]))

    def execute(self, expr: ibis.Table, months: list[str]) -> pd.DataFrame:
        """Run ``expr`` (with a ``month`` column) and return it as pandas, ``month`` back as
        ``YYYY-MM`` and rows in month order."""
        frame = self.con.to_pyarrow(expr).to_pandas()
        names = {month_integer(m): m for m in months}
        frame["month"] = frame["month"].map(names)
        return frame.sort_values("month", kind="stable").reset_index(drop=True)


def month_integer(month: str) -> int:
    """:func:`month_number` of a ``YYYY-MM`` string, in Python."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_number(value: ibis.Value) -> ibis.Value:
    """Months as consecutive integers (year * 12 + month - 1), from a ``YYYY-MM`` string or a
    date, so the month before is ``month - 1`` on every engine."""
    if value.type().is_string():
        return value.substr(0, 4).cast("int64") * 12 + value.substr(5, 2).cast("int64") - 1
    return value.year().cast("int64") * 12 + value.month().cast("int64") - 1


def as_at(events: ibis.Table, date_column: str, as_at_date, cleared_columns=(),
          cleared_dependent=()) -> ibis.Table:
    """What was known at ``as_at_date`` (a date): events whose ``date_column`` is after it
    dropped; a date in ``cleared_columns`` after it becomes null (not yet cleared), and so do
    the ``cleared_dependent`` columns of those rows (the outcome of a reconsideration not yet
    cleared). The engine's form of :func:`cms_stats.measures.common.as_at`."""
    import ibis  # deferred: Ibis only when measures are computed (as in Engine)

    day = _date(as_at_date)
    known = events.filter(events[date_column] <= day)
    changes = {}
    for column in cleared_columns:
        late = known[column] > day
        changes[column] = ibis.ifelse(late.fill_null(False), ibis.null(known[column].type()),
                                      known[column])
        for dependent in cleared_dependent:
            changes[dependent] = ibis.ifelse(late.fill_null(False),
                                             ibis.null(known[dependent].type()), known[dependent])
    return known.mutate(**changes) if changes else known


def _date(day) -> ibis.Value:
    import ibis  # deferred: Ibis only when measures are computed (as in Engine)

    return ibis.date(day.year, day.month, day.day)


def count_where(condition: ibis.BooleanValue) -> ibis.IntegerScalar:
    """Rows where ``condition`` holds (a null condition does not count)."""
    return condition.fill_null(False).cast("int64").sum()


def pence(money: ibis.NumericValue) -> ibis.IntegerValue:
    """An amount of money (GBP, whole pence by the contract) as an integer number of pence: sums
    of it are exact, so every engine gives the same total whatever order it adds in."""
    return (money * 100).round().cast("int64")


def ratio(numerator: ibis.NumericValue, denominator: ibis.NumericValue) -> ibis.FloatingValue:
    """``numerator / denominator`` (a count) as a float; null when the denominator is 0 (a
    share of nothing), never a division error (Spark's ANSI mode raises on 0)."""
    return numerator.cast("float64") / denominator.nullif(0).cast("float64")


def left_join(left: ibis.Table, right: ibis.Table, keys: list[str]) -> ibis.Table:
    """``left`` with ``right``'s other columns joined on ``keys`` (null where no match), the
    key columns once."""
    joined = left.left_join(right, keys)
    return joined.drop(*[f"{k}_right" for k in keys])
