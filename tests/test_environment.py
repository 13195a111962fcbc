"""The conda environment and the pip lock must pin the same versions."""

import re
import tomllib

import yaml

from cms_stats.paths import PROJECT_ROOT


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_norm(name)] = version.strip()
    return pins


def _conda_pip_pins() -> dict[str, str]:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {}
    for req in pip_section:
        if "==" in req:
            name, version = req.split("==", 1)
            pins[_norm(name)] = version.strip()
    return pins


def test_every_conda_pin_matches_the_lock():
    lock, conda = _lock(), _conda_pip_pins()
    mismatched = {n: (v, lock.get(n)) for n, v in conda.items() if lock.get(n) != v}
    assert not mismatched, f"environment.yml pins differ from requirements.lock: {mismatched}"


def test_every_direct_dependency_is_pinned_in_both():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    names = {_norm(re.split(r"[<>=!~ \[]", d)[0]) for d in direct}
    lock, conda = _lock(), _conda_pip_pins()
    assert names - set(lock) == set(), f"not in requirements.lock: {names - set(lock)}"
    assert names - set(conda) == set(), f"not in environment.yml: {names - set(conda)}"


def test_conda_python_is_311():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
