"""axe-core in the browser: the rules the book is held to, and the modes it is checked in.

Every page is checked with the WCAG 2.2 AA rules and axe's best practices, and a violation of
any impact blocks publication. The first pass of :func:`cms_stats.qa.site.check_site` runs at
1280 px in the light colour scheme; :func:`axe_in_other_modes` then runs axe again on every
page at 390 px (a phone) and with the reader's system asking for the dark scheme at both widths
(the book keeps its light mode then: the theme's dark mode is switched off,
``html_context.default_mode``, and this proves it stays accessible whichever the reader asks).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from cms_stats import paths

__all__ = ["AXE_JS", "AXE_TAGS", "AXE_BLOCKING_IMPACTS", "OTHER_MODES", "FIRST_MODE",
           "axe_in_other_modes"]

AXE_JS = Path(os.environ.get("CMS_AXE_JS", paths.PROJECT_ROOT / "node_modules/axe-core/axe.min.js"))
# WCAG 2.2 AA (the success criteria of levels A and AA from 2.0, 2.1 and 2.2) and axe's best
# practices (landmarks, heading order, ...).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
#: Every impact blocks: the book is published with no axe violation at all.
AXE_BLOCKING_IMPACTS = ("critical", "serious", "moderate", "minor")
#: (colour scheme the reader's system asks for, viewport width in CSS px)
FIRST_MODE = ("light", 1280)
OTHER_MODES = (("light", 390), ("dark", 1280), ("dark", 390))

AXE_RUN_JS = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300),
                             failureSummary: n.failureSummary}))}));
}"""


def mode_name(mode: tuple[str, int]) -> str:
    """How a report names a mode: ``"dark scheme, 390 px"``."""
    return f"{mode[0]} scheme, {mode[1]} px"


def axe_in_other_modes(browser, url_of: Callable[[str], str], pages: list[str], route,
                       record: Callable[[str, list[dict]], None], timeout_ms: int) -> None:
    """Run axe on every page in each of :data:`OTHER_MODES`.

    Parameters
    ----------
    browser : playwright Browser
    url_of : callable
        The URL of a page of the book (its path under ``html/``).
    pages : list of str
    route : callable
        The offline route handler of the first pass (nothing leaves the machine).
    record : callable
        Called with (page, violations); each violation carries its ``mode``.
    timeout_ms : int
    """
    for mode in OTHER_MODES:
        context = browser.new_context(viewport={"width": mode[1], "height": 900},
                                      color_scheme=mode[0], service_workers="block")
        context.route("**/*", route)
        try:
            for rel in pages:
                page = context.new_page()
                page.goto(url_of(rel), wait_until="load", timeout=timeout_ms)
                with contextlib.suppress(Exception):  # a redirect page moves on; scripts settle
                    page.wait_for_load_state("networkidle", timeout=10_000)
                page.add_script_tag(path=str(AXE_JS))
                found = page.evaluate(AXE_RUN_JS, list(AXE_TAGS))
                record(rel, [dict(v, mode=mode_name(mode)) for v in found])
                page.close()
        finally:
            context.close()
