"""cms-stats: the command line of the CMS 2012 Scheme statistics book.

Every command turns a known failure (bad extract, bad period, failed chapter) into one line on
stderr and exit code 2: a reader of the log sees what is wrong and where, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from cms_stats import paths

from cms_stats.calendar import QUARTER_MONTHS, CalendarError
from cms_stats.months import is_month
from cms_stats.extracts import ExtractError, PeriodError, open_extracts, validate
from cms_stats.measures.engine import ENGINES, EngineError
from cms_stats.registry import RegistryError
from cms_stats.registry_docs import registry_files
from cms_stats.work import ReleaseError

EXIT_BAD_INPUT = 2
#: The months an edition is published for: the release calendar's (cms_stats.calendar).
QUARTER_END_MONTHS = QUARTER_MONTHS
#: Exceptions that carry a clear one-line message for the user.
KNOWN_ERRORS = (ExtractError, PeriodError, ReleaseError, RegistryError, CalendarError, EngineError)


def _cmd_synth(args: argparse.Namespace) -> int:
    from cms_stats.synthetic import generate  # deferred: only this command generates

    started = time.perf_counter()
    out = generate(Path(args.out), seed=args.seed, scale=args.scale, start=args.start, end=args.end)
    print(f"synthetic extracts written to {out} in {time.perf_counter() - started:.1f} s")
    return 0


def _day(text: str) -> dt.date:
    """An ISO day for ``--known-at`` (argparse turns a ValueError into a one-line usage error)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _cmd_validate(args: argparse.Namespace) -> int:
    report = validate(Path(args.data_dir), known_at=args.known_at)
    print(report.format())
    return 0


def _cmd_registry(args: argparse.Namespace) -> int:
    """Write the files generated from the registry (``_toc.yml``, the table of tables in
    ``DESIGN.md``), or with ``--check`` say whether they are current."""
    stale = [path.name for path, text in registry_files().items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        if stale:
            raise ReleaseError(f"{', '.join(stale)} not generated from the registry: run `cms-stats registry`")
        print("_toc.yml and DESIGN.md match the registry")
        return 0
    for path, text in registry_files().items():
        if path.name in stale:
            path.write_text(text, encoding="utf-8")
    print(f"written from the registry: {', '.join(stale) or 'nothing (all current)'}")
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from cms_stats.release import release  # deferred: heavy (papermill, Sphinx) for other commands

    if is_month(args.period) and int(args.period[5:7]) not in QUARTER_END_MONTHS:
        raise ReleaseError(f"period {args.period}: not a quarter end (the statistics are "
                           "published for February, May, August and November)")
    data_dir = Path(args.data) if args.data else None
    out = release(args.period, data_dir=data_dir, previous=args.previous or None, progress=print,
                  engine=args.engine)
    print(f"release written to {out}")
    print(f"open {Path(out) / 'html' / 'index.html'} in a browser, or read {Path(out) / 'book.pdf'}")
    return 0


def _cmd_editions(args: argparse.Namespace) -> int:
    # deferred: heavy (papermill, Sphinx) for other commands
    from cms_stats.editions import build_editions

    site = build_editions(args.first, args.last, data_dir=Path(args.data) if args.data else None,
                          progress=print, engine=args.engine)
    print(f"site written to {site}: open {site / 'index.html'} (publish the folder as it is)")
    return 0


def _cmd_latest_period(args: argparse.Namespace) -> int:
    """Print the latest quarter-end month the data covers (used by ``make book``)."""

    folder = open_extracts(Path(args.data) if args.data else paths.DEFAULT_DATA_DIR)
    quarter_ends = [m for m in folder.months if int(m[5:7]) in QUARTER_END_MONTHS]
    if not quarter_ends:
        raise SystemExit(f"{folder.metadata}: no quarter-end month in the data")
    print(quarter_ends[-1])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cms-stats", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="write a synthetic extract folder")
    synth.add_argument("--out", default=str(paths.DEFAULT_DATA_DIR))
    synth.add_argument("--seed", type=int, default=2012)
    synth.add_argument("--scale", type=float, default=1.0)
    synth.add_argument("--start", default="2013-08")
    synth.add_argument("--end", default="2016-08")
    synth.set_defaults(func=_cmd_synth)

    val = sub.add_parser("validate", help="check an extract folder against the data contract")
    val.add_argument("data_dir", nargs="?", default=str(paths.DEFAULT_DATA_DIR))
    val.add_argument("--known-at", type=_day, default=None, metavar="YYYY-MM-DD",
                     help="count the folder as known at the end of this day (data/README.md: "
                          "the data as known at a cut-off)")
    val.set_defaults(func=_cmd_validate)

    rel = sub.add_parser("release", help="build the web book, PDF, spreadsheet and CSV for a period")
    rel.add_argument("--period", required=True, help="reference month, YYYY-MM (a quarter end)")
    rel.add_argument("--data", default=None, help="extract folder (default: the synthetic data)")
    rel.add_argument("--previous", default=None,
                     help="an earlier period already released: its published figures are revised "
                          "against by the revisions policy (resources/rounding_policy.yaml)")
    rel.add_argument("--engine", choices=ENGINES, default=None,
                     help="the engine that computes the measures: duckdb (default, embedded) or "
                          "spark (CMS_STATS_SPARK_MASTER names the master; default local[2]); "
                          "default: CMS_STATS_ENGINE, else duckdb")
    rel.set_defaults(func=_cmd_release)

    eds = sub.add_parser("editions", help="build every edition of the release calendar in order "
                                          "into the archive site (<build>/site)")
    eds.add_argument("--from", dest="first", required=True, help="first edition, YYYY-MM")
    eds.add_argument("--to", dest="last", required=True, help="last edition, YYYY-MM")
    eds.add_argument("--data", default=None, help="extract folder (default: the synthetic data)")
    eds.add_argument("--engine", choices=ENGINES, default=None,
                     help="the engine that computes the measures (as for release)")
    eds.set_defaults(func=_cmd_editions)

    latest = sub.add_parser("latest-period", help="print the latest quarter-end month in the data")
    latest.add_argument("--data", default=None)
    latest.set_defaults(func=_cmd_latest_period)

    reg = sub.add_parser("registry", help="write _toc.yml and DESIGN.md's table of tables from "
                                          "the registry (resources/tables.yaml)")
    reg.add_argument("--check", action="store_true", help="only check that they are current")
    reg.set_defaults(func=_cmd_registry)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KNOWN_ERRORS as err:  # one clear line, no traceback
        print(f"cms-stats {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"cms-stats {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
