"""Chapter workers: long-lived processes that execute chapters with papermill.

Subprocesses (not multiprocessing) so the release works from any caller, including a script
without a ``__main__`` guard, and a crashed kernel cannot take the release down.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jupytext
import nbformat

from cms_stats.registry import load_registry
from cms_stats.release.kernel import SharedKernel
from cms_stats.work import ReleaseError

__all__ = ["Workers", "execute_chapter", "worker_main", "read_notebook", "one_line"]


_CHAPTER_TIMEOUT_S = 1800
_KERNEL_START_TIMEOUT_S = 120
#: This worker process's kernel, kept across its chapters (cms_stats.release.kernel).
_KERNEL = SharedKernel(_KERNEL_START_TIMEOUT_S)


#: Cells tagged ``table-<id>`` belong to a table's section: absent from an edition before the
#: table's ``first_edition`` (registry).
TABLE_TAG = re.compile(r"table-(T\d+|DQ)\Z")


def read_notebook(source: Path, period: str | None = None):
    """A MyST markdown chapter as a notebook (papermill reads ``.ipynb`` only).

    With ``period``, the cells of tables not yet published in that edition (tagged
    ``table-<id>``) are left out: the table is absent from the edition, not shown as ``[x]``.
    """
    nb = jupytext.read(source, fmt="md:myst")
    if period:
        present = set(load_registry().tables_in_edition(period))
        nb.cells = [c for c in nb.cells if all(
            m.group(1) in present for m in
            (TABLE_TAG.match(t) for t in c.metadata.get("tags", [])) if m)]
    return nb


def execute_chapter(source: str, out_path: str, parameters: dict, cwd: str,
                    final_cell: str = "", final_tag: str = "") -> str | None:
    """Run one chapter with papermill (in a worker process). Returns an error line or None.

    The worker's kernel is kept across its chapters and reset before each
    (:mod:`cms_stats.release.kernel`).

    ``final_cell``, when given, is appended as a last code cell tagged ``final_tag`` (the
    release records the chapter's imported modules with it, then removes it).
    """
    import papermill as pm  # deferred: a release that executes no chapter never loads it

    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the venv's kernelspec, not ~/.local
    os.environ.setdefault("MPLBACKEND", "agg")
    nb = read_notebook(Path(source), parameters.get("period"))
    if final_cell:
        nb.cells.append(nbformat.v4.new_code_cell(final_cell, metadata={"tags": [final_tag]}))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for attempt in (1, 2):
        try:
            km = _KERNEL.ready(cwd)
        except Exception as err:
            # A kernel that never answered or died while starting (a port taken between
            # choice and bind, a busy machine: seen in CI as "Kernel died before replying to
            # kernel_info") is started once more; a chapter that fails is not.
            _KERNEL.shutdown()
            if attempt == 1:
                continue
            return f"kernel did not start: {type(err).__name__}: {one_line(str(err))}"
        try:
            pm.execute_notebook(
                copy.deepcopy(nb), out_path, parameters=parameters, kernel_name="python3",
                cwd=cwd, progress_bar=False, log_output=False, km=km,
                request_save_on_cell_execute=False, execution_timeout=_CHAPTER_TIMEOUT_S,
                start_timeout=_KERNEL_START_TIMEOUT_S,
            )
        except pm.PapermillExecutionError as err:
            _KERNEL.shutdown()  # the next chapter gets a kernel no failed run has touched
            return f"cell {err.exec_count}: {err.ename}: {one_line(err.evalue)}"
        except Exception as err:  # kernel died, timeout, bad notebook: still one line
            _KERNEL.shutdown()
            return f"{type(err).__name__}: {one_line(str(err))}"
        finally:
            _KERNEL.done()
        return None
    return None


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, without terminal colours, at most ``limit`` characters."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))  # ANSI colours from tracebacks
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def worker_main() -> None:
    """A chapter worker process: one JSON job per stdin line, one JSON result per line.

    A line ``{"warm": <folder>}`` starts the worker's kernel (and its third-party imports)
    ahead of the chapters, with no result line (:meth:`Workers.warm`).
    """
    import papermill  # noqa: F401  deferred from the module: loaded here, before the first job

    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not corrupt the result stream
    for line in sys.stdin:
        job = json.loads(line)
        if "warm" in job:  # start the kernel and its imports now; no result line
            try:
                _KERNEL.ready(job["warm"])
            except Exception:  # the first chapter starts one again (and says why it failed)
                _KERNEL.shutdown()
            continue
        error = execute_chapter(job["source"], job["out"], job["parameters"], job["cwd"],
                                job.get("final_cell", ""), job.get("final_tag", ""))
        out.write(json.dumps({"name": job["name"], "error": error}) + "\n")
        out.flush()
    _KERNEL.shutdown()


class Workers:
    """Up to ``n`` long-lived worker processes executing chapters from a queue."""
    def __init__(self, n: int, log: Path, env: dict[str, str] | None = None):
        self.log = open(log, "w")
        code = "from cms_stats.release.workers import worker_main; worker_main()"
        env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=self.log, text=True,
                                       env=env) for _ in range(n)]

    def warm(self, cwd: str) -> None:
        """Have every worker start its kernel now, in ``cwd``, without waiting for it: the
        release does this while the measures run (on one core: the other starts the kernels),
        so the chapters find their kernels ready."""
        for proc in self.procs:
            proc.stdin.write(json.dumps({"warm": cwd}) + "\n")
            proc.stdin.flush()

    def run(self, jobs: list[dict], on_done: Callable[[dict], bool]) -> None:
        """Run ``jobs``; ``on_done(result)`` returns False to stop handing out jobs."""
        pending = list(jobs)
        busy: dict[int, dict] = {}
        sel = selectors.DefaultSelector()
        for i, proc in enumerate(self.procs):
            sel.register(proc.stdout, selectors.EVENT_READ, i)

        def hand_out(i: int) -> None:
            if pending:
                job = pending.pop(0)
                busy[i] = job
                self.procs[i].stdin.write(json.dumps(job) + "\n")
                self.procs[i].stdin.flush()

        for i in range(len(self.procs)):
            hand_out(i)
        deadline = time.monotonic() + _CHAPTER_TIMEOUT_S * max(1, len(jobs))
        while busy:
            events = sel.select(timeout=5)
            if time.monotonic() > deadline:
                raise ReleaseError("chapters did not finish in time")
            for key, _ in events:
                i = key.data
                line = self.procs[i].stdout.readline()
                if not line:  # the worker died (out of memory, killed)
                    job = busy.pop(i)
                    sel.unregister(key.fileobj)
                    on_done({"name": job["name"], "error":
                             f"the worker process died (exit {self.procs[i].wait()})"})
                    pending.clear()
                    continue
                result = json.loads(line)
                busy.pop(i)
                if on_done(result):
                    hand_out(i)
                else:
                    pending.clear()
        sel.close()

    def alive(self) -> bool:
        """Every worker still running (a pool kept across releases is used only then)."""
        return all(proc.poll() is None for proc in self.procs)

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()
