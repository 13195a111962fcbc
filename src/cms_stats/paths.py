"""Paths anchored on the package, never on the working directory.

``CMS_STATS_BUILD_DIR`` moves the whole build tree (releases, work files, caches) elsewhere, so
benchmarks and tests can release without touching the user's ``_build/``.
"""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATA_DIR = DATA_DIR / "synthetic"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
RESOURCES_DIR = PACKAGE_DIR / "resources"


def build_dir() -> Path:
    """The build root: ``$CMS_STATS_BUILD_DIR`` or ``_build/`` in the project."""
    return Path(os.environ.get("CMS_STATS_BUILD_DIR") or PROJECT_ROOT / "_build").resolve()


BUILD_DIR = build_dir()
RELEASE_DIR = BUILD_DIR / "release"
WORK_DIR = BUILD_DIR / "work"
CACHE_DIR = BUILD_DIR / "cache"
