"""Shared fixtures: a small synthetic extract folder and a complete release built from it.

- ``small_data``: ``cms_stats.synthetic.generate(<tmp>, seed=7, scale=0.02)`` (session scope).
- ``small_release``: the release of :data:`SMALL_PERIOD` built from ``small_data`` with the
  project's notebooks into a temporary build root (session scope). It is the release folder;
  ``small_release.parent.parent`` is its build root (``work/``, ``cache/`` live there too).
- ``small_work``: the release's working folder (``<build>/work/<period>/``).

The data folders and the release are made once for the whole run, shared by the xdist
workers (``make test`` runs ``pytest -n auto``). They must be treated as read-only: a test that
needs to change them copies them first.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests judge results, not speed: a loaded CI machine must not fail them on time.
settings.register_profile("cms", deadline=None)
settings.load_profile("cms")

SMALL_SEED = 7
SMALL_SCALE = 0.02
SMALL_PERIOD = "2016-08"


def made_once(tmp_path_factory, name: str, make) -> Path:
    """``make(folder)`` run once for the whole test run, however many xdist workers share it:
    the first worker to ask makes it under a lock, the others wait and reuse it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's base folder, shared by its workers
    folder, done = root / f"shared-{name}", root / f"shared-{name}.done"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole test session (playwright's synchronous API runs an
    event loop in this thread while it is open: a second session beside it cannot start)."""
    from cms_stats.qa import browser_session

    with browser_session() as b:
        yield b


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    """A small synthetic extract folder (about 4 MB), 2013-08 to 2016-08."""
    from cms_stats.synthetic import generate

    return made_once(tmp_path_factory, "small-data",
                     lambda folder: generate(folder, seed=SMALL_SEED, scale=SMALL_SCALE))


@pytest.fixture(scope="session")
def small_release(small_data, tmp_path_factory) -> Path:
    """The complete release of 2016-08 from ``small_data`` (html, PDF, tables, CSV, manifest),
    built once for all xdist workers (read-only: a test that changes it works on a copy)."""
    from cms_stats.release import release

    build = made_once(tmp_path_factory, "small-build",
                      lambda folder: release(SMALL_PERIOD, data_dir=small_data, progress=None,
                                             build_dir=folder))
    return build / "release" / SMALL_PERIOD


@pytest.fixture(scope="session")
def small_work(small_release) -> Path:
    """The unrounded working files of ``small_release``."""
    return small_release.parent.parent / "work" / small_release.name


@pytest.fixture(scope="session")
def full_data(tmp_path_factory) -> Path:
    """The default synthetic data at scale 1.0 (seed 2012): ``data/synthetic`` when it was made
    by this generator version with those settings, else generated into a temporary folder, so
    the calibration runs on a fresh clone too."""
    import json

    from cms_stats.paths import DEFAULT_DATA_DIR
    from cms_stats.synthetic import GENERATOR_VERSION, generate

    meta = DEFAULT_DATA_DIR / "extract.json"
    if meta.exists():
        gen = json.loads(meta.read_text(encoding="utf-8")).get("generator", {})
        if (gen.get("version"), gen.get("seed"), gen.get("scale")) == (GENERATOR_VERSION, 2012, 1.0):
            return DEFAULT_DATA_DIR
    return made_once(tmp_path_factory, "full-data",
                     lambda folder: generate(folder, seed=2012, scale=1.0))


@pytest.fixture(scope="session")
def full_measures_with_folder(full_data):
    """``compute_all`` over the full data for 2016-08 on the default engine, with the folder it
    read (its quarantine): computed once per test process (about 45 s), shared by the
    calibration, the identities, the definitions' choices and the engine's backtests."""
    from cms_stats.extracts import open_extracts
    from cms_stats.measures import compute_all

    folder = open_extracts(full_data)
    return compute_all(folder, "2016-08"), folder


@pytest.fixture(scope="session")
def full_measures(full_measures_with_folder):
    """``compute_all`` over the full data for 2016-08 (:func:`full_measures_with_folder`'s frame)."""
    return full_measures_with_folder[0]
