"""Event rows kept on disk month by month while the simulation runs.

The largest event files (service requests: about 45 million rows at scale 1.0 over ten years;
payments: 6 million) would otherwise sit in memory until the simulation ends. Each month's rows are appended to one
raw file per column and read back a month at a time when the extract file is written, so
memory holds one month of them, whatever the number of months.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np


class SpilledEvents:
    """Per-month int64 event columns appended to files under ``folder``.

    Rows are added month by month (several ``add`` calls for one month join up); instead of
    concatenating, :meth:`months` reads them back one month at a time.

    Parameters
    ----------
    folder : pathlib.Path
        A folder of its own (created; the caller removes it).
    *names : str
        The columns.
    """

    def __init__(self, folder: Path, *names: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=False)
        self.names = names
        self.counts: list[list[int]] = []  # [month, rows], months in the order added
        for name in names:
            self._path(name).touch()

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.int64"

    def add(self, month: int, **arrays) -> None:
        """Append rows of ``month`` (every column, equal lengths, integers).

        Months must come in order: rows of an earlier month than the last added are refused.
        """
        if set(arrays) != set(self.names):
            raise ValueError(f"columns {sorted(arrays)} are not {sorted(self.names)}")
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) != 1:
            raise ValueError(f"columns of unequal lengths: {sorted(lengths)}")
        if self.counts and month < self.counts[-1][0]:
            raise ValueError(f"month {month} added after month {self.counts[-1][0]}")
        for name in self.names:
            column = np.asarray(arrays[name])
            as_int = column.astype(np.int64)
            if not np.array_equal(as_int, column):  # a value int64 would change
                raise ValueError(f"column {name} does not hold integers")
            with open(self._path(name), "ab") as fh:
                as_int.tofile(fh)
        if self.counts and self.counts[-1][0] == month:
            self.counts[-1][1] += lengths.pop()
        else:
            self.counts.append([month, lengths.pop()])

    def __len__(self) -> int:
        return sum(n for _, n in self.counts)

    def months(self) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """``(month, {name: int64 array})`` for each month added, in order."""
        start = 0
        for month, n in self.counts:
            yield month, {name: np.fromfile(self._path(name), np.int64, count=n, offset=8 * start)
                          for name in self.names}
            start += n
