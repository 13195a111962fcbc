"""compute_all on the generated synthetic data: the identities that must hold between tables.

Slow (reads the whole scale-1.0 extract, about 10 s): marked ``slow``; the data are the session's
``full_data`` (generated when absent).
"""

from __future__ import annotations

import numpy as np
import pytest


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def measures(full_measures_with_folder):
    # the session's measures with the folder they read: the test compares its quarantine with DQ
    return full_measures_with_folder


def wide(out, table):
    t = out.loc[out["table"] == table]
    return t.pivot(index="period", columns=["measure", "breakdown"], values="value")


def test_identities(measures):
    out, folder = measures
    assert not out.duplicated(["table", "period", "measure", "breakdown"]).any()
    assert set(out.loc[out["table"] == "T2", "period"]) == set(folder.months)
    t1 = wide(out, "T1")
    assert np.array_equal(t1[("new_applications", "all")] + t1[("arrears_only_applications", "all")],
                          t1[("total_intake", "all")])
    t2 = wide(out, "T2")
    assert np.array_equal(t2[("caseload", "new_application")] + t2[("caseload", "arrears_only")],
                          t2[("caseload", "all")])
    t8 = wide(out, "T8")
    tml = t8[("total_maintenance_liability", "all")].to_numpy()
    assert (np.diff(tml) > 0).all()                                   # cumulative
    parts = t8[("total_maintenance_liability", "direct_pay")] + t8[("total_maintenance_liability", "collect_and_pay")]
    # the liability due in the month a case closed (closures file) is in the total only
    closed = folder.closures()
    in_closing_months = closed.groupby(closed["closed_date"].dt.strftime("%Y-%m"))["liability_due"].sum()
    closing = in_closing_months.reindex(t8.index, fill_value=0.0).cumsum().to_numpy()
    assert closing[-1] > 0
    assert np.allclose(parts + closing, tml, rtol=1e-12)
    assert np.allclose(t8[("proxy_amount_collected", "all")] + t8[("outstanding_arrears", "all")], tml)
    t4 = wide(out, "T4").dropna()
    assert (t4[("children_benefiting", "lower_95")] < t4[("children_benefiting", "estimate")]).all()
    assert (t4[("sample_size", "all")] <= t4[("sample_population", "all")]).all()
    counts = out.loc[(out["unit"] == "count") & (out["measure"] != "children_benefiting"), "value"]
    assert (counts >= 0).all() and np.array_equal(counts, np.round(counts))
    shares = out.loc[(out["unit"] == "share") & (out["measure"] != "cash_paid_share"), "value"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()
    dq = out.loc[(out["table"] == "DQ") & (out["measure"] == "quarantined_rows")]
    assert dq.loc[dq["breakdown"] == "all", "value"].item() == len(folder.quarantine)
