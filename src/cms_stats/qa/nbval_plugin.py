"""pytest plugin loaded into the nbval subprocess: readable expected-vs-actual diffs.

nbval reports a mismatching output through pytest's assertion comparison (``reference ==
test``), whose ndiff marks the stored output with ``+`` and the re-run with ``-`` and repeats
both strings in full. For a quality assurer we print a unified diff instead, labelled
``expected`` (stored in the release notebook) and ``actual`` (re-executed now).
"""

from __future__ import annotations

import difflib
import hashlib
import re

import pytest

EXPECTED = "expected (stored in the release notebook)"
ACTUAL = "actual (re-executed now)"


@pytest.hookimpl(tryfirst=True)
def pytest_assertrepr_compare(config, op, left, right):  # noqa: ANN001, ANN201 - pytest hook
    if op != "==" or not isinstance(left, str) or not isinstance(right, str):
        return None
    diff = list(difflib.unified_diff(_lines(left), _lines(right), EXPECTED, ACTUAL, lineterm="", n=3))
    return ["stored output differs from the re-executed output:", *diff]


_DATA_URI = re.compile(r"(data:[\w/+.-]+;base64,)([A-Za-z0-9+/=]{64,})")
MAX_LINE = 400


def _digest(match: re.Match) -> str:
    data = match.group(2)
    return f"{match.group(1)}<{len(data)} characters, md5 {hashlib.md5(data.encode()).hexdigest()[:12]}>"


def _lines(text: str) -> list[str]:
    """Lines to diff. Embedded images (base64 data URIs) are shown as their size and hash, long
    one-line HTML (a whole table) is split between tags so the diff points at the cell that
    changed, and any line still very long is cut."""
    text = _DATA_URI.sub(_digest, text)
    lines = text.splitlines()
    if any(len(line) > 200 for line in lines):
        lines = [part for line in lines for part in re.split(r"(?<=>)(?=<)", line)]
    return [line if len(line) <= MAX_LINE else line[:MAX_LINE] + f"... ({len(line)} characters)"
            for line in lines]


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ANN201
    failed = terminalreporter.stats.get("failed", [])
    if failed:
        terminalreporter.section("cells whose output was not reproduced")
        for rep in failed:
            terminalreporter.line(f"NOT REPRODUCED {rep.nodeid}")
