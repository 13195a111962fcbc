"""The benchmark's plain-DuckDB reference (``benchmarks/bench_duckdb.py``, issue 17 aim 3).

The ratio "measures / reference" compares like with like only if the reference computes the
same tables: every table the measures compute (T1-T22 and DQ, every month, every breakdown),
each figure equal to the measures' (counts exactly, money to the penny), written in SQL from
the definitions rather than from the measures' code. Checked on the small synthetic folder (at
its last month, and at an earlier period so that the as-at date leaves events out) and on the
hand-built folders (a late start with opening balances and split payments, optional columns
and files absent), and the comparison is shown to fail on a figure moved by a penny or by one.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from cms_stats.extracts import open_extracts
from cms_stats.measures import compute_all
from cms_stats.measures.bench import KEY, REFERENCE, agreement

sys.path.insert(0, str(Path(__file__).resolve().parent / "handbuilt"))
import build  # noqa: E402

#: The figures the reference leaves to Python: T4's interval (a t quantile).
NOT_IN_SQL = {("T4", "children_benefiting", "lower_95"), ("T4", "children_benefiting", "upper_95"),
              ("T4", "mean_children_per_case", "lower_95"), ("T4", "mean_children_per_case", "upper_95")}


def _script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _script(REFERENCE)


@pytest.fixture(scope="module")
def contributions():
    return _script(REFERENCE.with_name("compare_duckdb.py")).contributions


def _left_out(measures: pd.DataFrame, reference: pd.DataFrame) -> set[tuple[str, str, str]]:
    """The measures' figures (table, measure, breakdown) the reference does not compute."""
    both = measures[KEY].merge(reference[KEY], on=KEY, how="left", indicator=True)
    missing = both[both["_merge"] == "left_only"]
    return set(map(tuple, missing[["table", "measure", "breakdown"]].drop_duplicates().to_numpy()))


@pytest.mark.parametrize("period", ["2016-08", "2015-05"])
def test_the_reference_computes_every_table_the_measures_compute(bench, contributions, small_data, period):
    timings = {}
    reference = bench.reference(small_data, period, timings)
    measures = compute_all(open_extracts(small_data), period)
    assert set(reference["table"]) == set(measures["table"])
    assert _left_out(measures, reference) == NOT_IN_SQL
    assert not reference.duplicated(KEY).any()
    compared, differences = agreement(measures, reference)
    assert (compared, differences) == (len(reference), [])
    assert compared == len(measures) - measures.set_index(["table", "measure", "breakdown"]).index.isin(
        list(NOT_IN_SQL)).sum()
    assert set(timings) == {"setup", *bench.FAMILIES}
    # the dominance rule's two largest contributions (T8, T20, DQ money), to the penny
    tops, top_differences = contributions(measures, reference)
    assert (tops, top_differences) == (measures["top1"].notna().sum(), [])
    assert set(reference.loc[reference["top1"].notna(), "table"]) == {"T8", "T20", "DQ"}
    # the folder's rules are exercised: rows quarantined, events after the as-at date
    quarantined = reference.query("measure == 'quarantined_rows' and breakdown == 'all'")["value"]
    assert quarantined.tolist() and quarantined.iloc[0] > 0


def test_a_figure_moved_by_a_penny_or_by_one_is_found(bench, contributions, small_data):
    reference = bench.reference(small_data, "2016-08")
    measures = compute_all(open_extracts(small_data), "2016-08")
    for measure, step in [("cash_due", 0.01), ("legacy_csa_arrears", 0.01), ("caseload", 1),
                          ("applications_uncleared", 1), ("cleared_within_28_days_share", 1e-6),
                          ("quarantined_rows", 1)]:
        moved = reference.copy()
        row = moved.index[moved["measure"] == measure][-1]
        moved.loc[row, "value"] += step
        compared, differences = agreement(measures, moved)
        assert compared == len(reference) and len(differences) == 1, measure
    for measure in ("total_maintenance_liability", "arrears_on_closed_cases", "legacy_csa_arrears"):
        moved = reference.copy()
        moved.loc[moved.index[moved["measure"] == measure][-1], "top2"] += 0.01
        assert len(contributions(measures, moved)[1]) == 1, measure
    # a penny on the largest money figure (no relative tolerance hides it)
    moved = reference.copy()
    largest = moved.loc[moved["unit"] == "gbp", "value"].idxmax()
    assert moved.loc[largest, "value"] > 5e6
    moved.loc[largest, "value"] += 0.01
    assert len(agreement(measures, moved)[1]) == 1
    # and a figure the measures do not have is a difference too, even a null one
    extra = pd.concat([reference.head(1).assign(period="2099-01")], ignore_index=True)
    assert len(agreement(measures, extra)[1]) == 1
    assert len(agreement(measures, extra.assign(value=float("nan")))[1]) == 1


@pytest.mark.parametrize("name", build.folder_names())
def test_the_reference_equals_the_measures_on_each_hand_built_folder(bench, contributions, name, tmp_path):
    """A late start with opening balances and payments split into arrears, a folder with every
    case on Direct Pay, one month: the figures it computes are equal, and it leaves out only
    the tables whose optional column or file the folder lacks (and T4's interval)."""
    doc = build.load(name)
    folder = build.write_folder(doc, tmp_path / name)
    period = doc["expected"]["period"]
    reference = bench.reference(folder, period)
    measures = compute_all(open_extracts(folder), period)
    compared, differences = agreement(measures, reference)
    assert (compared, differences) == (len(reference), [])
    assert contributions(measures, reference)[1] == []
    assert {"T1", "T2", "T5", "T6", "T8", "T14", "DQ"} <= set(reference["table"])
    absent = {c for columns in open_extracts(folder).absent_columns.values() for c in columns} | {
        f for f in ("closures", "enforcement_actions") if not (folder / "events" / f"{f}.parquet").exists()}
    needing = {table for (table, measure), need in bench.NEEDS.items() if measure is None and absent & set(need)}
    assert not needing & set(reference["table"])
    assert {t for t, _, _ in _left_out(measures, reference)} <= needing | {"T4", "T17", "DQ"}


def test_the_measures_stage_after_the_validation_stage_gives_the_same_figures(small_data, tmp_path):
    """The benchmark's measures stage as a release runs it (the validation stage first, its
    quarantine handed on, the files not checked again) is timed apart from the validation and
    gives exactly the figures of the measures run alone (which make the loader's checks)."""
    from cms_stats.measures.bench import run

    out = tmp_path / "measures.parquet"
    figures = run(small_data, "2016-08", out=str(out), quiet=True, validated=True)
    assert figures["validation_s"] > 0 and figures["validation_cpu_s"] > 0
    assert figures["seconds"] > 0 and figures["months"] == 37
    pd.testing.assert_frame_equal(pd.read_parquet(out),
                                  compute_all(open_extracts(small_data), "2016-08"))
    # the quarantined rows the validation found are the DQ count the measures publish
    dq = pd.read_parquet(out).query("table == 'DQ' and measure == 'quarantined_rows' and "
                                    "breakdown == 'all'")["value"]
    assert dq.iloc[-1] > 0
