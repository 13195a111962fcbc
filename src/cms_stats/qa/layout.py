"""Reading on a phone: nothing on a page is wider than the screen.

:func:`overflowing` lists the elements of an open page that reach beyond the viewport's left or
right edge. The one thing allowed to be wider than the screen is a table scrolled inside its own
region (overflow ``auto`` or ``scroll``, focusable, ``role="region"`` and labelled, holding a
``<table>``: the book's ``.cms-table``); what is inside such a region is not counted, the region
itself is. Hidden elements (no box, or ``visibility: hidden``) are not counted, and an element
inside another one counted is not listed again.
"""

from __future__ import annotations

__all__ = ["PHONE_WIDTHS", "OVERFLOW_JS", "overflowing"]

#: The phone widths every chapter is checked at (CSS pixels).
PHONE_WIDTHS = (390, 360)

# Run in the page: "<tag>#id.class 'text' left..right px" of each outermost element beyond an edge.
OVERFLOW_JS = """() => {
  const view = document.documentElement.clientWidth;
  const tableRegion = e => {
    const s = getComputedStyle(e);
    return ['auto', 'scroll'].includes(s.overflowX) && e.getAttribute('tabindex') === '0'
      && e.getAttribute('role') === 'region'
      && !!(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'))
      && e.querySelector('table') !== null;
  };
  const inTableRegion = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
      if (tableRegion(a)) return true;
    return false;
  };
  const found = [];
  for (const e of document.body.querySelectorAll('*')) {
    const b = e.getBoundingClientRect();
    if (b.width === 0 || b.height === 0) continue;
    if (b.left >= -0.5 && b.right <= view + 0.5) continue;
    if (getComputedStyle(e).visibility === 'hidden' || inTableRegion(e)) continue;
    if (found.some(f => f.contains(e))) continue;
    found.push(e);
  }
  const lines = found.map(e => {
    const b = e.getBoundingClientRect();
    const cls = typeof e.className === 'string' && e.className.trim()
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
    const text = (e.getAttribute('alt') || e.textContent || '').trim().replace(/\\s+/g, ' ');
    return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${cls} '${text.slice(0, 40)}' `
      + `${Math.round(b.left)}..${Math.round(b.right)} px of ${view}`;
  });
  // text spilling out of its own box is no element's box: the page's width shows it
  const page = document.documentElement.scrollWidth;
  if (!lines.length && page > view + 0.5) lines.push(`page scrolls sideways: ${page} px of ${view}`);
  return lines;
}"""


def overflowing(page) -> list[str]:  # noqa: ANN001 - a playwright Page
    """The elements of an open page wider than its viewport or beyond its edges (see the
    module docstring), one readable line each; empty when the page fits the screen.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A loaded page.

    Returns
    -------
    list of str
        ``<tag>#id.classes 'text' left..right px of <viewport width>`` per outermost element.
    """
    return page.evaluate(OVERFLOW_JS)
