"""Files written safely: the lock that keeps two releases of one period apart."""

import fcntl

import pytest

from cms_stats.files import Busy, lock
from cms_stats.work import ReleaseError


def test_a_held_lock_refuses_a_second_holder_in_one_line(tmp_path):
    path = tmp_path / "cache" / "2016-08.lock"
    with lock(path):
        # another process's flock on the same file: a separate open file description
        with open(path) as other:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(Busy, match="another release of this period is running"):
            with lock(path):
                pass
        with pytest.raises(ReleaseError, match="another release of this period is running"):
            with lock(path, error=ReleaseError):
                pass
    with lock(path):  # released: free again
        pass
