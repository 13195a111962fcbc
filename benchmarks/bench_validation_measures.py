"""Validation, then the measures, in one process (as a release runs them): CPU seconds, wall
seconds and peak resident memory of each stage apart (RSS sampled every 20 ms).

    python benchmarks/bench_validation_measures.py DATA_DIR PERIOD [--stage validation]

Prints one JSON line (``--stage validation``: validation alone, the measures not run). Issue 17's aim 4 asks validation + measures at 1.0 x 120 under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import threading
import time

from cms_stats.extracts import open_extracts, validate
from cms_stats.measures import compute_all


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("period")
    parser.add_argument("--stage", choices=("all", "validation"), default="all",
                        help="validation: stop after validation (its figures alone)")
    args = parser.parse_args()
    peak = {"stage": "validation", "validation": 0.0, "measures": 0.0}

    def sample() -> None:
        while True:
            stage = peak["stage"]
            peak[stage] = max(peak[stage], _rss_mb())
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    cpu0, wall0 = _cpu(), time.perf_counter()
    report = validate(args.data_dir)
    cpu1, wall1 = _cpu(), time.perf_counter()
    if args.stage == "validation":
        print(json.dumps({"validation_cpu_s": round(cpu1 - cpu0, 1), "validation_wall_s": round(wall1 - wall0, 1),
                          "validation_peak_mb": round(peak["validation"]), "files": len(report.files)}))
        return
    peak["stage"] = "measures"
    frame = compute_all(open_extracts(args.data_dir), args.period, quarantine=report.quarantine)
    cpu2, wall2 = _cpu(), time.perf_counter()
    print(json.dumps({"validation_cpu_s": round(cpu1 - cpu0, 1), "validation_wall_s": round(wall1 - wall0, 1),
                      "validation_peak_mb": round(peak["validation"]),
                      "measures_cpu_s": round(cpu2 - cpu1, 1), "measures_wall_s": round(wall2 - wall1, 1),
                      "measures_peak_mb": round(peak["measures"]), "rows": len(frame)}))


if __name__ == "__main__":
    main()
