"""Errors raised for bad input: one line naming the file, the column and the row."""

from __future__ import annotations


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class ExtractError(Exception):
    """A fatal fault in an extract folder.

    Parameters
    ----------
    file : path of the file relative to the extract folder (e.g. ``events/payments.parquet``).
    message : what is wrong, in words.
    column : the column at fault, if any.
    row : 1-based data row (Excel: the sheet row number), if any.
    sheet : the Excel sheet, if any.

    ``str(err)`` is a single line, e.g.
    ``snapshots/cases_2016-08.parquet: column 'weekly_liability', row 17: negative money (-3.20)``.
    """

    def __init__(
        self,
        file: str,
        message: str,
        column: str | None = None,
        row: int | None = None,
        sheet: str | None = None,
    ):
        self.file = str(file)
        self.message = _one_line(message)
        self.column = column
        self.row = None if row is None else int(row)
        self.sheet = sheet
        super().__init__(self.file, self.message, self.column, self.row)

    def __str__(self) -> str:
        where = [f"sheet '{self.sheet}'"] if self.sheet else []
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        head = self.file + (": " + ", ".join(where) if where else "")
        return _one_line(f"{head}: {self.message}")


class PeriodError(ExtractError):
    """A release period that the extract folder does not cover."""
