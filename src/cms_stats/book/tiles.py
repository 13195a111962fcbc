"""The Summary's headline tiles: each headline as a figure, its change on the quarter, the
sentence that says what it means and a link to its chapter.

Everything shown is computed: the figure as published, the change from unrounded figures (as
the headline sentences), and no change where either figure is withheld (a change must not
reveal a suppressed count).
"""

from __future__ import annotations

import html
import math

from cms_stats.book import format as fmt
from cms_stats.book.headlines import Headline, shown
from cms_stats.months import month_words
from cms_stats.publish import load_metadata
from cms_stats.registry import load_registry

__all__ = ["tile_change", "headline_tiles"]


def tile_change(h: Headline, was: str | None) -> str:
    """The tile's change line: 'Up 19% on May 2016', 'Down 2 percentage points on May 2016',
    'Unchanged on May 2016', or 'No comparison with May 2016' (``was`` is the comparison
    month's figure as published, None when there is none)."""
    since = month_words(h.compare_month)
    if was is None or fmt.is_symbol(was) or fmt.is_symbol(h.shown) or math.isnan(h.change):
        return f"No comparison with {since}"
    if h.change_kind == "points":
        points = fmt.whole_points(h.change)
        if points == 0:
            return f"Unchanged on {since}" if was == h.shown else f"Little changed on {since}"
        return (f"{'Up' if h.change > 0 else 'Down'} {points} percentage "
                f"point{'' if points == 1 else 's'} on {since}")
    size = fmt.fmt_percent_change(h.change)
    if float(size.rstrip("%")) == 0:
        return f"Little changed on {since}"
    return f"{'Up' if h.change > 0 else 'Down'} {size} on {since}"


def headline_tiles(headlines: list[Headline], measures, policy, published=None) -> tuple[str, str]:
    """The tiles as HTML (a list, one tile per headline) and as text.

    Parameters
    ----------
    headlines : list of Headline
        :func:`cms_stats.book.headlines.headlines`.
    measures, policy, published :
        As for the headlines: the comparison month's figure is read as published.

    Returns
    -------
    tuple of str
        The HTML (``<ul class="cms-tiles">``, one ``<li>`` per headline) and the text
        alternative (one line per tile).
    """
    registry = load_registry()
    labels = load_metadata()["tables"]
    items, lines = [], []
    for h in headlines:
        meta = (labels.get(h.table, {}).get("measures") or {}).get(h.measure, {})
        label = meta.get("label", h.measure.replace("_", " "))
        was = (shown(published, measures, h.measure, h.compare_month, policy, h.breakdown,
                     table=h.table) if not math.isnan(h.previous) else None)
        change = tile_change(h, was)
        chapter = registry.table(h.table).chapter
        when = month_words(h.month)
        items.append(
            '<li class="cms-tile">'
            f'<p class="cms-tile-label"><a href="{html.escape(chapter)}.html">{html.escape(label)}</a>'
            f' <span class="cms-tile-month">{html.escape(when)}</span></p>'
            f'<p class="cms-tile-figure">{html.escape(h.shown)}</p>'
            f'<p class="cms-tile-change">{html.escape(change)}</p>'
            f'<p class="cms-tile-meaning">{html.escape(h.text)}</p></li>')
        lines.append(f"{label}, {when}: {h.shown}. {change}. {h.text}")
    return (f'<ul class="cms-tiles" aria-label="Headline figures">{"".join(items)}</ul>',
            "\n".join(lines))
