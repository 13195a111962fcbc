"""The measures of the CMS 2012 Scheme statistics (every table of the registry).

Pure functions over validated DataFrames, one module per chapter, each returning the tidy,
unrounded shape ``table, period, measure, breakdown, value, unit``; and :func:`compute_all`,
which calls the functions the registry (``resources/tables.yaml``) names for every month up
to a release period.
"""

from __future__ import annotations

import importlib

#: Public name -> the module of this package that defines it. Loaded on first use: a chapter
#: that needs one definition (the arrears chapter's Direct Pay sensitivity) imports that module
#: alone, so its cache key does not cover every measure.
_EXPORTS = {
    "compute_all": "compute", "compute_function": "compute", "check_declared": "compute",
    "MeasureError": "compute", "not_available": "availability", "mask_unavailable": "availability",
    "COLUMNS": "common", "TABLE_ORDER": "common", "tidy": "common",
    "Context": "context",
    "children_benefiting": "children", "children_bootstrap_interval": "children",
    "direct_pay_sensitivity": "arrears", "sensitivity_inputs": "arrears",
}
_MODULES = ("arrears", "caseload", "children", "compliance", "fees", "intake", "quality", "service")

__all__ = sorted(_EXPORTS) + list(_MODULES)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
