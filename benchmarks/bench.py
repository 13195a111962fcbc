"""Benchmarks: wall time and peak memory of every stage, printed as one table.

Each stage runs in its own process so its peak resident memory (``ru_maxrss`` from ``wait4``,
which includes the kernels and tools it waited for) is its own. Everything is written under a
temporary folder: the user's data and ``_build/`` are not touched.

    python benchmarks/bench.py --scale 1.0
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def run_stage(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run one stage; return (wall seconds, peak RSS in MB). Fail loudly if the stage fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read()  # drain so the child never blocks on a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(output.decode(errors="replace"))
        raise SystemExit(f"stage failed: {' '.join(argv)}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("SCALE", 1.0)))
    parser.add_argument("--period", default="2016-08")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cms-bench-"))
    data, build, notebooks = tmp / "data", tmp / "build", tmp / "notebooks"
    env = dict(os.environ, CMS_STATS_BUILD_DIR=str(build))
    shutil.copytree(ROOT / "notebooks", notebooks)

    release_code = (
        "import sys; from pathlib import Path; from cms_stats.release import release; "
        "release(sys.argv[1], data_dir=Path(sys.argv[2]), notebooks_dir=Path(sys.argv[3]), "
        "progress=lambda *a, **k: None)"
    )
    stages = [
        ("synthetic generation", [PY, "-m", "cms_stats.cli", "synth", "--out", str(data),
                                  "--scale", str(args.scale)], None),
        ("load and validation", [PY, "-m", "cms_stats.cli", "validate", str(data)], None),
        ("all measures, every month", [PY, "-c",
            "import sys; from cms_stats.extracts import open_extracts; "
            "from cms_stats.measures import compute_all; "
            "compute_all(open_extracts(sys.argv[1]), sys.argv[2])", str(data), args.period], None),
        ("cold release", [PY, "-c", release_code, args.period, str(data), str(notebooks)], None),
        ("rebuild after a narrative edit", [PY, "-c", release_code, args.period, str(data),
                                            str(notebooks)], "edit"),
    ]
    rows = []
    try:
        for name, argv, before in stages:
            if before == "edit":
                page = notebooks / "about.md"
                page.write_text(page.read_text() + "\n\nA sentence added by the benchmark.\n")
            wall, peak = run_stage(argv, env)
            rows.append((name, wall, peak))
            print(f"  done: {name} ({wall:.1f} s)", file=sys.stderr, flush=True)
        # the measures stage beside a plain DuckDB computation of the core tables (issue 17)
        reference = subprocess.run([PY, "-m", "cms_stats.measures.bench", str(data), args.period],
                                   env=env, cwd=ROOT, capture_output=True, text=True)
        if reference.returncode != 0:
            sys.stderr.write(reference.stdout + reference.stderr)
            raise SystemExit("the measures and the DuckDB reference disagree (or failed)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nCMS statistics benchmarks, scale {args.scale}, period {args.period}, "
          f"{os.cpu_count()} cores")
    print(f"{'stage':<34}{'wall time (s)':>15}{'peak memory (MB)':>19}")
    for name, wall, peak in rows:
        print(f"{name:<34}{wall:>15.1f}{peak:>19.0f}")
    print("\n" + reference.stdout.rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
