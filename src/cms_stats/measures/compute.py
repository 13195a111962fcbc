"""Computing every table of the registry: :func:`compute_all` and its checks.

:func:`compute_all` calls the functions the registry (``resources/tables.yaml``) names, for
every month up to a release period, and refuses any measure the registry does not declare.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pandas as pd

from cms_stats.registry import ComputeSpec, load_registry

from .common import tidy
from .context import Context

__all__ = ["MeasureError", "compute_function", "check_declared", "compute_all"]


class MeasureError(ValueError):
    """A compute function or its output does not match the registry."""


def compute_function(spec: ComputeSpec) -> Callable:
    """The function of ``cms_stats.measures`` that a registry ``compute`` entry names."""
    try:
        module = importlib.import_module(f"cms_stats.measures.{spec.module}")
        return getattr(module, spec.function)
    except (ImportError, AttributeError):
        raise MeasureError(f"tables.yaml: compute '{spec.name} per {spec.per}': no function "
                           f"{spec.function!r} in cms_stats.measures.{spec.module}") from None


def check_declared(frame: pd.DataFrame) -> None:
    """Every (table, measure, breakdown, unit) computed must be declared so in the registry.

    A measure computed but not declared would otherwise be rounded by a default and published
    without a label; an undeclared unit would be rounded by the wrong rule.
    """
    registry = load_registry()
    keys = frame[["table", "measure", "breakdown", "unit"]].drop_duplicates()
    for table, measure, breakdown, unit in keys.itertuples(index=False):
        if table not in registry.tables:
            raise MeasureError(f"computed table {table!r} is not declared in tables.yaml")
        declared = registry.tables[table].measures.get(measure)
        if declared is None:
            raise MeasureError(f"computed measure {measure!r} of {table} is not declared in tables.yaml")
        if declared.unit != unit:
            raise MeasureError(f"measure {measure!r} of {table} is computed in {unit!r} but "
                               f"declared in {declared.unit!r} in tables.yaml")
        if not declared.allows(breakdown):
            raise MeasureError(f"breakdown {breakdown!r} of measure {measure!r} ({table}) is not "
                               f"declared in tables.yaml")


def compute_all(folder, period: str, quarantine: pd.DataFrame | None = None,
                engine: str | None = None) -> pd.DataFrame:
    """Every table of the registry for every month up to ``period``, as known at its as-at date.

    Parameters
    ----------
    folder
        An extract folder (:func:`cms_stats.extracts.open_extracts`) or any object with the
        same API: ``months``, ``snapshot(month)``, ``applications()``, ``payments()``,
        ``liabilities()``, ``service_requests()``, ``reconsiderations()``, ``sample_months``,
        ``children_sample(month)``, ``mi(name)``, ``quarantine``.
    period : str
        The release period ``"YYYY-MM"``.
    quarantine : DataFrame, optional
        The quarantine of a validation of the whole folder
        (:attr:`cms_stats.extracts.ValidationReport.quarantine`): the DQ count then comes from
        it, whatever this function reads. Without it every extract is read here.
    engine : str, optional
        ``duckdb`` (the default) or ``spark``: the engine that runs the families written as
        engine expressions (:mod:`cms_stats.measures.engine`; ``CMS_STATS_ENGINE`` when not
        given).

    Returns
    -------
    DataFrame
        Tidy and unrounded: ``table, period, measure, breakdown, value, unit``, sorted by table,
        period, measure and breakdown.

    Notes
    -----
    The functions called are those the registry names (``compute`` in ``tables.yaml``), each
    once (``per period``): a family computes every month in one engine expression, over the
    snapshots scanned from their files once the loader has checked each. The as-at date is the last day of
    ``period``: events dated after it are ignored, a ``cleared_date`` after it counts as not
    cleared, MI rows are taken for months up to ``period``. These are the definitions
    applied to whatever the folder holds: which figures a release may publish (not a partial
    quarter, say) is decided after, by :func:`cms_stats.measures.availability.mask_unavailable`.
    """
    ctx = Context(folder, period, quarantine=quarantine, engine=engine)
    specs = load_registry().compute_functions()
    parts = [compute_function(s)(ctx) for s in specs]
    ctx.check_unchanged()
    frame = tidy([p for p in parts if len(p)] or [])
    check_declared(frame)
    return frame
