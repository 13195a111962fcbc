"""Benchmark of the measures stage against a plain DuckDB computation of every table.

Run: ``.venv/bin/python -m cms_stats.measures.bench [DATA_DIR] [PERIOD] [--engine E]``.

Two processes, one after the other, each with its own peak memory: the validation and
measures stages as a release runs them (the validation stage timed on its own, then
:func:`cms_stats.measures.compute_all`, every table and month, over the checked files) and
the reference (``benchmarks/bench_duckdb.py``: plain DuckDB SQL of every table over the same
Parquet files). Prints their wall time, CPU time and peak resident memory, the ratio (issue
17: at most 1.5), and whether the two agree on every figure the reference computes (counts
exactly, money to the penny, shares to 1e-9). ``--stage measures`` runs the first alone;
``--by-family`` runs the registry's families one after another in one process (after the folder
is opened and, on a row of their own, the loader's checks) and prints each one's CPU seconds
and peak resident memory above the process (sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cms_stats.extracts import open_extracts, validate
from cms_stats.measures import compute_all
from cms_stats.measures.compute import compute_function
from cms_stats.measures.context import Context
from cms_stats.measures.engine import duckdb_memory_limit
from cms_stats.paths import DEFAULT_DATA_DIR, PROJECT_ROOT
from cms_stats.registry import load_registry

#: The reference computation (plain DuckDB SQL), run as a script of the project.
REFERENCE = PROJECT_ROOT / "benchmarks" / "bench_duckdb.py"
KEY = ["table", "period", "measure", "breakdown"]


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _TimedFolder:
    """Wraps an extract folder and adds up the time spent in its methods (loading and
    validation), so the measures' own time can be told apart."""

    def __init__(self, folder) -> None:
        self._folder = folder
        self.load_seconds = 0.0

    def __getattr__(self, name):
        start = time.perf_counter()
        attr = getattr(self._folder, name)
        self.load_seconds += time.perf_counter() - start
        if not callable(attr):
            return attr

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.load_seconds += time.perf_counter() - start

        return timed


def run(data_dir=None, period: str | None = None, engine: str | None = None,
        out: str | None = None, quiet: bool = False, validated: bool = False) -> dict:
    """Time :func:`compute_all` on an extract folder and print the figures (not a test).

    Opens the folder (default: the synthetic data), computes every measure for every month up
    to ``period`` (default: the last month) on ``engine`` and prints wall time, rows out and
    the process's peak resident memory (``quiet``: one line of JSON). ``out``: the measures are
    written there (Parquet). Returns the figures.

    ``validated``: as a release runs them, the validation stage first (every file read and
    checked once: :func:`cms_stats.extracts.validate`, timed on its own, ``validation_s`` and
    ``validation_cpu_s``), then the measures over the checked files with its quarantine;
    otherwise the measures alone, making the loader's checks themselves (``of_which_loading_s``).
    """
    data_dir = DEFAULT_DATA_DIR if data_dir is None else data_dir
    rss_before = _peak_rss_mb()
    stages = {}
    quarantine = None
    if validated:
        cpu_start, start = time.process_time(), time.perf_counter()
        quarantine = validate(data_dir).quarantine
        stages = {"validation_s": round(time.perf_counter() - start, 2),
                  "validation_cpu_s": round(time.process_time() - cpu_start, 2)}
    cpu_start = time.process_time()
    start = time.perf_counter()
    folder = _TimedFolder(open_extracts(data_dir))
    opened = time.perf_counter() - start
    period = period or folder.months[-1]
    table = compute_all(folder, period, engine=engine, quarantine=quarantine)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    figures = {
        "data_dir": str(data_dir),
        "period": period,
        "months": len([m for m in folder.months if m <= period]),
        "rows_out": len(table),
        **stages,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "of_which_loading_s": round(opened + folder.load_seconds, 2),
        "of_which_measures_s": round(seconds - opened - folder.load_seconds, 2),
        "peak_rss_mb_before": round(rss_before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    if out:
        table.to_parquet(out, index=False)
    if quiet:
        print(json.dumps(figures))
        return figures
    print("compute_all benchmark (loading + validation + every measure, every month;")
    print("  seconds = wall clock, cpu_seconds = this process's CPU time: on a shared machine")
    print("  the wall clock includes time waiting for a core)")
    for key, value in figures.items():
        print(f"  {key:>20}: {value}")
    return figures


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def by_family(data_dir=None, period: str | None = None, engine: str | None = None,
              only: list[str] | None = None) -> list[dict]:
    """Each family of the registry run in turn in one process (as :func:`compute_all` runs
    them): its CPU seconds, wall seconds and peak resident memory above the process's resident
    memory when it starts (sampled every 20 ms). The loader's checks of the snapshots and
    event files come first, on a row of their own; families that share a held result (T5/T6
    and T21's compliance; the applications with the duplicate rule) pay for it in the first.
    ``only``: those families alone (registry names, ``compliance.t5_t6``).
    Prints one line a family; returns the figures."""
    folder = open_extracts(DEFAULT_DATA_DIR if data_dir is None else data_dir)
    period = period or folder.months[-1]
    ctx = Context(folder, period, engine=engine)
    state = {"peak": _rss_mb(), "stop": False}

    def sample() -> None:
        while not state["stop"]:
            state["peak"] = max(state["peak"], _rss_mb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    figures = []
    print(f"measures by family: {data_dir}, period {period}, {len(ctx.months)} months, engine "
          f"{ctx.engine_name}, DuckDB memory limit "
          f"{duckdb_memory_limit()}")
    print(f"  {'family':<28} {'cpu s':>7} {'wall s':>7} {'peak MB above':>14} {'rss MB':>7}")
    specs = load_registry().compute_functions()
    unknown = sorted(set(only or ()) - {s.name for s in specs})
    if unknown:
        raise SystemExit(f"--only: no family {', '.join(unknown)} in the registry")
    # the loader's checks (and the engine's start) first, on a row of their own (else the
    # first family to read a file pays for its check): what the plain-SQL reference does not do
    base, cpu, wall = _rss_mb(), _cpu_seconds(), time.perf_counter()
    state["peak"] = base
    ctx.engine_snapshots
    for name in ("applications", "payments", "service_requests", "reconsiderations",
                 "closures", "enforcement_actions"):
        ctx.engine_events(name)
    rows = [("(loader's checks)", None)] + [(s.name, s) for s in specs if not only or s.name in only]
    for name, spec in rows:
        if spec is not None:
            base = _rss_mb()
            state["peak"] = base
            cpu, wall = _cpu_seconds(), time.perf_counter()
            compute_function(spec)(ctx)
        row = {"family": name, "cpu_s": round(_cpu_seconds() - cpu, 2),
               "wall_s": round(time.perf_counter() - wall, 2),
               "peak_above_mb": round(max(state["peak"], _rss_mb()) - base),
               "rss_mb": round(_rss_mb())}
        figures.append(row)
        print(f"  {row['family']:<28} {row['cpu_s']:>7.2f} {row['wall_s']:>7.2f} "
              f"{row['peak_above_mb']:>14} {row['rss_mb']:>7}", flush=True)
    state["stop"] = True
    print(f"  process peak {_peak_rss_mb():.0f} MB, load average {os.getloadavg()[0]:.1f}")
    return figures


def _child(argv: list[str]) -> dict:
    """Run one stage in its own process: its JSON line, wall time and peak memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.stderr.write(stderr)
        raise SystemExit(f"stage failed: {' '.join(argv)}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["wall_s"] = round(time.perf_counter() - started, 2)
    return figures


def agreement(measures: pd.DataFrame, reference: pd.DataFrame) -> tuple[int, list[str]]:
    """Figures the reference computes, compared with the measures: (compared, differences).

    Counts exactly, money to the penny whatever its size (no relative tolerance), shares to a
    relative 1e-9; a figure the measures do not have differs even when the reference's is null.
    """
    both = reference.merge(measures[KEY + ["value"]], on=KEY, how="left",
                           suffixes=("_reference", "_measures"), indicator=True)
    got, want = both["value_measures"].to_numpy(), both["value_reference"].to_numpy()
    money = (both["unit"] == "gbp").to_numpy()
    same = np.where(both["unit"] == "count", got == want,
                    np.isclose(got, want, rtol=np.where(money, 0.0, 1e-9), equal_nan=True,
                               atol=np.where(money, 0.005, 0.0)))
    same &= (both["_merge"] == "both").to_numpy()
    both = both.drop(columns="_merge")
    return len(both), [" ".join(map(str, r)) for r in both.loc[~same].head(10).itertuples(index=False)]


def compare(data_dir, period: str | None = None, engine: str | None = None) -> dict:
    """The measures stage beside the reference: times, peak memories, ratio, agreement."""
    data_dir = Path(data_dir or DEFAULT_DATA_DIR)
    with tempfile.TemporaryDirectory(prefix="cms-bench-") as tmp:
        frames = Path(tmp) / "measures.parquet", Path(tmp) / "reference.parquet"
        stage = [sys.executable, "-m", "cms_stats.measures.bench", "--stage", "measures",
                 "--validated", str(data_dir), *([period] if period else []), "--out", str(frames[0])]
        measures = _child(stage + (["--engine", engine] if engine else []))
        reference = _child([sys.executable, str(REFERENCE), str(data_dir),
                            *([period] if period else []), "--out", str(frames[1])])
        compared, differences = agreement(pd.read_parquet(frames[0]), pd.read_parquet(frames[1]))
    load = os.getloadavg()[0]
    ratio = measures["seconds"] / reference["seconds"] if reference["seconds"] else float("nan")
    print(f"measures benchmark: {data_dir}, period {measures['period']}, "
          f"{measures['months']} months, engine {engine or 'default'}; load average {load:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"  {'stage':<44} {'seconds':>8} {'cpu s':>7} {'peak MB':>8}")
    print(f"  {'validation stage (every file checked)':<44} {measures['validation_s']:>8.2f} "
          f"{measures['validation_cpu_s']:>7.2f}")
    print(f"  {'measures stage (peak: both stages)':<44} {measures['seconds']:>8.2f} "
          f"{measures['cpu_seconds']:>7.2f} {measures['peak_rss_mb']:>8.0f}")
    print(f"  {'DuckDB reference (every table)':<44} {reference['seconds']:>8.2f} "
          f"{reference['cpu_seconds']:>7.2f} {reference['peak_rss_mb']:>8.0f}")
    cpu_ratio = measures["cpu_seconds"] / max(reference["cpu_seconds"], 1e-9)
    print(f"  ratio measures stage / reference: {ratio:.2f}x wall clock, {cpu_ratio:.2f}x CPU "
          f"(issue 17's aim: at most 1.5x; the validation stage before it, as in a release)")
    print(f"  figures compared with the reference: {compared}, "
          + ("all equal" if not differences else f"{len(differences)}+ differ: {differences}"))
    return {"measures": measures, "reference": reference, "ratio": ratio,
            "compared": compared, "differences": differences}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=None)
    parser.add_argument("period", nargs="?", default=None)
    parser.add_argument("--engine", default=None, help="duckdb (default) or spark")
    parser.add_argument("--stage", choices=["measures"], default=None,
                        help="run the measures stage alone (prints one line of JSON)")
    parser.add_argument("--out", default=None, help="with --stage: write the measures here")
    parser.add_argument("--validated", action="store_true",
                        help="with --stage: the validation stage first, timed on its own, as in a release")
    parser.add_argument("--by-family", action="store_true",
                        help="each family's CPU and peak memory, in turn in one process")
    parser.add_argument("--only", default=None,
                        help="with --by-family: these families alone (comma-separated)")
    args = parser.parse_args(argv)
    if args.by_family:
        by_family(args.data_dir, args.period, args.engine,
                  only=args.only.split(",") if args.only else None)
        return 0
    if args.stage:
        run(args.data_dir, args.period, args.engine, out=args.out, quiet=True,
            validated=args.validated)
        return 0
    result = compare(args.data_dir, args.period, args.engine)
    return 1 if result["differences"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
