"""The language the contract is written in: column types, identifier patterns, and the
:class:`Column` / :class:`FileSpec` records. The contract itself (which files, which columns,
which rules) is stated in :mod:`cms_stats.extracts.contract`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Pseudonymous identifiers: prefix letter + fixed number of digits (never published).
ID_PATTERNS: dict[str, str] = {
    "case": r"C[0-9]{8}",
    "case_group": r"G[0-9]{8}",
    "application": r"A[0-9]{8}",
    "paying_parent": r"P[0-9]{8}",
    "receiving_parent": r"R[0-9]{8}",
    "payment": r"Y[0-9]{9}",
    "calculation": r"L[0-9]{9}",
    "service_request": r"S[0-9]{9}",
    "reconsideration": r"M[0-9]{8}",
    "accuracy_check": r"K[0-9]{7}",
    "enforcement_action": r"E[0-9]{9}",
}

MONTH_PATTERN = r"[0-9]{4}-(0[1-9]|1[0-2])"

#: Column types of the contract and what each accepts.
TYPES: dict[str, str] = {
    "month": "text `YYYY-MM`",
    "id": "text identifier (pattern)",
    "code": "text, one of the listed codes",
    "date": "date (parquet `date32`; `date64`, midnight timestamps and ISO `YYYY-MM-DD` text accepted)",
    "money": "GBP, float (integers and decimals accepted), 2 dp",
    "count": "whole number >= 0",
    "integer": "whole number",
}

@dataclass(frozen=True)
class Column:
    """One column of a file of the contract.

    Parameters
    ----------
    name : column name, exactly as in the file.
    type : one of :data:`TYPES`.
    rule : the rule in words (for ``data/README.md``).
    nullable : whether a missing value is allowed.
    codes : allowed values of a ``code`` column.
    codes_named : the allowed codes in words, when they are too many to list (README, errors).
    id_kind : key of :data:`ID_PATTERNS` for an ``id`` column.
    min, max : allowed range (``min_inclusive`` says whether ``min`` itself is allowed).
    below_min : ``"error"`` (fatal) or ``"quarantine"`` (row excluded with a reason).
    below_min_label : the quarantine reason for a value below ``min``, when the rule in words
        (:attr:`below_min_reason`) is not how the publication names it.
    optional : whether the column may be absent from its file. An absent optional column is
        added by the loader as all-null (of the column's type, without checks) and recorded in
        ``ExtractFolder.absent_columns``; a present one is checked like any other column.
    absent : what absence of an optional column means, in words (for ``data/README.md``).
    """

    name: str
    type: str
    rule: str = ""
    nullable: bool = False
    codes: tuple[str, ...] | None = None
    codes_named: str | None = None
    id_kind: str | None = None
    min: float | None = None
    min_inclusive: bool = True
    max: float | None = None
    below_min: str = "error"
    below_min_label: str | None = None
    optional: bool = False
    absent: str = ""

    def __post_init__(self) -> None:
        if self.optional and not self.absent:
            raise ValueError(f"optional column {self.name!r} must say what its absence means")

    @property
    def below_min_reason(self) -> str:
        """The quarantine reason for a value below ``min``: names this column and its rule.

        Returns
        -------
        str
            :attr:`below_min_label` if given, else the broken rule in words: ``non-positive
            amount`` (rule ``> 0``), ``negative amount`` (``>= 0``), ``amount below 1``
            (``>= 1``), ``amount not above 1`` (``> 1``).
        """
        if self.below_min_label:
            return self.below_min_label
        if self.min == 0:
            return f"{'negative' if self.min_inclusive else 'non-positive'} {self.name}"
        return f"{self.name} {'below' if self.min_inclusive else 'not above'} {self.min:g}"

    @property
    def pattern(self) -> str | None:
        if self.type == "id":
            return ID_PATTERNS[self.id_kind]
        if self.type == "month":
            return MONTH_PATTERN
        return None


@dataclass(frozen=True)
class FileSpec:
    """One file (or family of monthly files) of the extract folder."""

    key: str
    path: str  # relative path; ``{month}`` stands for ``YYYY-MM``
    kind: str  # "parquet" or "xlsx"
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    sheet: str | None = None
    total_row: bool = False
    frequency: str = "single"  # "single", "monthly" (snapshots), "six-monthly" (samples)
    #: column checked against the window [SCHEME_START, end of last_month] (quarantine)
    window_column: str | None = None
    #: MI feeds: the optional column dating each delivery of a month (``primary_key`` + it is
    #: unique when present; the latest delivery on or before the cut-off counts)
    delivery_column: str | None = None
    #: further rules, in words (checked by the loader; see rules.FILE_RULES)
    rules: tuple[str, ...] = field(default_factory=tuple)
    #: whether a file with its columns and no data rows is valid (else "no rows" is fatal)
    may_be_empty: bool = False
    #: whether the file may be absent from the folder (its description says what absence means)
    optional_file: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def optional_columns(self) -> list[str]:
        """The columns that may be absent from the file (see :attr:`Column.optional`)."""
        return [c.name for c in self.columns if c.optional]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def recorded_column(event_column: str) -> Column:
    """``recorded_date``: the day an event row was recorded in the system (optional)."""
    return Column(
        "recorded_date",
        "date",
        f"the day the row was recorded in the system: on or after `{event_column}`; the row is "
        "known from the end of that day (see *The data as known at a cut-off*)",
        optional=True,
        absent="the file does not say when rows were recorded: every row counts as known at "
        "extraction, so the file is the same at every cut-off",
    )


def delivered_column() -> Column:
    """``delivered_date``: the day a row of an MI feed was delivered (optional)."""
    return Column(
        "delivered_date",
        "date",
        "the day this row was delivered: not before the last day of its `month`. A month may "
        "appear once per delivery (re-delivered with revised values), its rows in delivery "
        "order; the latest delivery on or before the cut-off counts",
        optional=True,
        absent="one row per month, each counting as delivered at extraction (never revised)",
    )
