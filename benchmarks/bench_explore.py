"""The "Create your own table" page: how long it takes to load, and how big its files are.

Opens a built release's ``html/notebooks/explore.html`` in headless Chromium (served from
127.0.0.1, and from the folder as a file) several times, each in a fresh browser context (no
cache), and prints the time from the start of navigation to the builder's first table
(``performance.mark("cms-explore-ready")`` in ``explore.js``) and to the page's ``load`` event,
with the size of the builder's script and data (bytes and gzip). The target (issue 16): under
1 second, and under 1 MB compressed; the script exits 1 when either is missed.

    python benchmarks/bench_explore.py [RELEASE_DIR] [--runs 5]

RELEASE_DIR defaults to ``<build>/release/<latest period>`` (``cms_stats.paths.build_dir()``).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
from pathlib import Path

from cms_stats import paths
from cms_stats.qa import browser_session, serve

_TIMES_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const ready = performance.getEntriesByName('cms-explore-ready')[0];
  return [ready.startTime, nav.loadEventEnd];
}"""
LIMIT_S, LIMIT_BYTES = 1.0, 1_000_000


def _default_release() -> Path:
    releases = sorted((paths.build_dir() / "release").glob("*/html"))
    if not releases:
        raise SystemExit("no release built: run `cms-stats release --period P` first")
    return releases[-1].parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    release = (args.release or _default_release()).resolve()
    static = release / "html" / "_static" / "explore"
    sizes = {p.name: (p.stat().st_size, len(gzip.compress(p.read_bytes(), 9)))
             for p in sorted(static.glob("*.js"))}
    total_gz = sum(gz for _, gz in sizes.values())
    print(f"release: {release}")
    for name, (raw, gz) in sizes.items():
        print(f"  {name:12s} {raw:>9,} bytes  {gz:>8,} gzip")
    print(f"  {'total':12s} {sum(r for r, _ in sizes.values()):>9,} bytes  {total_gz:>8,} gzip "
          f"(limit {LIMIT_BYTES:,})")
    worst = 0.0
    with browser_session() as browser, serve(release) as base:
        for where, url in (("http://127.0.0.1", base + "html/notebooks/explore.html"),
                           ("file://", (release / "html/notebooks/explore.html").as_uri())):
            ready, load = [], []
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(url, wait_until="load")
                page.wait_for_selector("#cms-explore[data-ready]")
                r, l_ = page.evaluate(_TIMES_JS)
                ready.append(r / 1000)
                load.append(l_ / 1000)
                context.close()
            worst = max(worst, max(ready), max(load))
            print(f"{where:18s} first table {statistics.median(ready):.3f} s (max "
                  f"{max(ready):.3f}), load event {statistics.median(load):.3f} s (max "
                  f"{max(load):.3f}), {args.runs} runs")
    ok = worst < LIMIT_S and total_gz < LIMIT_BYTES
    print("OK" if ok else f"MISSED: slowest {worst:.3f} s (limit {LIMIT_S} s), {total_gz:,} gzip bytes")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
