"""A chapter worker keeps one kernel across its chapters (cms_stats.release.kernel): a chapter
run after others in the same kernel gives exactly the notebook a fresh kernel gives."""

from __future__ import annotations

import json
from queue import Empty

import nbformat
import pytest

from cms_stats import paths
from cms_stats.release import workers

pytestmark = pytest.mark.slow


def _cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.get("execution_count"),
             json.dumps(c.get("outputs", []), sort_keys=True)) for c in nb.cells]


def _run(name, out, period="2016-08"):
    error = workers.execute_chapter(str(paths.NOTEBOOKS_DIR / f"{name}.md"), str(out),
                                    {"period": period, "chapter": name, "data_hash": "h",
                                     "previous": ""}, str(paths.NOTEBOOKS_DIR))
    assert error is None, error


def test_a_chapter_after_others_equals_a_fresh_kernels(small_release, tmp_path, monkeypatch):
    monkeypatch.setenv("CMS_STATS_BUILD_DIR", str(small_release.parent.parent))
    monkeypatch.setenv("MPLBACKEND", "agg")
    workers._KERNEL.shutdown()
    try:
        _run("arrears", tmp_path / "first.ipynb")
        kernel = workers._KERNEL.km
        _run("intake", tmp_path / "after.ipynb")  # same kernel, after a chapter with charts
        assert workers._KERNEL.km is kernel
        workers._KERNEL.shutdown()
        _run("intake", tmp_path / "fresh.ipynb")
        assert workers._KERNEL.km is not kernel
    finally:
        workers._KERNEL.shutdown()
    after, fresh = _cells(tmp_path / "after.ipynb"), _cells(tmp_path / "fresh.ipynb")
    assert after == fresh
    assert after[1][2] == 1  # the first code cell after the parameters counts from 1 again
    # the comparison can fail: the chapter's own outputs are not empty and differ from another's
    assert any(cell[3] != "[]" for cell in after)
    assert after != _cells(tmp_path / "first.ipynb")


def test_a_failed_chapter_gives_the_next_one_a_new_kernel(small_release, tmp_path, monkeypatch):
    monkeypatch.setenv("CMS_STATS_BUILD_DIR", str(small_release.parent.parent))
    workers._KERNEL.shutdown()
    broken = tmp_path / "broken.md"
    broken.write_text((paths.NOTEBOOKS_DIR / "about.md").read_text(encoding="utf-8")
                      + "\n```{code-cell} ipython3\nraise ValueError('planted')\n```\n",
                      encoding="utf-8")
    try:
        error = workers.execute_chapter(str(broken), str(tmp_path / "b.ipynb"),
                                        {"period": "2016-08", "chapter": "about"},
                                        str(paths.NOTEBOOKS_DIR))
        assert error is not None and "ValueError: planted" in error
        assert workers._KERNEL.km is None
        _run("about", tmp_path / "about.ipynb")
    finally:
        workers._KERNEL.shutdown()


@pytest.fixture
def kernel():
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_wait_for_ready_answers_its_own_request_and_leaves_nothing_queued(kernel):
    """A late reply to an earlier request is skipped, IOPub is drained of the request's
    messages (its own ``idle`` ends the wait), and the client then runs code as usual."""
    from cms_stats.release.kernel import wait_for_ready

    km, kc = kernel
    wait_for_ready(kc, timeout=60)  # a new kernel: answers once started
    kc.kernel_info()  # an earlier request whose reply and status messages are still queued
    wait_for_ready(kc, timeout=60)
    with pytest.raises(Empty):
        kc.get_shell_msg(timeout=0.5)
    with pytest.raises(Empty):
        kc.get_iopub_msg(timeout=0.5)
    reply = kc.execute_interactive("6 * 7", timeout=60, store_history=False)
    assert reply["content"]["status"] == "ok"


def test_wait_for_ready_says_when_the_kernel_died(kernel):
    from cms_stats.release.kernel import wait_for_ready

    km, kc = kernel
    wait_for_ready(kc, timeout=60)
    km.provisioner.process.kill()
    km.provisioner.process.wait()
    with pytest.raises(RuntimeError, match="died"):
        wait_for_ready(kc, timeout=60)


def test_wait_for_ready_gives_up_at_its_timeout(kernel):
    """A kernel busy in a cell does not answer ``kernel_info``: the wait ends at its timeout."""
    import time

    from cms_stats.release.kernel import wait_for_ready

    km, kc = kernel
    wait_for_ready(kc, timeout=60)
    kc.execute("import time; time.sleep(60)")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="didn't respond in 2 seconds"):
        wait_for_ready(kc, timeout=2)
    assert time.monotonic() - started < 10
