"""Corrupt a small valid extract folder in many ways; `cms-stats validate` must say what is wrong.

The corruptions are data (tests/bad_inputs/corruptions.yaml); each is applied to a fresh copy
of a folder made by the generator at a tiny scale, and the real command line is run on it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "bad_inputs"))
import corrupt  # noqa: E402

CORRUPTIONS = corrupt.load_corruptions()


def run_validate(folder: Path, args: list[str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cms_stats.cli", "validate", str(folder), *(args or [])],
        capture_output=True,
        text=True,
        timeout=120,
    )


def quarantine_counts(stdout: str) -> dict[tuple[str, str], int]:
    """Parse the 'quarantined rows by reason' lines of the report."""
    counts = {}
    for line in stdout.splitlines():
        m = re.fullmatch(r"\s+(\S+): (.+): ([\d,]+)", line)
        if m:
            counts[(m.group(1), m.group(2))] = int(m.group(3).replace(",", ""))
    return counts


@pytest.fixture(scope="session")
def clean_folder(tmp_path_factory) -> Path:
    from cms_stats.synthetic import generate

    out = tmp_path_factory.mktemp("clean") / "extract"
    generate(out, seed=1, scale=0.01, start="2013-08", end="2014-09")
    return out


@pytest.fixture(scope="session")
def clean_report(clean_folder) -> subprocess.CompletedProcess:
    return run_validate(clean_folder)


def test_clean_folder_validates(clean_report):
    assert clean_report.returncode == 0, clean_report.stderr
    assert "All files meet the contract" in clean_report.stdout
    assert clean_report.stderr == ""


def test_at_least_thirty_kinds_of_corruption():
    names = [c["name"] for c in CORRUPTIONS]
    assert len(names) == len(set(names))
    assert len([c for c in CORRUPTIONS if "error" in c["expect"]]) >= 30
    assert len([c for c in CORRUPTIONS if "quarantine" in c["expect"]]) >= 5


@pytest.mark.parametrize("case", CORRUPTIONS, ids=[c["name"] for c in CORRUPTIONS])
def test_corruption(case, clean_folder, clean_report, tmp_path):
    if case.get("needs_non_root") and hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions (see test_extracts for the unit test)")
    folder = tmp_path / "extract"
    shutil.copytree(clean_folder, folder)
    corrupt.apply(folder, case["ops"])
    try:
        result = run_validate(folder, [str(a) for a in case.get("args", [])])
    finally:
        for p in folder.rglob("*"):  # let pytest clean up after a chmod
            os.chmod(p, 0o755)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    expect = case["expect"]
    if "error" in expect:
        want = expect["error"]
        assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        line = lines[0]
        assert want["file"] in line, line
        if "column" in want:
            assert f"column '{want['column']}'" in line, line
        if "row" in want:
            row = want["row"]
            if row == "total":
                row = corrupt.total_row(folder / want["file"])
            assert re.search(rf"\brow {row}\b", line), line
        assert want["contains"] in line, line
    elif "warning" in expect:  # reported by name, not refused
        assert result.returncode == 0, result.stderr
        assert f"  warning: {expect['warning']['file']}: {expect['warning']['contains']}" in result.stdout
        assert "All files meet the contract" in result.stdout
    elif "valid" in expect:  # a folder the contract accepts, though it looks odd
        assert result.returncode == 0, result.stderr
        assert "All files meet the contract" in result.stdout and result.stderr == ""
    else:
        want = expect["quarantine"]
        assert result.returncode == 0, result.stderr
        before = quarantine_counts(clean_report.stdout).get((want["file"], want["reason"]), 0)
        after = quarantine_counts(result.stdout).get((want["file"], want["reason"]), 0)
        assert after == before + 1, result.stdout
        # and nothing else changed: the other counts are as for the clean folder
        others_before = {k: v for k, v in quarantine_counts(clean_report.stdout).items() if k != (want["file"], want["reason"])}
        others_after = {k: v for k, v in quarantine_counts(result.stdout).items() if k != (want["file"], want["reason"])}
        assert others_after == others_before
