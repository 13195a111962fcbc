"""Child Maintenance Service 2012 Scheme statistics: extracts to a reproducible book."""

__version__ = "0.1.0"
