"""The measures stage beside the plain-DuckDB reference of every table (issue 17, aim 3).

Runs, one after the other, two processes (each with its own peak memory): the validation and
measures stages as a release runs them, in one process (``python -m cms_stats.measures.bench
--stage measures --validated``: the validation stage reads and checks every file once, then
the measures stage computes every table, every month, over the checked files) and the
reference (``benchmarks/bench_duckdb.py``: plain DuckDB SQL of the same tables over the same
files, the same thread count, no check of any file). Prints their wall and CPU times, peak
memories, the reference's time by family of tables, the ratio measures / reference (the aim:
at most 1.5) and the ratio of validation and measures together / reference, and how many
figures were compared and equal (counts exactly, money to the penny, shares and means to
1e-9) and how many two-largest contributions (the dominance rule's ``top1``, ``top2``, to the
penny). Exits 1 on any difference. ``make bench`` runs it.

    python benchmarks/compare_duckdb.py DATA_DIR [PERIOD]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cms_stats.measures.bench import KEY, agreement

REFERENCE = Path(__file__).resolve().with_name("bench_duckdb.py")


def contributions(measures: pd.DataFrame, reference: pd.DataFrame) -> tuple[int, list[str]]:
    """The two largest contributions compared to the penny.

    Parameters
    ----------
    measures, reference : pandas.DataFrame
        Tidy frames with ``top1`` and ``top2`` (``compute_all``'s, :func:`bench_duckdb.reference`'s).

    Returns
    -------
    tuple of (int, list of str)
        How many figures of the reference either frame reports contributions for, and the
        first ten that differ (one line each).
    """
    tops = ["top1", "top2"]
    reported = measures.loc[measures["top1"].notna(), KEY + tops].merge(reference[KEY], on=KEY)
    both = (reference.loc[reference["top1"].notna(), KEY + tops]
            .merge(reported, on=KEY, how="outer",
                   suffixes=("_reference", "_measures")))
    same = np.logical_and.reduce([np.isclose(both[f"{t}_measures"], both[f"{t}_reference"], rtol=0,
                                             atol=0.005) for t in tops])
    return len(both), [" ".join(map(str, r)) for r in both.loc[~same].head(10).itertuples(index=False)]


def _stage(argv: list[str]) -> dict:
    """One stage in its own process: the JSON line it prints last, with its wall time."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"stage failed: {' '.join(argv)}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]),
            "wall_s": round(time.perf_counter() - started, 2)}


def compare(data_dir: Path, period: str | None = None) -> dict:
    """Time both stages on ``data_dir`` to ``period``, compare their figures, print it all.

    Parameters
    ----------
    data_dir : Path
        The extract folder.
    period : str, optional
        The period ``YYYY-MM``; default the folder's last month.

    Returns
    -------
    dict
        Both processes' figures (``measures``: the validation and measures stages;
        ``reference``), the ratios of the measures stage (``ratio`` wall clock, ``cpu_ratio``)
        and of both stages (``with_validation_ratio``, ``with_validation_cpu_ratio``),
        ``compared`` and the ``differences`` (figures and contributions).
    """
    with tempfile.TemporaryDirectory(prefix="cms-compare-") as tmp:
        frames = Path(tmp) / "measures.parquet", Path(tmp) / "reference.parquet"
        when = [period] if period else []
        measures = _stage([sys.executable, "-m", "cms_stats.measures.bench", "--stage", "measures",
                           "--validated", str(data_dir), *when, "--out", str(frames[0])])
        reference = _stage([sys.executable, str(REFERENCE), str(data_dir), *when, "--out", str(frames[1])])
        got, want = pd.read_parquet(frames[0]), pd.read_parquet(frames[1])
    compared, differences = agreement(got, want)
    tops, top_differences = contributions(got, want)
    left_out = got.merge(want[KEY], on=KEY, how="left", indicator=True).query("_merge == 'left_only'")
    print(f"measures stage beside the plain-DuckDB reference of every table: {data_dir}, period "
          f"{measures['period']}, {measures['months']} months; load average "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"  {'stage':<48} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    print(f"  {'validation stage (every file read and checked)':<48} "
          f"{measures['validation_s']:>8.2f} {measures['validation_cpu_s']:>8.2f}")
    print(f"  {'measures stage (peak MB: both stages)':<48} {measures['seconds']:>8.2f} "
          f"{measures['cpu_seconds']:>8.2f} {measures['peak_rss_mb']:>8.0f}")
    print(f"  {'  of which reading the checked files':<48} {measures['of_which_loading_s']:>8.2f}")
    print(f"  {'DuckDB reference (' + str(reference['threads']) + ' threads), by family:':<48} "
          f"{reference['seconds']:>8.2f} {reference['cpu_seconds']:>8.2f} {reference['peak_rss_mb']:>8.0f}")
    for family, (wall, cpu, peak) in reference["families"].items():  # peak: the process's so far
        print(f"  {'  ' + family:<48} {wall:>8.2f} {cpu:>8.2f} {peak:>8.0f}")
    wall_ratio = measures["seconds"] / reference["seconds"]
    cpu_ratio = measures["cpu_seconds"] / reference["cpu_seconds"]
    print(f"  ratio measures stage / reference: {wall_ratio:.2f}x wall clock, {cpu_ratio:.2f}x CPU "
          "(issue 17's aim: at most 1.5x)")
    both_wall = (measures["validation_s"] + measures["seconds"]) / reference["seconds"]
    both_cpu = (measures["validation_cpu_s"] + measures["cpu_seconds"]) / reference["cpu_seconds"]
    print(f"  ratio validation and measures stages / reference (which checks nothing): "
          f"{both_wall:.2f}x wall clock, {both_cpu:.2f}x CPU")
    for what, n, bad in (("figures", compared, differences), ("two-largest contributions", tops, top_differences)):
        print(f"  {what} compared with the reference: {n}, "
              + ("all equal" if not bad else f"{len(bad)}+ differ: {bad}"))
    print(f"  measures' figures the reference does not compute: {len(left_out)} "
          f"({', '.join(sorted(set(left_out['table'] + ' ' + left_out['measure'] + ':' + left_out['breakdown'])))})")
    return {"measures": measures, "reference": reference, "ratio": wall_ratio, "cpu_ratio": cpu_ratio,
            "with_validation_ratio": both_wall, "with_validation_cpu_ratio": both_cpu,
            "compared": compared, "differences": differences + top_differences}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("period", nargs="?", default=None)
    args = parser.parse_args()
    return 1 if compare(Path(args.data_dir), args.period)["differences"] else 0


if __name__ == "__main__":
    sys.exit(main())
