"""Benchmark of the quarterly series: every edition into one site, then one more added.

Prints figures, asserts nothing (a loaded machine is slower, not wrong):

1. the editions 2014-02 to the one before ``--last`` built from scratch into a new site;
2. ``--last`` (with its corrections) added to that existing site: only it and the landing page
   are built, the archive is checked against its manifests;
3. the total for all the editions, and the stage timings of each release
   (``<build>/cache/<issue>/last_run.json``) summed over the series.

Each figure is given in wall seconds and in CPU seconds of everything the command ran (the CPU
figure hardly moves with the load of the machine; on a quiet machine the wall time is at
least CPU / cores).

Everything is written under a temporary folder (the user's ``_build/`` is not touched); the
data is the default synthetic folder (``data/synthetic``, scale 1.0) unless ``--data`` is given.

    python benchmarks/bench_editions.py [--data DIR] [--first 2014-02] [--last 2016-08]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _cpu_children() -> float:
    """CPU seconds (user + system) of every finished descendant: the editions command and all
    it waited for (chapter kernels, Sphinx, Chromium)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``cms-stats editions`` run."""
    started, cpu = time.perf_counter(), _cpu_children()
    proc = subprocess.run([PY, "-m", "cms_stats.cli", "editions", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    took = time.perf_counter() - started, _cpu_children() - cpu
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"editions {' '.join(args)} failed")
    for line in proc.stdout.splitlines():
        if line.startswith(("edition ", "site ")):
            print("   ", line)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="extract folder (default data/synthetic)")
    parser.add_argument("--first", default="2014-02")
    parser.add_argument("--last", default="2016-08")
    parser.add_argument("--keep", action="store_true", help="keep the temporary build folder")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from cms_stats.calendar import load_calendar
    from cms_stats.months import add_months

    before_last = add_months(args.last, -3)
    data = ["--data", args.data] if args.data else []
    tmp = Path(tempfile.mkdtemp(prefix="cms-bench-editions-"))
    env = dict(os.environ, CMS_STATS_BUILD_DIR=str(tmp / "build"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                        os.environ.get("PYTHONPATH")])))
    print(f"cores: {os.cpu_count()}; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        print(f"1. editions {args.first} to {before_last} into a new site")
        first = _run(["--from", args.first, "--to", before_last, *data], env)
        print(f"2. edition {args.last} added to the existing site")
        added = _run(["--from", args.first, "--to", args.last, *data], env)
        cal = load_calendar()
        issues = [i.id for e in cal.between(args.first, args.last) for i in e.issues]
        stages: dict[str, float] = {}
        for issue in issues:
            run = json.loads((tmp / "build" / "cache" / issue / "last_run.json").read_text())
            for stage, s in run["timings_s"].items():
                stages[stage] = stages.get(stage, 0.0) + s
        n_editions = len(cal.between(args.first, args.last))
        print()
        # CPU seconds do not grow with the load of the machine, wall seconds do: on a quiet
        # machine the wall time is at least CPU / cores.
        print(f"{'figure':58s} {'wall s':>8s} {'CPU s':>8s}")
        rows = [(f"{args.first}..{before_last} from scratch", first),
                (f"{args.last} added to the site (its {len(issues) - n_editions + 1} issues)", added),
                (f"all {n_editions} editions ({len(issues)} issues with corrections)",
                 (first[0] + added[0], first[1] + added[1]))]
        for label, (wall, cpu) in rows:
            print(f"{label:58s} {wall:8.1f} {cpu:8.1f}")
        for stage, s in stages.items():
            print(f"{'  stage (wall): ' + stage:58s} {s:8.1f}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
