"""Benchmark of :func:`cms_stats.measures.compute_all`: prints time and peak memory.

Run: ``.venv/bin/python -m cms_stats.measures.bench [DATA_DIR] [PERIOD]``.
"""

from __future__ import annotations

import resource
import sys
import time

from cms_stats.extracts import open_extracts
from cms_stats.measures import compute_all
from cms_stats.paths import DEFAULT_DATA_DIR


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


def run(data_dir=None, period: str | None = None) -> dict:
    """Time :func:`compute_all` on an extract folder and print the figures (not a test).

    Opens the folder (default: the synthetic data), computes every measure for every month up
    to ``period`` (default: the last month) and prints wall time, rows out and the process's
    peak resident memory. Returns the figures.
    """
    data_dir = DEFAULT_DATA_DIR if data_dir is None else data_dir
    rss_before = _peak_rss_mb()
    cpu_start = time.process_time()
    start = time.perf_counter()
    folder = _TimedFolder(open_extracts(data_dir))
    opened = time.perf_counter() - start
    period = period or folder.months[-1]
    table = compute_all(folder, period)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    figures = {
        "data_dir": str(data_dir),
        "period": period,
        "months": len([m for m in folder.months if m <= period]),
        "rows_out": len(table),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "of_which_loading_s": round(opened + folder.load_seconds, 2),
        "of_which_measures_s": round(seconds - opened - folder.load_seconds, 2),
        "peak_rss_mb_before": round(rss_before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    print("compute_all benchmark (loading + validation + every measure, every month;")
    print("  seconds = wall clock, cpu_seconds = this process's CPU time: on a shared machine")
    print("  the wall clock includes time waiting for a core)")
    for key, value in figures.items():
        print(f"  {key:>20}: {value}")
    return figures


if __name__ == "__main__":
    run(*(sys.argv[1:3]))
