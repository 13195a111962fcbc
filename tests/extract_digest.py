"""A digest of an extract folder's content, for tests that stand for data rather than for a
version of the generator's code (the engine's backtest fixtures, the generator's golden folder)."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path


@functools.cache
def content_digest(folder: Path) -> str:
    """SHA-256 of an extract folder's content: every file's path and bytes, ``extract.json``
    without the generator's version. A change to the generator that writes the same files
    keeps the digest; any changed byte of any file changes it."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "extract.json":
            meta = json.loads(data)
            meta["generator"].pop("version")
            data = json.dumps(meta, sort_keys=True).encode()
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + data + b"\0")
    return digest.hexdigest()
