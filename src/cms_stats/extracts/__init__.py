"""The data contract (stated once) and the validating loader.

>>> from cms_stats.extracts import open_extracts, validate, ExtractError
>>> folder = open_extracts(data_dir)          # layout + extract.json checked
>>> folder.snapshot("2016-08")                # validated DataFrame, quarantined rows removed
>>> report = validate(data_dir)               # every file read and checked once
>>> open_extracts(data_dir, known_at=dt.date(2016, 9, 30))   # as known at a cut-off
"""

from cms_stats.months import month_end, months_between

from .contract import (
    CONTRACT,
    ID_PATTERNS,
    KNOWN_AT_DEFINITION,
    QUARANTINE_REASONS,
    SCHEME_START,
    SCHEME_START_MONTH,
    Column,
    FileSpec,
)
from .errors import ExtractError, PeriodError
from .folder import ExtractFolder, open_extracts
from .metadata import read_metadata
from .periods import check_period
from .readme import contract_markdown
from .validation import ValidationReport, validate

__all__ = [
    "CONTRACT",
    "ID_PATTERNS",
    "KNOWN_AT_DEFINITION",
    "QUARANTINE_REASONS",
    "SCHEME_START",
    "SCHEME_START_MONTH",
    "Column",
    "FileSpec",
    "contract_markdown",
    "ExtractError",
    "PeriodError",
    "ExtractFolder",
    "ValidationReport",
    "check_period",
    "month_end",
    "months_between",
    "open_extracts",
    "read_metadata",
    "validate",
]
