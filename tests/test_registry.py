"""The registry (resources/tables.yaml): everything derives from it, and anything unknown is an
error when it loads, never a silent default."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from cms_stats.book.charts import chart_names, chart_specs
from cms_stats.extracts import CONTRACT
from cms_stats.measures import MeasureError, check_declared, compute_function
from cms_stats.measures.common import TABLE_ORDER, Rows
from cms_stats.publish.policy import PolicyError, load_metadata, load_policy
from cms_stats.registry import REGISTRY_FILE, RegistryError, load_registry

REGISTRY = load_registry()


def _variant(tmp_path: Path, edit) -> Path:
    """A copy of the registry with ``edit(data)`` applied."""
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "tables.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_registry_loads_and_orders_tables_and_chapters():
    assert REGISTRY.table_order == tuple(f"T{i}" for i in range(1, 23)) + ("DQ",)
    assert TABLE_ORDER == REGISTRY.table_order
    assert REGISTRY.chapter_order[0] == "summary"
    assert REGISTRY.chapter_tables("service_standards") == ("T9", "T10", "T11", "T12", "T13", "T14")


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["tables"]["T2"]["measures"]["caseload"].update(unit="cases"), "unknown unit 'cases'"),
    (lambda d: d["tables"]["T2"].update(chapter="caseloads"), "unknown chapter 'caseloads'"),
    (lambda d: d["tables"]["T2"].update(notes=["rounding_counts_100", "no_such_note"]), "unknown note 'no_such_note'"),
    (lambda d: d["tables"]["T2"].update(colour="blue"), "unknown key 'colour'"),
    (lambda d: d["tables"]["T2"].pop("count_base"), "missing key 'count_base'"),
    (lambda d: d["tables"]["T2"].update(count_base=10), "contradicts count_base 10"),
    (lambda d: d["tables"]["T2"].update(compute=["caseload.t2 per week"]), "unknown scope 'week'"),
    # the engine computes every month at once: the scopes of the pass over the months are gone
    (lambda d: d["tables"]["T2"].update(compute=["caseload.t2 per month"]), "unknown scope 'month'"),
    (lambda d: d["tables"]["T5"].update(compute=["compliance.t5_t6 per quarter"]),
     "unknown scope 'quarter'"),
    (lambda d: d["tables"]["T2"].update(compute=[]), "no compute function"),
    (lambda d: d["tables"]["T3"]["not_applicable"][0].update(before="July 2014"), "is not a month"),
    (lambda d: d["tables"]["T1"]["not_applicable"][0].update(measure="arrears_applications"),
     "unknown measure 'arrears_applications'"),
    (lambda d: d["chapters"]["intake"].update(tables=["T1", "T99"]), "unknown table 'T99'"),
    (lambda d: d["chapters"]["intake"].update(tables=[]), "shows table T1 but does not declare it"),
    (lambda d: d["chapters"]["about"].update(files=["notes.txt"]), "unknown working file 'notes.txt'"),
    (lambda d: d["chapters"]["about"].update(files=[]), "must read extract.json"),
    (lambda d: d["tables"]["T3"]["not_applicable"][0].update(breakdown="over_19"),
     "unknown breakdown 'over_19'"),
    (lambda d: d["tables"].update(Table99=d["tables"]["T2"]), "a table id is T<number>"),
])
def test_anything_unknown_is_an_error_naming_where(tmp_path, edit, message):
    with pytest.raises(RegistryError, match=message):
        load_registry(_variant(tmp_path, edit))


def test_policy_and_metadata_take_every_table_from_the_registry():
    policy, meta = load_policy(), load_metadata()
    assert list(meta["tables"]) == list(REGISTRY.table_order)
    for table in REGISTRY.tables.values():
        for measure in table.measures.values():
            rule = policy.unit_rule(table.id, measure.name, measure.unit)
            if measure.unit == "count" and "published_unit" not in measure.rounding:
                assert rule.base == measure.rounding.get("count_base", table.count_base)
            assert meta["tables"][table.id]["measures"][measure.name]["label"] == measure.label


def test_an_undeclared_table_or_measure_is_never_rounded_by_a_default():
    policy = load_policy()
    with pytest.raises(PolicyError, match="table 'T99' is not in the registry"):
        policy.unit_rule("T99", "anything", "count")
    with pytest.raises(PolicyError, match="measure 'caseloads' is not declared for table T2"):
        policy.unit_rule("T2", "caseloads", "count")


def test_the_policy_files_hold_no_table_rules(tmp_path):
    """Per-table rules live in the registry only: a policy file that states them is refused."""
    policy = tmp_path / "policy.yaml"
    text = (REGISTRY_FILE.parent / "rounding_policy.yaml").read_text()
    policy.write_text(text + "\ntables:\n  T2: {count_base: 1000}\n")
    with pytest.raises(PolicyError, match="belongs in tables.yaml"):
        load_policy(policy)


def test_computed_measures_must_be_declared_with_their_unit():
    rows = Rows()
    rows.add("T2", "2016-08", "caseload", "all", 5.0, "count")
    check_declared(rows.frame())  # declared: fine
    undeclared = Rows()
    undeclared.add("T2", "2016-08", "caseloads", "all", 5.0, "count")
    with pytest.raises(MeasureError, match="'caseloads' of T2 is not declared"):
        check_declared(undeclared.frame())
    wrong_unit = Rows()
    wrong_unit.add("T2", "2016-08", "caseload", "all", 5.0, "mean")
    with pytest.raises(MeasureError, match="computed in 'mean' but declared in 'count'"):
        check_declared(wrong_unit.frame())
    wrong_breakdown = Rows()
    wrong_breakdown.add("T2", "2016-08", "caseload", "transferred", 5.0, "count")
    with pytest.raises(MeasureError, match="breakdown 'transferred' of measure 'caseload'"):
        check_declared(wrong_breakdown.frame())
    open_breakdowns = Rows()  # one per quarantine reason: declared open
    open_breakdowns.add("DQ", "2016-08", "quarantined_rows", "events/payments.parquet: any", 3.0, "count")
    check_declared(open_breakdowns.frame())
    unknown = pd.DataFrame([("T99", "2016-08", "x", "all", 1.0, "count")],
                           columns=["table", "period", "measure", "breakdown", "value", "unit"])
    with pytest.raises(MeasureError, match="table 'T99' is not declared"):
        check_declared(unknown)


@pytest.mark.parametrize("spec", REGISTRY.compute_functions(), ids=lambda s: s.name)
def test_every_compute_function_exists(spec):
    assert callable(compute_function(spec))


def test_every_table_reads_extracts_of_the_contract():
    for table in REGISTRY.tables.values():
        assert table.reads and set(table.reads) <= set(CONTRACT), (table.id, table.reads)


def test_every_chart_is_declared_by_its_table_and_drawn_by_a_spec():
    declared = [c for t in REGISTRY.tables.values() for c in t.charts]
    assert len(declared) == len(set(declared))
    assert set(declared) == set(chart_names())
    for table in REGISTRY.tables.values():
        for name in table.charts:
            assert chart_specs()[name].get("table", table.id) == table.id, name


def test_a_missing_compute_function_is_named(tmp_path):
    registry = load_registry(_variant(tmp_path, lambda d: d["tables"]["T2"].update(
        compute=["caseload.t2_typo per period"])))
    with pytest.raises(MeasureError, match="no function 't2_typo' in cms_stats.measures.caseload"):
        compute_function(registry.tables["T2"].compute[0])


def test_a_chapter_joins_the_book_with_its_first_table():
    """Clearances (T16) and enforcement (T19) are first published in August 2016: the books
    before it have neither chapter, the chapters no table names as theirs are in every book,
    and the edition's table of contents follows."""
    from cms_stats.registry_docs import toc

    early = REGISTRY.chapters_in_edition("2016-05")
    assert early == tuple(c for c in REGISTRY.chapter_order if c not in ("clearances", "enforcement", "areas"))
    assert REGISTRY.chapters_in_edition("2016-08") == REGISTRY.chapter_order
    assert REGISTRY.chapters_in_edition(None) == REGISTRY.chapter_order
    assert "notebooks/enforcement" not in toc(REGISTRY, "2016-05")
    assert "  - file: notebooks/enforcement" in toc(REGISTRY, "2016-08").splitlines()
    assert toc(REGISTRY) == toc(REGISTRY, "2016-08")


_DECIMAL_WORDS = {0: "whole number", 1: "one decimal place", 2: "two decimal places"}


def _percentage_rounding_problems(registry, notes: dict) -> list[str]:
    """Tables whose notes say their percentages are rounded otherwise than they are."""
    problems = []
    for table_id, table in registry.tables.items():
        decimals = {int((m.rounding or {}).get("decimals", 0))
                    for m in table.measures.values() if m.unit == "share"}
        said = [notes[k] for k in table.notes if k in notes and "Percentages" in notes[k]]
        for text in said:
            for d in set(_DECIMAL_WORDS) - decimals:
                if _DECIMAL_WORDS[d] in text:
                    problems.append(f"{table_id}: a note says {_DECIMAL_WORDS[d]}s")
        for d in decimals - {0}:
            if not any(_DECIMAL_WORDS[d] in text for text in said):
                problems.append(f"{table_id}: no note says {_DECIMAL_WORDS[d]}")
    return problems


def test_a_tables_notes_say_how_its_percentages_are_rounded():
    """The notes sheet and the CSV metadata state the rounding a reader must re-apply: Table 17's
    closures share is published to one decimal place, and its note once said whole numbers."""
    notes = load_metadata()["notes"]
    assert _percentage_rounding_problems(REGISTRY, notes) == []
    # the check finds the fault it was written for: T17's old note, and a share with decimals
    # whose table's note says nothing of them
    old = _variant_registry(lambda d: d["tables"]["T17"].update(
        notes=["closures", "closure_reasons", "rounding_counts_10", "percentages_unrounded"]))
    assert _percentage_rounding_problems(old, notes) == [
        "T17: a note says whole numbers", "T17: no note says one decimal place"]


def _variant_registry(edit):
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        return load_registry(_variant(Path(tmp), edit))
