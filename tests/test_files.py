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


def test_read_yaml_gives_the_data_safe_load_gives_for_every_resource():
    """The fast loader (libyaml where present) reads every YAML file of the project as PyYAML's
    own safe loader does, and refuses what it refuses."""
    import yaml

    from cms_stats import paths
    from cms_stats.files import read_yaml

    files = sorted(paths.RESOURCES_DIR.rglob("*.yaml")) + [paths.PROJECT_ROOT / "_config.yml"]
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert read_yaml(text) == yaml.safe_load(text), path.name
    with pytest.raises(yaml.YAMLError):
        read_yaml("a: [1, 2\nb: 3")
    with pytest.raises(yaml.YAMLError):  # a safe loader builds no Python object
        read_yaml("!!python/object/apply:os.system ['true']")
