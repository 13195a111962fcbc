"""Paths anchored on the package, never on the working directory."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATA_DIR = DATA_DIR / "synthetic"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BUILD_DIR = PROJECT_ROOT / "_build"
RELEASE_DIR = BUILD_DIR / "release"
RESOURCES_DIR = PACKAGE_DIR / "resources"
