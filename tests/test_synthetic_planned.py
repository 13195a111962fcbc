"""The planned measures in the synthetic data (model 1.3, ``synthetic/_planned.py``).

Drawn from random streams of their own, they leave every other column of the folder as model
1.2 wrote it (a folder written with the plain writer is compared column by column); their
codes are the contract's; at scale 1.0 their rates are the stated assumptions of
``parameters.yaml`` (shared care in a minority of calculations, most in the lowest band;
enforcement mostly on Collect and Pay, deduction from earnings the commonest action, committal
very rare; legacy CSA arrears on most arrears-only cases, long-tailed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import cms_stats.synthetic as synthetic
from cms_stats.extracts.contract import CONTRACT, ENFORCEMENT_ACTION_TYPES
from cms_stats.synthetic import _writer

PLANNED_COLUMNS = ["shared_care_nights", "in_enforcement", "csa_arrears", "constituency_code"]
SMALL = dict(seed=3, scale=0.01, start="2013-08", end="2014-12")


class _PlainWriter(_writer.ExtractWriter):
    """Model 1.2's writer: no planned columns, no actions file."""

    def __init__(self, folder, id_offsets, params, seed):
        super().__init__(folder, id_offsets)

    def write_actions(self, path, extracted):
        pass


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("planned")
    planned = synthetic.generate(root / "planned", **SMALL)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synthetic, "PlannedMeasuresWriter", _PlainWriter)
        plain = synthetic.generate(root / "plain", **SMALL)
    return planned, plain


def test_every_other_column_keeps_its_values(both):
    planned, plain = both
    files = sorted(p.relative_to(plain) for p in plain.rglob("*") if p.is_file())
    assert files and {Path("events/enforcement_actions.parquet")} == (
        {p.relative_to(planned) for p in planned.rglob("*") if p.is_file()} - set(files))
    for rel in files:
        if rel.suffix == ".parquet":
            old, new = pq.read_table(plain / rel), pq.read_table(planned / rel)
            assert new.select(old.column_names).equals(old), rel
            extra = [c for c in new.column_names if c not in old.column_names]
            assert extra == (PLANNED_COLUMNS if rel.parts[0] == "snapshots" else []), rel
        elif rel.name != "extract.json":
            assert (plain / rel).read_bytes() == (planned / rel).read_bytes(), rel


def test_the_planned_data_follow_the_contract(both):
    planned, _ = both
    params = synthetic.load_parameters()
    assert tuple(params["enforcement"]["action_types"]) == ENFORCEMENT_ACTION_TYPES
    snapshot_columns = CONTRACT["snapshot"].column_names
    actions = pd.read_parquet(planned / "events/enforcement_actions.parquet")
    assert list(actions.columns) == CONTRACT["enforcement_actions"].column_names
    assert len(actions) > 0 and actions["action_id"].is_unique
    assert (actions["recorded_date"] >= actions["action_date"]).all()
    cases = set()
    for path in sorted((planned / "snapshots").glob("*.parquet")):
        snap = pd.read_parquet(path)
        assert list(snap.columns) == snapshot_columns
        nights = snap["shared_care_nights"].dropna()
        assert nights.between(0, 365).all()
        assert snap["in_enforcement"].isin([0, 1]).all()
        assert (snap["csa_arrears"] >= 0).all()
        # a case in enforcement has 2012-scheme arrears of at least the threshold
        threshold = params["enforcement"]["arrears_threshold"]
        assert (snap.loc[snap["in_enforcement"] == 1, "arrears_closing"] >= threshold).all()
        cases |= set(snap["case_id"])
    assert set(actions["case_id"]) <= cases


@pytest.mark.slow
def test_rates_at_scale_one_are_the_stated_assumptions(full_data, full_measures):
    """August 2016, from the project's measures and the snapshot itself."""
    m = full_measures.query("period == '2016-08'").set_index(["table", "measure", "breakdown"])["value"]
    share = m[("T18", "shared_care_share", "all")]
    assert 0.10 <= share <= 0.14  # parameters: 12% of calculations (assumed)
    bands = [m[("T18", "shared_care_cases", b)] for b in
             ("nights_52_to_103", "nights_104_to_155", "nights_156_to_174", "nights_175_or_more")]
    assert bands == sorted(bands, reverse=True) and bands[0] > sum(bands) / 2
    actions = {k: m[("T19", "enforcement_actions_started", k)] for k in ENFORCEMENT_ACTION_TYPES}
    assert max(actions, key=actions.get) == "deduction_from_earnings_order"
    assert actions["committal_to_prison"] < 0.01 * m[("T19", "enforcement_actions_started", "all")]
    snap = pd.read_parquet(full_data / "snapshots/cases_2016-08.parquet")
    enforced = snap[snap["in_enforcement"] == 1]
    assert (enforced["service_type"] == "collect_and_pay").mean() > 0.6
    assert 0.02 <= m[("T19", "cases_in_enforcement_share", "all")] <= 0.08
    arrears_only = snap[snap["origin"] == "arrears_only"]
    assert (arrears_only["csa_arrears"] > 0).mean() > 0.75
    carried = snap.loc[snap["csa_arrears"] > 0, "csa_arrears"]
    assert carried.mean() > 1.5 * carried.median()  # long-tailed
    assert np.isclose(m[("T20", "legacy_csa_arrears", "all")], snap["csa_arrears"].sum())
