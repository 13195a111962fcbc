"""Benchmarks: wall time, CPU time and peak memory of every stage, printed as one table.

Each stage runs in its own process so its peak resident memory (``ru_maxrss`` from ``wait4``,
which includes the kernels and tools it waited for) and its CPU time (user and system, its
children's included) are its own. Everything is written under a temporary folder: the user's
data and ``_build/`` are not touched. The data start in August 2013 and run for ``--months``
months; the release is of the last quarter's end month (February, May, August, November) in
them. CPU seconds are the figure to compare across runs on a shared machine.

    python benchmarks/bench.py --scale 1.0 --months 37     # make bench SCALE=1.0 MONTHS=37
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cms_stats.months import add_months

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


FIRST_MONTH = "2013-08"


def run_stage(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run one stage; return (wall seconds, CPU seconds, peak RSS in MB). Fail loudly if the
    stage fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read()  # drain so the child never blocks on a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(output.decode(errors="replace"))
        raise SystemExit(f"stage failed: {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports KiB


def last_quarter_end(last: str) -> str:
    """The latest month ending a quarter of the publication (Feb, May, Aug, Nov) up to ``last``."""
    month = last
    while month[5:] not in ("02", "05", "08", "11"):
        month = add_months(month, -1)
    return month


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("SCALE", 1.0)))
    parser.add_argument("--months", type=int, default=int(os.environ.get("MONTHS", 37)),
                        help="months of data from 2013-08 (default 37: to 2016-08)")
    parser.add_argument("--period", help="the release period (default: the last quarter end)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--data", type=Path,
                        help="an extract folder made already (e.g. data/synthetic): no generation "
                             "stage; --months and --scale then only label the table")
    parser.add_argument("--release-only", action="store_true",
                        help="only the cold release and the narrative-only rebuild (no separate "
                             "validation and measures stages, no DuckDB reference)")
    args = parser.parse_args()
    if args.months < 1:
        parser.error("--months must be at least 1")
    last = add_months(FIRST_MONTH, args.months - 1)
    args.period = args.period or last_quarter_end(last)

    tmp = Path(tempfile.mkdtemp(prefix="cms-bench-"))
    data, build, notebooks = tmp / "data", tmp / "build", tmp / "notebooks"
    if args.data:
        data = args.data.resolve()
    env = dict(os.environ, CMS_STATS_BUILD_DIR=str(build))
    shutil.copytree(ROOT / "notebooks", notebooks)

    release_code = (
        "import sys; from pathlib import Path; from cms_stats.release import release; "
        "release(sys.argv[1], data_dir=Path(sys.argv[2]), notebooks_dir=Path(sys.argv[3]), "
        "progress=lambda *a, **k: None)"
    )
    stages = [
        ("synthetic generation", [PY, "-m", "cms_stats.cli", "synth", "--out", str(data),
                                  "--scale", str(args.scale), "--start", FIRST_MONTH, "--end", last],
         None),
        ("load and validation", [PY, "-m", "cms_stats.cli", "validate", str(data)], None),
        ("all measures (and the loader's checks)", [PY, "-c",
            "import sys; from cms_stats.extracts import open_extracts; "
            "from cms_stats.measures import compute_all; "
            "compute_all(open_extracts(sys.argv[1]), sys.argv[2])", str(data), args.period], None),
        ("cold release", [PY, "-c", release_code, args.period, str(data), str(notebooks)], None),
        ("rebuild after a narrative edit", [PY, "-c", release_code, args.period, str(data),
                                            str(notebooks)], "edit"),
    ]
    if args.data:
        stages = stages[1:]
    if args.release_only:  # the release floor (DESIGN.md): the two release lines alone
        stages = [stage for stage in stages if "release" in stage[0] or "rebuild" in stage[0]]
    rows = []
    release_stages = {}
    load_before = os.getloadavg()
    try:
        for name, argv, before in stages:
            if before == "edit":
                page = notebooks / "about.md"
                page.write_text(page.read_text() + "\n\nA sentence added by the benchmark.\n")
            wall, cpu, peak = run_stage(argv, env)
            rows.append((name, wall, cpu, peak))
            if "release" in name or "rebuild" in name:
                release_stages[name] = json.loads(
                    (build / "cache" / args.period / "last_run.json").read_text())
            print(f"  done: {name} ({wall:.1f} s)", file=sys.stderr, flush=True)
        # the measures stage beside a plain DuckDB computation of every table (issue 17)
        reference = None if args.release_only else subprocess.run(
            [PY, str(ROOT / "benchmarks" / "compare_duckdb.py"), str(data), args.period],
            env=env, cwd=ROOT, capture_output=True, text=True)
        if reference is not None and reference.returncode != 0:
            sys.stderr.write(reference.stdout + reference.stderr)
            raise SystemExit("the measures and the DuckDB reference disagree (or failed)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nCMS statistics benchmarks, scale {args.scale}, {args.months} months of data "
          f"({FIRST_MONTH} to {last}), measured and released to {args.period}, "
          f"{os.cpu_count()} cores; load average (1, 5, 15 min) before "
          f"{'/'.join(f'{x:.1f}' for x in load_before)}, after "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("CPU time: the stage's process and the processes it waited for (user + system)")
    print(f"{'stage':<40}{'wall time (s)':>15}{'CPU time (s)':>14}{'peak memory (MB)':>19}")
    for name, wall, cpu, peak in rows:
        print(f"{name:<40}{wall:>15.1f}{cpu:>14.1f}{peak:>19.0f}")
    print_release_stages(release_stages)
    if reference is not None:
        print("\n" + reference.stdout.rstrip())
    return 0


def print_release_stages(runs: dict[str, dict]) -> None:
    """The release's own stages (``last_run.json``: wall and CPU seconds of each stage) of the
    cold release and of the narrative-only rebuild, side by side."""
    if not runs:
        return
    names = list(runs)
    print("\nRelease stages (wall s / CPU s; CPU: the release's process and the processes it "
          "waited for;\nthe chapter workers' CPU is counted in the chapters stage, where they "
          "end, even when they started their kernels while the measures ran)")
    print(f"{'stage':<50}" + "".join(f"{n[:28]:>30}" for n in names))
    stages = list(dict.fromkeys(s for run in runs.values() for s in run["timings_s"]))
    for stage in stages:
        cells = []
        for n in names:
            run = runs[n]
            wall, cpu = run["timings_s"].get(stage), run.get("cpu_s", {}).get(stage)
            cells.append("-" if wall is None else f"{wall:.1f} / {cpu:.1f}" if cpu is not None
                         else f"{wall:.1f}")
        print(f"{stage:<50}" + "".join(f"{c:>30}" for c in cells))
    for event in dict.fromkeys(e for run in runs.values() for e in run.get("marks_s", {})):
        print(f"{'  at (s since start): ' + event:<50}" + "".join(
            f"{runs[n].get('marks_s', {}).get(event, float('nan')):>30.1f}" for n in names))
    print(f"{'(chapters executed; tables)':<50}" + "".join(
        f"{len(runs[n]['executed']):>22} ; {runs[n].get('tables', '?'):<7}" for n in names))


if __name__ == "__main__":
    raise SystemExit(main())
