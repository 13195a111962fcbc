"""One Jupyter kernel per chapter worker, kept across its chapters and reset between them.

Starting a kernel and importing pandas and matplotlib into it cost about two-thirds of a
chapter's run (1.3 of 1.8 CPU seconds measured on a 2-core machine; a quarterly series runs
120 chapters). A worker keeps one kernel and, before each chapter, puts it back in the state a
fresh kernel would be in after the same imports:

- the user namespace and output history are cleared (``InteractiveShell.reset``, what
  ``%reset -f`` does), and the execution count starts at 1 again (a chapter's notebook has
  the same bytes, whichever chapters ran before);
- every ``cms_stats`` module is dropped from ``sys.modules``, so the chapter imports the package
  afresh: module-level state does not carry over, and the dependency record of the chapter
  cache (the ``cms_stats`` modules a chapter imported) is the chapter's own;
- matplotlib's figures are closed and its ``rcParams`` restored, and the warning filters
  restored, to what they were right after the kernel imported the third-party libraries;
- the working folder is the chapter's folder.

A kernel that died, failed a chapter or did not answer is shut down and the next chapter gets a
new one. ``tests/test_release.py`` shows a chapter's output is the same in a fresh kernel and
after other chapters.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import time
from queue import Empty

from jupyter_client.manager import KernelManager

__all__ = ["SharedKernel"]

#: Imported once per kernel: the third-party libraries every chapter imports.
_WARM_UP = """
import sys as _sys, types as _types, warnings as _warnings
import numpy, pandas, pyarrow.parquet, matplotlib, matplotlib.pyplot, myst_nb
_state = _types.ModuleType("_cms_kernel_state")
_state.rc = matplotlib.rcParams.copy()
_state.filters = list(_warnings.filters)
_sys.modules["_cms_kernel_state"] = _state
del _sys, _types, _warnings, _state
"""

#: Run before each chapter (not stored in the history: the execution count stays as it is set).
_RESET = """
get_ipython().reset(new_session=False)  # %reset -f without its second gc.collect()
import sys as _sys, os as _os, warnings as _warnings
for _name in [n for n in _sys.modules if n == "cms_stats" or n.startswith("cms_stats.")]:
    del _sys.modules[_name]
_name = None
_state = _sys.modules["_cms_kernel_state"]
_sys.modules["matplotlib.pyplot"].close("all")
_sys.modules["matplotlib"].rcParams.update(_state.rc)
_warnings.filters[:] = _state.filters
_warnings._filters_mutated()
_os.chdir({cwd!r})
get_ipython().history_manager.reset(new_session=True)  # as a new kernel: a new history session
get_ipython().execution_count = 1
del _sys, _os, _warnings, _state, _name
"""


def wait_for_ready(kc, timeout: float | None = None) -> None:
    """``kc.wait_for_ready`` of jupyter_client without its last 0.2 s.

    jupyter_client's version asks for ``kernel_info``, then drains IOPub until 0.2 s pass with
    no message: two clients a chapter (the reset's and papermill's) made that 0.4 s of idle
    time per chapter, most of a short chapter's run. This one stops at the request's own
    ``idle`` status on IOPub, which also shows IOPub is connected (a new subscriber can miss
    what was published before it joined: then the request is made again). What a new client
    can find queued are that request's messages; nbclient ignores any message whose parent is
    not the cell it runs.

    Parameters
    ----------
    kc : jupyter_client.BlockingKernelClient
        A client whose channels are started.
    timeout : float, optional
        Seconds to wait at most (default: no limit).

    Raises
    ------
    RuntimeError
        The kernel died, or did not answer in ``timeout`` seconds.
    """
    deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))

    def wait() -> float:  # a second at most, never past the deadline
        left = deadline - time.monotonic()
        if left <= 0:
            raise Empty
        return min(1.0, left)

    while True:
        msg_id = kc.kernel_info()
        reply = None
        with contextlib.suppress(Empty):
            while reply is None:  # skip late replies to an earlier request
                msg = kc.get_shell_msg(timeout=wait())
                if msg["parent_header"].get("msg_id") == msg_id:
                    reply = msg
        if reply is not None:
            with contextlib.suppress(Empty):
                while True:  # other output (a thread left printing) ends at the deadline
                    msg = kc.get_iopub_msg(timeout=wait())
                    if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"):
                        kc._handle_kernel_info_reply(reply)
                        return
        if not kc.is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


class SharedKernel:
    """A kernel kept by a worker process across chapters (see the module docstring).

    Parameters
    ----------
    start_timeout : float
        Seconds to wait for a new kernel to answer.
    """

    def __init__(self, start_timeout: float):
        self.start_timeout = start_timeout
        self.km: KernelManager | None = None
        self._clients: list = []
        atexit.register(self.shutdown)

    def ready(self, cwd: str) -> KernelManager:
        """The kernel, reset for a chapter run in ``cwd`` (a new one when there is none)."""
        if self.km is None or not self.km.is_alive():
            self.shutdown()
            km = KernelManager(kernel_name="python3")
            km.start_kernel(cwd=cwd)
            self.km = km
            # papermill makes a client per chapter and leaves it open on a kernel it does not
            # own: the clients are tracked here and closed after each chapter
            make_client = km.client

            def client(**kwargs):
                made = make_client(**kwargs)
                made.wait_for_ready = functools.partial(wait_for_ready, made)
                self._clients.append(made)
                return made

            km.client = client
            self._run(_WARM_UP)
        self._run(_RESET.format(cwd=cwd))
        return self.km

    def _run(self, code: str) -> None:
        kc = self.km.client()
        try:
            kc.start_channels()
            kc.wait_for_ready(timeout=self.start_timeout)
            reply = kc.execute_interactive(code, store_history=False, timeout=self.start_timeout,
                                           output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                content = reply["content"]
                raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: "
                                   f"{content.get('evalue')}")
        finally:
            self.done()

    def done(self) -> None:
        """Close the clients opened on the kernel since the last call."""
        for kc in self._clients:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        self._clients.clear()

    def shutdown(self) -> None:
        """Shut the kernel down (after a failed chapter, and when the worker ends)."""
        self.done()
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
            self.km = None
