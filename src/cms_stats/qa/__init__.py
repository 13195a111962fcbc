"""Quality assurance of a release: identical re-runs, identical rebuilds, a real browser.

- ``nbval(release_dir)`` re-executes the release's executed notebooks with ``pytest --nbval``
  (strict) and returns pytest's exit code (0 = every output reproduced).
- ``compare_releases(a, b)`` lists every difference between two releases' CSV bytes, spreadsheet
  cell values and notebook outputs (empty = deterministic).
- ``check_site(html_dir)`` opens every page of the web book in headless Chromium: console errors,
  failed or off-machine requests, broken internal links and #fragments, axe-core WCAG 2.2 AA.
- ``serve(html_dir)`` serves a built book on 127.0.0.1 for a ``with`` block.

Command line: ``python -m cms_stats.qa {nbval,browser,all,compare} --period P``.
"""

from cms_stats.qa.compare import compare_releases
from cms_stats.qa.notebooks import NbvalResult, nbval, run_nbval
from cms_stats.qa.site import QAError, SiteReport, browser_session, check_site, list_pages, serve

__all__ = [
    "NbvalResult",
    "QAError",
    "SiteReport",
    "browser_session",
    "check_site",
    "compare_releases",
    "list_pages",
    "nbval",
    "run_nbval",
    "serve",
]
