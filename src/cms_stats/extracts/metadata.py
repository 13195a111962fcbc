"""``extract.json``: the metadata of an extract folder, read and checked."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

from cms_stats.months import is_month, month_start

from .common import fmt, read_bytes
from .contract import GENERATOR_FIELDS, OPENING_BALANCE_FIELDS, SCHEME_START_MONTH, SOURCES
from .errors import ExtractError


def read_metadata(data_dir: Path) -> dict:
    """Read and check ``extract.json`` of an extract folder.

    Parameters
    ----------
    data_dir : the extract folder.

    Returns
    -------
    dict
        The metadata: ``source``, ``first_month``, ``last_month`` (and ``generator`` for
        synthetic data) and the optional ``extracted`` (the extraction day), as in the file.

    Raises
    ------
    ExtractError
        The folder or file is missing, unreadable, not UTF-8, not JSON, or a field is wrong.
    """
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise ExtractError(str(data_dir), "extract folder not found")
    if not data_dir.is_dir():
        raise ExtractError(str(data_dir), "not a folder (expected an extract folder)")
    rel = "extract.json"
    raw = read_bytes(data_dir / rel, rel)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractError(
            rel, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise ExtractError(rel, "empty file")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractError(
            rel, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(meta, dict):
        raise ExtractError(rel, "expected a JSON object")
    for name in ("source", "first_month", "last_month"):
        if name not in meta:
            raise ExtractError(rel, f"missing field '{name}'")
    if meta["source"] not in SOURCES:
        raise ExtractError(
            rel, f"field 'source': unknown code {fmt(meta['source'])} (allowed: {', '.join(SOURCES)})"
        )
    for name in ("first_month", "last_month"):
        if not is_month(meta[name]):
            raise ExtractError(rel, f"field '{name}': not a month YYYY-MM ({fmt(meta[name])})")
    if meta["first_month"] < SCHEME_START_MONTH:
        raise ExtractError(
            rel, f"field 'first_month': {meta['first_month']} is before the scheme start ({SCHEME_START_MONTH})"
        )
    if meta["last_month"] < meta["first_month"]:
        raise ExtractError(
            rel, f"field 'last_month': {meta['last_month']} is before first_month {meta['first_month']}"
        )
    if "extracted" in meta:
        extracted_day(meta)
    if "opening_balances" in meta:
        _check_opening_balances(rel, meta["opening_balances"])
    if meta["source"] == "synthetic":
        gen = meta.get("generator")
        if not isinstance(gen, dict):
            raise ExtractError(rel, "field 'generator': required for synthetic data (an object)")
        for name in GENERATOR_FIELDS:
            if name not in gen:
                raise ExtractError(rel, f"field 'generator': missing '{name}'")
    return meta


def extracted_day(meta: dict) -> dt.date | None:
    """The optional field ``extracted`` of checked metadata: the day the extract was taken.

    Returns None when the field is absent; raises :class:`ExtractError` unless it is an ISO
    day (``YYYY-MM-DD``) not before the folder's first month.
    """
    rel = "extract.json"
    if "extracted" not in meta:
        return None
    value = meta["extracted"]
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ExtractError(rel, f"field 'extracted': not a date YYYY-MM-DD ({fmt(value)})")
    if day < month_start(meta["first_month"]):
        raise ExtractError(
            rel, f"field 'extracted': {day} is before the first month {meta['first_month']}"
        )
    return day


def _check_opening_balances(rel: str, value) -> None:
    """``opening_balances``: money >= 0 in pounds and pence, the parts no more than the total."""
    where = "field 'opening_balances'"
    if not isinstance(value, dict):
        raise ExtractError(rel, f"{where}: expected an object")
    unknown = [k for k in value if k not in OPENING_BALANCE_FIELDS]
    if unknown:
        raise ExtractError(rel, f"{where}: unknown field {fmt(unknown[0])} (allowed: "
                                f"{', '.join(OPENING_BALANCE_FIELDS)})")
    if OPENING_BALANCE_FIELDS[0] not in value:
        raise ExtractError(rel, f"{where}: missing '{OPENING_BALANCE_FIELDS[0]}'")
    for name, amount in value.items():
        if (isinstance(amount, bool) or not isinstance(amount, (int, float))
                or not math.isfinite(amount) or amount < 0
                or abs(round(amount * 100) - amount * 100) > 1e-6):
            raise ExtractError(rel, f"{where}: '{name}' is not money >= 0 in pounds and pence "
                                    f"({fmt(amount)})")
    parts = sum(value.get(k, 0) for k in OPENING_BALANCE_FIELDS[1:])
    if parts > value[OPENING_BALANCE_FIELDS[0]] + 0.005:
        raise ExtractError(rel, f"{where}: the parts ({parts:,.2f}) are more than "
                                f"'total_maintenance_liability' ({value[OPENING_BALANCE_FIELDS[0]]:,.2f})")
