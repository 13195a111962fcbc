"""The default synthetic folder's vintages: the seed's correction after publication and the MI
re-deliveries, checked with pandas on the raw files (independently of the loader and the
measures) and against the measures as known at each cut-off."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from cms_stats.extracts import open_extracts
from cms_stats.measures import fees, intake
from cms_stats.measures.context import Context
from cms_stats.synthetic import load_parameters

pytestmark = pytest.mark.slow

CUTOFF = dt.date(2016, 9, 30)          # the 2016-08 edition's cut-off
CORRECTED = dt.date(2016, 11, 30)      # the corrected edition's data (COMMON, calendar)
EXEMPT = ("exempt_domestic_violence", "exempt_under_19")


def _applications(folder) -> pd.DataFrame:
    return pq.read_table(folder / "events" / "applications.parquet").to_pandas()


def _august_share(apps: pd.DataFrame, known_at: dt.date) -> tuple[float, int]:
    """Fee-exemption share of August 2016 (exemptions / de-duplicated new applications) and the
    arrears-only applications of August 2016, as known at ``known_at``: written out from
    DESIGN.md with pandas."""
    known = apps[apps["recorded_date"] <= known_at]
    aug = known[(known["received_date"] >= dt.date(2016, 8, 1))
                & (known["received_date"] <= dt.date(2016, 8, 31))]
    new = aug[aug["application_type"] == "new_application"].sort_values("application_id")
    new = new.drop_duplicates(["paying_parent_id", "receiving_parent_id", "received_date"])
    share = new["fee_status"].isin(EXEMPT).sum() / len(new)
    return share, int((aug["application_type"] == "arrears_only").sum())


def test_the_correction_after_publication(full_data):
    apps = _applications(full_data)
    first, arrears_first = _august_share(apps, CUTOFF)
    corrected, arrears_corrected = _august_share(apps, CORRECTED)
    final, arrears_final = _august_share(apps, dt.date(2016, 12, 31))
    cfg = load_parameters()["vintages"]["correction"]
    # as first published (26 October 2016) and as corrected: "updated to 33%"
    assert round(first * 100) == round(cfg["original_fee_exemption_share"] * 100) == 34
    assert round(corrected * 100) == 33
    assert (corrected, arrears_corrected) == (final, arrears_final)  # the final extract
    batch = apps[apps["recorded_date"] == dt.date(2016, 11, 15)]
    assert (batch["received_date"].between(dt.date(2016, 8, 1), dt.date(2016, 8, 31))).all()
    arrears_batch = int((batch["application_type"] == "arrears_only").sum())
    assert arrears_batch > 0 and arrears_corrected - arrears_first >= arrears_batch
    # the measures, from the loader as known at each cut-off, agree
    for known_at, share, arrears in ((CUTOFF, first, arrears_first),
                                     (CORRECTED, corrected, arrears_corrected)):
        ctx = Context(open_extracts(full_data, known_at=known_at), "2016-08")
        t3 = fees.t3(ctx).set_index(["period", "measure", "breakdown"])["value"]
        assert t3["2016-08", "fee_exemption_share", "all"] == pytest.approx(share, abs=1e-12)
        t1 = intake.t1(ctx).set_index(["period", "measure", "breakdown"])["value"]
        assert t1["2016-08", "arrears_only_applications", "all"] == arrears


def _deliveries(folder, feed: str) -> pd.DataFrame:
    ws = openpyxl.load_workbook(folder / "mi" / f"{feed}.xlsx", read_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = rows[0]
    body = [r + [None] * (len(header) - len(r)) for r in rows[1:] if r[0] != "Total"]
    return pd.DataFrame(body, columns=header)


def test_mi_revisions_appeals_most_others_under_five_percent(full_data):
    meta = json.loads((full_data / "extract.json").read_text())
    assert meta["extracted"] == "2016-12-31"
    revised_share = {}
    for feed in ("telephony", "complaints", "appeals"):
        d = _deliveries(full_data, feed)
        counts = [c for c in d.columns if c not in ("month", "delivered_date")]
        first = d.drop_duplicates("month", keep="first").set_index("month")[counts]
        last = d.drop_duplicates("month", keep="last").set_index("month")[counts].loc[first.index]
        changed = (first != last).any(axis=1)
        revised_share[feed] = changed.mean()
        if feed != "appeals":
            rel = ((last - first).abs() / last.where(last > 0))[changed]
            assert (rel.fillna(0) < 0.05).all().all(), feed
    assert revised_share["appeals"] > max(revised_share["telephony"], revised_share["complaints"])
    assert 0 < revised_share["telephony"] < 0.3
