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

A series keeps one such process for all its editions (:class:`Measurer`): importing the package
and its libraries took about 4 CPU seconds, once per edition before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pickle
import subprocess
import sys
import traceback
from pathlib import Path

__all__ = ["Ahead", "Measurer", "main"]

_CODE = "from cms_stats.editions.ahead import main; main()"


class Measurer:
    """A process that measures editions one after another, kept for a series.

    It runs one edition at a time: an edition handed over while another's result is still
    unread cancels that one (the series only measures ahead the edition it will build next).
    A cancelled or failed process is replaced by a new one at the next edition.

    Parameters
    ----------
    scratch : Path
        The folder of the log of failures (``editions-ahead.log``).
    """

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.proc: subprocess.Popen | None = None
        self.current: Ahead | None = None

    def submit(self, ahead: Ahead, args: dict) -> subprocess.Popen | None:
        """Hand one edition to the process (a new process when there is none or it ended).

        Parameters
        ----------
        ahead : Ahead
            The edition's handle (cancelled if another edition is handed over before its
            result is read).
        args : dict
            What :func:`main` reads: ``data_dir``, ``period``, ``known_at``, ``out``, ``engine``.

        Returns
        -------
        subprocess.Popen or None
            The process measuring it; None when it could not be handed over (the release then
            measures the edition itself).
        """
        if self.current is not None:
            self.current.cancel()
        for _attempt in (1, 2):  # a process that ended as it was handed the job: once more
            try:
                if self.proc is None or self.proc.poll() is not None:
                    self._start()
                self.proc.stdin.write(json.dumps(args) + "\n")
                self.proc.stdin.flush()
            except OSError:
                self.kill()
                continue
            self.current = ahead
            return self.proc
        return None

    def _start(self) -> None:
        self.kill()  # the pipes of an ended process are closed, not left to the collector
        # its errors go to a log: the release then measures itself and reports
        with open(self.scratch / "editions-ahead.log", "a") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", _CODE], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, text=True)

    def wait(self, out: Path) -> bool:
        """Wait for the edition whose result file is ``out``.

        Returns
        -------
        bool
            Whether it was measured (its result file written); False when it failed or the
            process ended. Lines that are not an answer about ``out`` are passed over.
        """
        self.current = None
        while self.proc is not None:
            line = self.proc.stdout.readline()
            if not line:
                return False
            answer, _, about = line.rstrip("\n").partition(" ")
            if about == str(out) and answer in ("ok", "failed"):
                return answer == "ok"
        return False

    def kill(self) -> None:
        """Stop the process, whatever it is doing."""
        self.current = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._close_pipes()
            self.proc = None

    def close(self) -> None:
        """End the process once it has finished what it was given (end of the series)."""
        if self.current is not None:
            self.current.cancel()
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=60)
        self.kill()  # what has not ended by then; the pipes closed

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()

    def __enter__(self) -> Measurer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    measurer : Measurer, optional
        The series' process; without it, a process of its own, ended once read.
    """

    def __init__(self, data_dir: Path, period: str, known_at: dt.date | None, scratch: Path,
                 engine: str | None = None, measurer: Measurer | None = None):
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
        self._own = measurer is None
        self.measurer = measurer if measurer is not None else Measurer(scratch)
        self.proc = self.measurer.submit(self, args)
        self.read = self.proc is None  # not handed over: nothing to wait for

    def result(self) -> dict | None:
        """The measured edition, or None when the subprocess failed or was cancelled."""
        if self.read:
            return None
        self.read = True
        measured = self.measurer.wait(self.out)
        if self._own:
            self.measurer.close()
        if not measured or not self.out.is_file():
            return None
        try:
            with open(self.out, "rb") as fh:
                return pickle.load(fh)
        finally:
            self.out.unlink(missing_ok=True)

    def cancel(self) -> None:
        """Stop the measurement (the series failed, or the release did not need it) and remove
        what it wrote; nothing to do once its result was read."""
        if self.read:
            return
        self.read = True
        self.measurer.kill()
        self.out.unlink(missing_ok=True)
        self.out.with_suffix(".part").unlink(missing_ok=True)  # killed while writing


def main() -> None:
    """The subprocess: one edition per line of its input (JSON), each measured and pickled
    (written aside, then renamed, so a result file is whole), answered ``ok <file>`` or
    ``failed <file>`` on its output (the reason in the log)."""
    # The answers get a copy of the output; anything else written there (a library, the JVM
    # Spark starts) goes to the log with the errors, and cannot be taken for an answer.
    answer = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from cms_stats.work import measure_edition  # deferred: the parent imports this module too

    for line in sys.stdin:
        args = json.loads(line)
        try:
            known_at = dt.date.fromisoformat(args["known_at"]) if args["known_at"] else None
            measured = measure_edition(Path(args["data_dir"]), args["period"], known_at,
                                       args["engine"])
            out = Path(args["out"])
            part = out.with_suffix(".part")
            with open(part, "wb") as fh:
                pickle.dump(measured, fh, protocol=pickle.HIGHEST_PROTOCOL)
            part.replace(out)
        except Exception:
            traceback.print_exc()
            answer.write(f"failed {args['out']}\n")
        else:
            answer.write(f"ok {args['out']}\n")
        answer.flush()
