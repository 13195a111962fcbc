"""Where the Spark comparison on the small folder spends its time (issue 17: under a minute).

Makes the folder of ``test_spark_local_gives_what_duckdb_gives_on_a_small_folder`` (the
synthetic data at seed 7, scale 0.02, with the optional columns left out of 2013's snapshots)
and runs the engine's families on it one after another, as the test does, on one engine. Prints
per family the wall seconds, this process's CPU seconds and, on Spark, the CPU seconds of the
JVM (the processes this one started: local mode runs every task in the JVM), then the JVM's
CPU by its threads' names (planning runs on the Py4J threads ``Thread-N``, jobs on
``serve-Arrow``, tasks on ``Executor task launch``, the JIT on ``C1 CompilerThread``), and the
load average.

    python benchmarks/bench_spark_small.py [--engine spark|duckdb] [--conf KEY=VALUE ...]

``--conf`` sets Spark SQL settings on the engine's session once it has started (over the
engine's own, ``engine._spark_session``), to try them.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from cms_stats.extracts import open_extracts
from cms_stats.measures import (arrears, caseload, children, clearances, compliance, enforcement,
                                fees, geography, intake, quality, service)
from cms_stats.measures import engine as engine_module
from cms_stats.measures.context import Context
from cms_stats.synthetic import generate

#: The test's families, in its order (``tests/test_measures_engine.py``, ``family_on``).
FAMILIES = [
    ("T2", caseload.t2), ("DQ closures", caseload.closures), ("T19", enforcement.t19),
    ("T7", compliance.t7), ("T15", compliance.transfers), ("T18", children.shared_care),
    ("T8", arrears.t8), ("T20", arrears.legacy_csa_arrears), ("T5/T6", compliance.t5_t6),
    ("T4", children.t4), ("T21 compliance", geography.t21_compliance),
    ("DQ roll-forward", quality.roll_forward), ("T21 monthly", geography.t21),
    ("T22", geography.t22), ("T9", service.t9), ("T10", service.t10), ("T11", service.t11),
    ("T12", service.t12), ("T13", service.t13), ("T14", service.t14), ("T1", intake.t1),
    ("DQ duplicates", quality.duplicates), ("DQ fee status", quality.fee_status),
    ("T3", fees.t3), ("T16", clearances.t16)]
OPTIONAL = ["in_enforcement", "shared_care_nights", "csa_arrears", "constituency_code"]
_TICK = os.sysconf("SC_CLK_TCK")


def small_folder(root: Path) -> Path:
    """The test's folder: seed 7, scale 0.02, the optional columns out of 2013's snapshots."""
    generate(root, seed=7, scale=0.02)
    for path in sorted((root / "snapshots").glob("cases_2013-*.parquet")):
        pq.write_table(pq.read_table(path).drop_columns(OPTIONAL), path)
    return root


def _stat(path: str) -> tuple[str, list[str]] | None:
    """A ``/proc`` stat file: the command's name and the fields after it (None: gone)."""
    try:
        with open(path) as f:
            head, tail = f.read().rsplit(")", 1)
    except OSError:
        return None
    return head.split("(", 1)[1], tail.split()


def _processes() -> dict[int, tuple[int, float, str]]:
    """Every process: its parent, its CPU seconds and its command's name."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = _stat(f"/proc/{pid}/stat")
        if stat is None:
            continue
        name, fields = stat
        out[int(pid)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK, name)
    return out


def _descendants() -> list[int]:
    procs, me = _processes(), os.getpid()
    found = []
    for pid in procs:
        parent = pid
        while parent in procs and parent not in (me, 0, 1):
            parent = procs[parent][0]
        if parent == me and pid != me:
            found.append(pid)
    return found


def children_cpu() -> float:
    """CPU seconds of the processes this one started and that still run (the JVM)."""
    procs = _processes()
    return sum(procs[pid][1] for pid in _descendants() if pid in procs)


def jvm_threads() -> collections.Counter:
    """CPU seconds of the started processes' threads, by name (digits as N)."""
    names: collections.Counter = collections.Counter()
    for pid in _descendants():
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            stat = _stat(f"/proc/{pid}/task/{task}/stat")
            if stat is not None:
                name, fields = stat
                names[re.sub(r"\d+", "N", name)] += (int(fields[11]) + int(fields[12])) / _TICK
    return names


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="spark", choices=engine_module.ENGINES)
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting added to the engine's own (repeatable)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="cms-spark-small-"))
    try:
        ctx = Context(open_extracts(small_folder(root / "extracts")), "2016-08",
                      engine=args.engine)
        print(f"engine {args.engine}, extra settings {args.conf or 'none'}")
        print(f"  {'family':<18} {'wall s':>7} {'cpu s':>7} {'JVM cpu s':>9}")
        start, cpu0, jvm0 = time.perf_counter(), own_cpu(), children_cpu()
        wall = time.perf_counter()
        ctx.engine  # noqa: B018 - the engine's start (Spark: the JVM) apart from the first family
        rows = [("engine start", time.perf_counter() - wall, own_cpu() - cpu0,
                 children_cpu() - jvm0)]
        for key, value in (c.split("=", 1) for c in args.conf):
            # a session's SQL settings, set after its start (the builder's would lose to the
            # engine's own for the keys it sets)
            ctx.engine._session.conf.set(key, value)
        for name, family in FAMILIES:
            wall, cpu, jvm = time.perf_counter(), own_cpu(), children_cpu()
            family(ctx)
            rows.append((name, time.perf_counter() - wall, own_cpu() - cpu, children_cpu() - jvm))
        for name, wall, cpu, jvm in rows:
            print(f"  {name:<18} {wall:>7.2f} {cpu:>7.2f} {jvm:>9.2f}")
        print(f"  {'all':<18} {time.perf_counter() - start:>7.2f} {own_cpu() - cpu0:>7.2f} "
              f"{children_cpu() - jvm0:>9.2f}")
        threads = jvm_threads()
        if threads:
            print("  JVM CPU by thread: " + ", ".join(
                f"{name} {secs:.1f}" for name, secs in threads.most_common(8)))
        print(f"  load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
