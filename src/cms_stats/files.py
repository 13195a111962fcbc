"""Files written safely, hashed and read: the helpers every stage that writes, keys on or reads
its data files uses.

Writes are atomic (a reader sees the old file or the new one, whole); folders are swapped into
place whole; content hashes are SHA-256.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import shutil
from pathlib import Path

import yaml

__all__ = ["read_yaml", "sha256_file", "tree_files", "hash_files", "combine_hashes", "atomic_write_text",
           "write_if_changed", "pid_alive", "move_into_place", "lock", "Busy"]

_CHUNK = 1 << 20
# libyaml when PyYAML was built with it: the same data, several times faster (every chapter
# kernel parses the registry and the policy again after its reset).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(source):
    """Parse YAML as :func:`yaml.safe_load` does (same data, same ``yaml.YAMLError``), with
    libyaml when present.

    Parameters
    ----------
    source : str or file object
        YAML text, or an open text stream.
    """
    return yaml.load(source, Loader=_YAML_LOADER)


class Busy(RuntimeError):
    """Another process holds the lock."""


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        64 lowercase hex characters.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def tree_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
    )


def copy_path(src: Path, dst: Path) -> None:
    """Copy a file, or a folder with everything in it, to ``dst`` (its parent made); nothing
    when ``src`` does not exist."""
    if src.is_dir():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dst)
    elif src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


def hash_files(root: Path, memo: dict | None = None) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (relative POSIX path -> hex).

    ``memo`` maps ``"<abs path>"`` to ``[size, mtime_ns, digest]``: a file whose size and
    modification time are unchanged is not read again (full-scale extracts are large).
    """
    out = {}
    for p in tree_files(root):
        st = p.stat()
        key = str(p)
        hit = memo.get(key) if memo is not None else None
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            digest = hit[2]
        else:
            digest = sha256_file(p)
            if memo is not None:
                memo[key] = [st.st_size, st.st_mtime_ns, digest]
        out[p.relative_to(root).as_posix()] = digest
    return out


def combine_hashes(hashes: dict[str, str]) -> str:
    """Combined hash, the same as :func:`cms_stats.publish.manifest.hash_folder` (path order)."""
    h = hashlib.sha256()
    for rel, digest in sorted(hashes.items(), key=lambda item: tuple(item[0].split("/"))):
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds it (keeps the mtime Sphinx looks at)."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def move_into_place(staged: Path, final: Path) -> None:
    """Replace ``final`` by ``staged`` so that ``final`` is always either old or new, whole."""
    if not final.exists():
        os.rename(staged, final)
        return
    if _exchange(staged, final):
        shutil.rmtree(staged)  # now holds the old release
        return
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    os.rename(final, old)
    try:
        os.rename(staged, final)
    except BaseException:
        os.rename(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def lock(path: Path, error: type[Exception] = Busy):
    """Hold an exclusive lock on ``path`` (one release of a period at a time: they share the
    period's cache); ``error`` (default :class:`Busy`) when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise error(f"another release of this period is running (lock {path})") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
