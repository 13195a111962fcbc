"""The next edition's validation and measures, computed in a process of their own while the
current edition is published.

A thread would share the interpreter lock with the release's own Python work (spreadsheet,
CSV, disclosure audit), so the two would take turns on one core; a subprocess runs on the
other. Not :mod:`multiprocessing`: the series works from any caller, including a script
without a ``__main__`` guard (as the chapter workers, :mod:`cms_stats.release.workers`).

The result is what :func:`cms_stats.work.measure_edition` returns, handed back through a
pickle file in the build cache (the same code on the same machine reads it at once, then it is
removed). A failure is not an error here: :meth:`Ahead.result` gives None and the release
computes its measures itself, where any error is reported as usual.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import subprocess
import sys
from pathlib import Path

__all__ = ["Ahead", "main"]

_CODE = "from cms_stats.editions.ahead import main; main()"


class Ahead:
    """One edition measured in a subprocess; :meth:`result` waits for it.

    Parameters
    ----------
    data_dir : Path
        The extract folder.
    period : str
        The edition.
    known_at : datetime.date or None
        Its data cut-off.
    scratch : Path
        A folder for the result file (removed once read) and the log of failures.
    engine : str, optional
        The measures engine (:func:`cms_stats.measures.engine.engine_name`).
    """

    def __init__(self, data_dir: Path, period: str, known_at: dt.date | None, scratch: Path,
                 engine: str | None = None):
        scratch.mkdir(parents=True, exist_ok=True)
        # named by issue (period and cut-off): a correction of the same period, measured ahead
        # while its original is published, never shares the original's file
        cutoff = known_at.isoformat() if known_at else "all"
        self.out = scratch / f".ahead-{period}-{cutoff}.pickle"
        self.read = False
        self.out.unlink(missing_ok=True)
        args = {"data_dir": str(data_dir), "period": period,
                "known_at": known_at.isoformat() if known_at else None, "out": str(self.out),
                "engine": engine}
        # its errors go to a log beside it: the release then measures itself and reports
        with open(scratch / "editions-ahead.log", "a") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", _CODE, json.dumps(args)],
                                         stdout=log, stderr=log)

    def result(self) -> dict | None:
        """The measured edition, or None when the subprocess failed or was cancelled."""
        if self.read:
            return None
        self.read = True
        if self.proc.wait() != 0 or not self.out.is_file():
            return None
        try:
            with open(self.out, "rb") as fh:
                return pickle.load(fh)
        finally:
            self.out.unlink(missing_ok=True)

    def cancel(self) -> None:
        """Stop the subprocess (the series failed, or the release did not need it) and remove
        what it wrote; nothing to do once its result was read."""
        if self.read:
            return
        self.read = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.out.unlink(missing_ok=True)
        self.out.with_suffix(".part").unlink(missing_ok=True)  # killed while writing


def main() -> None:
    """The subprocess: measure one edition and pickle the result (written aside, then renamed,
    so a result file is whole)."""
    from cms_stats.work import measure_edition  # deferred: the parent imports this module too

    args = json.loads(sys.argv[1])
    known_at = dt.date.fromisoformat(args["known_at"]) if args["known_at"] else None
    measured = measure_edition(Path(args["data_dir"]), args["period"], known_at, args["engine"])
    out = Path(args["out"])
    part = out.with_suffix(".part")
    with open(part, "wb") as fh:
        pickle.dump(measured, fh, protocol=pickle.HIGHEST_PROTOCOL)
    part.replace(out)
