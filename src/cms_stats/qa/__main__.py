"""``python -m cms_stats.qa``: quality assurance of a built release.

    python -m cms_stats.qa nbval   --period 2016-08     # re-run notebooks, outputs identical
    python -m cms_stats.qa browser --period 2016-08     # every page in Chromium + axe-core
    python -m cms_stats.qa all     --period 2016-08     # both
    python -m cms_stats.qa compare RELEASE_A RELEASE_B  # two builds identical?

``--edition ID`` checks an edition of the archive site (``_build/site/<ID>``, e.g. ``2016-05`` or
``2016-08-correction-1``, built by ``cms-stats editions``); ``--release-dir DIR`` checks a
release folder elsewhere. Exit code 0 = pass, 1 = a check
failed, 2 = the check could not run (missing release, browser or axe-core).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cms_stats import paths
from cms_stats.qa.compare import compare_releases
from cms_stats.qa.notebooks import nbval
from cms_stats.qa.site import QAError, check_site

EXIT_FAIL = 1
EXIT_CANNOT_RUN = 2


def _release_dir(args: argparse.Namespace) -> Path:
    if args.release_dir:
        return Path(args.release_dir)
    if getattr(args, "edition", None):
        folder = paths.build_dir() / "site" / args.edition
        if not folder.is_dir():
            raise SystemExit(f"edition {args.edition} is not in the archive {folder.parent} "
                             "(build it with `cms-stats editions`)")
        return folder
    if not args.period:
        raise SystemExit("give --period P, --edition ID or --release-dir DIR")
    return paths.build_dir() / "release" / args.period


def _qa_dir(args: argparse.Namespace, release: Path) -> Path:
    return Path(args.qa_dir) if args.qa_dir else paths.build_dir() / "qa" / release.name


def _cmd_nbval(args: argparse.Namespace) -> int:
    release = _release_dir(args)
    print(f"nbval: re-running the executed notebooks of {release}", flush=True)
    rc = nbval(release)
    print(f"nbval: {'PASS' if rc == 0 else f'FAIL (pytest exit code {rc})'}")
    return 0 if rc == 0 else EXIT_FAIL


def _cmd_site(args: argparse.Namespace) -> int:
    release = _release_dir(args)
    qa_dir = _qa_dir(args, release)
    print(f"browser: checking {release / 'html'}; screenshots to {qa_dir}", flush=True)
    report = check_site(release / "html", screenshot_dir=qa_dir, axe=not args.no_axe,
                        progress=lambda line: print(line, flush=True))
    print(report.format())
    return 0 if report.ok else EXIT_FAIL


def _cmd_compare(args: argparse.Namespace) -> int:
    diffs = compare_releases(args.first, args.second)
    for line in diffs:
        print(line)
    print(f"compare: {'identical' if not diffs else f'{len(diffs)} differences'}")
    return 0 if not diffs else EXIT_FAIL


def _cmd_all(args: argparse.Namespace) -> int:
    rc_nb = _cmd_nbval(args)
    rc_site = _cmd_site(args)
    return max(rc_nb, rc_site)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cms_stats.qa", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, aliases, func, helptext in (
        ("nbval", [], _cmd_nbval, "re-execute the release's notebooks; outputs must be identical"),
        ("browser", ["site"], _cmd_site, "open every page of the web book in headless Chromium (+ axe-core)"),
        ("all", [], _cmd_all, "nbval, then the browser check"),
    ):
        p = sub.add_parser(name, aliases=aliases, help=helptext)
        p.add_argument("--period", help="release period YYYY-MM (_build/release/<period>)")
        p.add_argument("--release-dir", help="a release folder (instead of --period)")
        p.add_argument("--edition", help="an edition of the archive site (_build/site/<ID>)")
        p.add_argument("--qa-dir", help="where screenshots go (default _build/qa/<period>)")
        p.add_argument("--no-axe", action="store_true", help="skip the axe-core accessibility check")
        p.set_defaults(func=func)
    p = sub.add_parser("compare", help="compare two releases built from the same inputs")
    p.add_argument("first")
    p.add_argument("second")
    p.set_defaults(func=_cmd_compare)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (QAError, FileNotFoundError) as err:
        print(f"qa: {err}", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
