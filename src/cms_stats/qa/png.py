"""A screenshot's sanity check: a PNG, large enough, not one flat colour (a blank page)."""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["check_png"]


def check_png(path: Path, min_width: int = 200, min_height: int = 200, min_colours: int = 8) -> list[str]:
    """Problems with a screenshot: not a PNG, too small, or (nearly) one flat colour."""
    problems = []
    data = path.read_bytes() if path.exists() else b""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return [f"{path}: not a PNG"]
    width, height = struct.unpack(">II", data[16:24])
    if width < min_width or height < min_height:
        problems.append(f"{path}: only {width}x{height} pixels")
    from PIL import Image  # deferred: heavy, only to read a screenshot

    with Image.open(path) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
    n_colours = len(colours) if colours is not None else 1_000_000
    if n_colours < min_colours:
        problems.append(f"{path}: only {n_colours} colours (a blank page?)")
    return problems
