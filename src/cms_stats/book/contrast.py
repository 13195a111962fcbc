"""Colour contrast of the charts on their white background (WCAG 2.2): text 4.5:1 (1.4.3),
the parts of a graphic 3:1 (1.4.11). The ratios are chart style data (``chart_style.yaml``)."""

from __future__ import annotations

__all__ = ["contrast_on_white", "darkened"]


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of ``colour`` on the charts' white background."""
    return 1.05 / (_luminance(colour) + 0.05)


def darkened(colour: str, ratio: float) -> str:
    """The colour, darkened (mixed with black) just enough for ``ratio`` on white: text needs
    4.5:1 and the parts of a graphic 3:1 (WCAG 1.4.3, 1.4.11); the AF palette's turquoise,
    orange, lilac and grey have less."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    for step in range(101):
        out = "#" + "".join(f"{round(c * (1 - step / 100)):02X}" for c in rgb)
        if contrast_on_white(out) >= ratio:
            return out
    return "#000000"
