"""Every rule data/README.md states has a check (tests/contract/readme_rules.yaml).

The README's contract tables are parsed (each column's rule cell and each file's ``Rules:``
line); the mapping, explicit data, names for each rule the bad-input case that breaks it
(run through the real command line by tests/test_bad_inputs.py) or the test that does, or says
why the cell is a definition and no rule. A rule added to the contract without a check, or a
check that names nothing, fails here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "contract"))
sys.path.insert(0, str(HERE / "bad_inputs"))
import corrupt  # noqa: E402
from readme_rules import readme_rules  # noqa: E402

MAPPING = yaml.safe_load((HERE / "contract" / "readme_rules.yaml").read_text(encoding="utf-8"))


def test_the_readme_states_rules():
    rules = readme_rules()
    assert len(rules) > 50
    assert ("events/applications.parquet", "fee_status",
            "`no_fee` before 30 June 2014 and for all arrears-only applications") in rules


def test_every_rule_of_the_readme_has_a_check_and_nothing_else_is_mapped():
    stated = readme_rules()
    mapped = [tuple(entry[:3]) for entry in MAPPING]
    missing = [r for r in stated if r not in mapped]
    stale = [r for r in mapped if r not in stated]
    assert not missing, f"rules of data/README.md without a check: {missing}"
    assert not stale, f"checks of rules data/README.md no longer states: {stale}"


def test_every_check_names_a_real_case_or_test():
    corruptions = {c["name"] for c in corrupt.load_corruptions()}
    for file, column, rule, check in MAPPING:
        (kind, target), = check.items()
        where = f"{file} {column or '(file rule)'}: {rule}"
        if kind == "corruption":
            assert target in corruptions, f"{where}: no bad-input case {target!r}"
        elif kind == "test":
            path, name = target.split("::")
            tree = ast.parse((HERE.parent / path).read_text(encoding="utf-8"))
            names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            assert name in names, f"{where}: no test {target}"
        else:
            assert kind == "definition" and target, f"{where}: unknown check {check!r}"


def test_definitions_are_few():
    """A definition is a column's meaning, not a rule: most cells are rules with checks."""
    kinds = [next(iter(entry[3])) for entry in MAPPING]
    assert kinds.count("definition") <= 10
    assert kinds.count("corruption") >= 45
