"""Re-run a release's executed notebooks and check every output is reproduced (nbval, strict).

nbval compares, cell by cell, every output field except ``metadata``, ``execution_count``,
``traceback`` and images (``image/png``, ``image/jpeg``): so ``text/plain``, ``text/html``,
``text/markdown``, ``image/svg+xml``, glue records and stdout/stderr streams must come out the
same. Only genuinely volatile text is masked, by the regexes in ``tests/nbval_sanitize.cfg``.

The notebooks read their inputs from absolute paths injected as papermill parameters, so they
re-run from any working directory. pytest runs in a subprocess (its own rootdir, no cache, no
project conftest) so the check behaves the same from ``make qa`` and from inside a test session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cms_stats import paths

SANITIZE_FILE = paths.PROJECT_ROOT / "tests" / "nbval_sanitize.cfg"
CELL_TIMEOUT_S = 600


@dataclass(frozen=True)
class NbvalResult:
    """Outcome of one nbval run: pytest's exit code and everything it printed."""

    returncode: int
    output: str
    notebooks: tuple[Path, ...]

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def release_notebooks(release_dir: str | os.PathLike[str]) -> list[Path]:
    """The executed chapter notebooks of a release (``<release>/notebooks/*.ipynb``), sorted."""
    nb_dir = Path(release_dir) / "notebooks"
    notebooks = sorted(p for p in nb_dir.glob("*.ipynb") if not p.name.startswith("."))
    if not notebooks:
        raise FileNotFoundError(f"{nb_dir}: no executed notebooks (*.ipynb) to re-run")
    return notebooks


def run_nbval(
    release_dir: str | os.PathLike[str] | None = None,
    *,
    notebooks: Sequence[str | os.PathLike[str]] | None = None,
    sanitize_file: str | os.PathLike[str] | None = SANITIZE_FILE,
    extra_args: Sequence[str] = (),
    timeout: float | None = None,
) -> NbvalResult:
    """Re-execute notebooks with ``pytest --nbval`` and capture the result.

    Parameters
    ----------
    release_dir : path, optional
        A release folder; its ``notebooks/*.ipynb`` are checked.
    notebooks : list of paths, optional
        Check these notebooks instead.
    sanitize_file : path or None
        nbval sanitize file (regex/replace pairs for volatile output); None for none at all.
    extra_args : list of str
        More pytest arguments (e.g. ``["-x"]``).
    timeout : float, optional
        Seconds before the whole run is abandoned.

    Returns
    -------
    NbvalResult
        ``returncode`` 0 when every cell ran and reproduced its stored outputs.
    """
    if notebooks is None:
        if release_dir is None:
            raise ValueError("give release_dir or notebooks")
        notebooks = release_notebooks(release_dir)
    nbs = tuple(Path(n).resolve() for n in notebooks)
    missing = [str(n) for n in nbs if not n.is_file()]
    if missing:
        raise FileNotFoundError(f"notebooks not found: {', '.join(missing)}")
    args = [
        sys.executable, "-m", "pytest",
        "--nbval",  # strict: outputs compared, not just "runs without error"
        "--nbval-current-env",  # the kernel is this interpreter (this venv), whatever PATH says
        f"--nbval-cell-timeout={CELL_TIMEOUT_S}",
        "-p", "no:cacheprovider",  # write nothing into the release folder
        "-o", "addopts=",
        "--color=no",
        "-vv",  # one line per cell, and the full expected-vs-actual diff of a failing cell
        "-rN",  # the plugin below lists the failing cells once, without repeating each diff
        "-p", "cms_stats.qa.nbval_plugin",
    ]
    if sanitize_file is not None:
        sanitize = Path(sanitize_file)
        if not sanitize.is_file():
            raise FileNotFoundError(f"{sanitize}: nbval sanitize file not found")
        args.append(f"--nbval-sanitize-with={sanitize}")
    args.extend(extra_args)
    with tempfile.TemporaryDirectory(prefix="cms-nbval-") as tmp:
        # An empty ini in a scratch folder: the project's pytest settings and conftest files are
        # not picked up, and the notebooks' folders stay untouched.
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        # rootdir = the notebooks' folder, so failures name the notebook ("chap.ipynb::Cell 4").
        rootdir = os.path.commonpath([str(n.parent) for n in nbs])
        args.extend(["-c", str(ini), "--rootdir", rootdir])
        args.extend(str(n) for n in nbs)
        env = dict(os.environ)
        env.pop("PYTEST_ADDOPTS", None)
        env.pop("PYTEST_XDIST_WORKER", None)
        if release_dir is not None:
            # The chapters carry no build path: they find their working files under the build
            # root that holds the release (<build>/release/<period>), as the release ran them.
            env["CMS_STATS_BUILD_DIR"] = str(Path(release_dir).resolve().parent.parent)
        proc = subprocess.run(args, cwd=rootdir, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    return NbvalResult(proc.returncode, proc.stdout + proc.stderr, nbs)


def nbval(release_dir: str | os.PathLike[str], *, quiet: bool = False, **kwargs) -> int:
    """Re-run a release's notebooks with ``pytest --nbval``; print the report; return the exit code.

    Parameters
    ----------
    release_dir : path
        The release folder (``_build/release/<period>``).
    quiet : bool
        Print nothing (the output is in ``run_nbval(...).output``).
    **kwargs
        Passed to :func:`run_nbval`.

    Returns
    -------
    int
        0 when every output is reproduced; pytest's exit code otherwise.
    """
    result = run_nbval(release_dir, **kwargs)
    if not quiet:
        print(result.output, end="" if result.output.endswith("\n") else "\n")
    return result.returncode
