"""The reference for the measures' speed: plain DuckDB SQL of every table over the extract.

An independent computation (written from DESIGN.md's definitions and the data contract, not
from the measures' code) of every table the measures stage computes, for every month to the
period: T1-T22 (T4's estimate of children benefiting, not its interval, which is Python in the
measures too) and DQ, straight from the extract's Parquet files and MI workbooks (read with
pandas and registered: they are small), one DuckDB connection with the measures' thread count
(``CMS_STATS_DUCKDB_THREADS``, else half the cores; ``CMS_STATS_DUCKDB_MEMORY``, when set,
its memory limit). The SQL of each family of tables is a
file of ``benchmarks/reference/``; the folder's rules are applied as the contract states them:
events dated before the scheme start or after the as-at date (the last day of the period) are
left out, as are service requests and reconsiderations cleared before they were received,
payments for a case in no snapshot of the folder and accuracy checks with a correct amount of 0;
an application cleared after the as-at date reads as not cleared; each MI month's latest
delivery counts. ``recorded_date`` is not read: the measures are run on the folder as
extracted, where every row is known. A table whose optional column or file is absent is left
out (the measures publish it ``[x]``).

It is what "the data allow" in issue 17: ``benchmarks/compare_duckdb.py`` (and ``make bench``)
runs it beside the measures stage, prints both times, the ratio, the time of each family here
and how many figures and contributions were compared and equal, and fails on a difference.

    python benchmarks/bench_duckdb.py DATA_DIR [PERIOD] [--out FRAME.parquet]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

HERE = Path(__file__).resolve().parent
SQL_DIR = HERE / "reference"
AREAS = HERE.parent / "src" / "cms_stats" / "resources" / "areas.csv"
SCHEME_START = "2013-08-01"
#: Family -> its SQL files, run in order: each ends with a query of the tables' figures
#: (``m, table, measure, breakdown, unit, value``) or, ``*_top``, of the two largest
#: contributions to money figures for the dominance rule (``..., top1, top2``), except those
#: that only make a table for the next (:data:`MAKES_TABLES`).
FAMILIES = {
    "intake (T1, T3, DQ)": ["intake"],
    "caseload (T2, T17, DQ)": ["caseload"],
    "children (T4)": ["children"],
    "compliance (T5, T6)": ["quarter_groups", "compliance"],
    "service type (T7, T15)": ["service_type"],
    "arrears (T8)": ["arrears", "arrears_top"],
    "service (T9, T10)": ["service"],
    "MI (T11-T14)": ["mi"],
    "clearances (T16)": ["clearances"],
    "shared care (T18)": ["shared_care"],
    "enforcement (T19)": ["enforcement"],
    "legacy CSA arrears (T20)": ["legacy_csa", "legacy_csa_top"],
    "areas (T21, T22)": ["areas"],
    "roll-forward (DQ)": ["roll_forward", "roll_forward_top"],
    "quarantine (DQ)": [],
}
MAKES_TABLES = {"quarter_groups"}
KEY = ["m", "table", "measure", "breakdown"]
#: Optional snapshot columns and their types (null when absent from every file).
OPTIONAL_COLUMNS = {"shared_care_nights": "INTEGER", "in_enforcement": "INTEGER",
                    "csa_arrears": "DOUBLE", "constituency_code": "VARCHAR"}
#: Optional event columns and their types (null when absent).
OPTIONAL_EVENT_COLUMNS = {"applications": {"cleared_date": "DATE", "clearance_type": "VARCHAR"},
                          "payments": {"paid_to_arrears": "DOUBLE"},
                          "closures": {"closure_reason": "VARCHAR"}}
#: Tables (or a table's measure) that need optional columns or files: left out when one is absent.
NEEDS = {("T18", None): ("shared_care_nights",), ("T19", None): ("in_enforcement", "enforcement_actions"),
         ("T20", None): ("csa_arrears",), ("T21", None): ("constituency_code",),
         ("T22", None): ("constituency_code",), ("T16", None): ("cleared_date", "clearance_type"),
         ("T17", None): ("closures",), ("DQ", "closures_disagreeing_with_snapshots"): ("closures",),
         ("T17", "cases_closed_by_reason"): ("closure_reason",)}
#: The event files: their date column and whether a clearance before it is quarantined.
EVENTS = {"applications": ("received_date", False), "payments": ("payment_date", False),
          "liabilities": ("effective_date", False), "service_requests": ("received_date", True),
          "reconsiderations": ("received_date", True), "closures": ("closed_date", False),
          "enforcement_actions": ("action_date", False)}
MI = {"telephony": "Telephony", "complaints": "Complaints", "appeals": "Appeals",
      "accuracy_checks": "Checks"}
#: Stand-ins for an optional file left out: its columns, no rows.
EMPTY = {"closures": "SELECT NULL::VARCHAR AS case_id, NULL::DATE AS closed_date, "
                     "NULL::DOUBLE AS liability_due, NULL::VARCHAR AS closure_reason LIMIT 0",
         "enforcement_actions": "SELECT NULL::VARCHAR AS case_id, NULL::DATE AS action_date, "
                                "NULL::VARCHAR AS action_type LIMIT 0"}


def threads() -> int:
    """The measures' DuckDB threads: ``CMS_STATS_DUCKDB_THREADS``, else half the cores."""
    value = os.environ.get("CMS_STATS_DUCKDB_THREADS", "").strip()
    return int(value) if value else max(1, (os.cpu_count() or 2) // 2)


def _peak_mb() -> float:
    """The process's peak resident memory so far (MB; ru_maxrss is in kilobytes on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _literal(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _inline(sql: str, values: dict) -> str:
    """``$name`` replaced by the SQL literal of ``values[name]`` (longest names first)."""
    for name in sorted(values, key=len, reverse=True):
        sql = sql.replace(f"${name}", _literal(values[name]))
    return sql


def _columns(con, files) -> set[str]:
    return set(con.execute("DESCRIBE SELECT * FROM read_parquet(?, union_by_name = true)",
                           [files]).df()["column_name"])


def _mi_frames(data_dir: Path, last_month: str) -> tuple[dict, list]:
    """Each MI feed's rows (the Total row dropped; a month's latest delivery when
    ``delivered_date`` is there), and its quarantined rows: ``(file: reason, count)``."""
    frames, quarantined = {}, []
    for name, sheet in MI.items():
        frame = pd.read_excel(data_dir / "mi" / f"{name}.xlsx", sheet_name=sheet, dtype={"month": str})
        month = "check_month" if name == "accuracy_checks" else "month"
        frame = frame[frame[month] != "Total"]
        early, late = frame[month] < SCHEME_START[:7], frame[month] > last_month
        bad = frame["correct_weekly_amount"] <= 0 if name == "accuracy_checks" else early & False
        for reason, rows in (("dated before scheme start", early), ("dated after last month", late & ~early),
                             ("non-positive correct amount", bad & ~early & ~late)):
            quarantined.append((f"mi/{name}.xlsx: {reason}", int(rows.sum())))
        frame = frame[~(early | late | bad)]
        if "delivered_date" in frame:
            frame = frame.sort_values("delivered_date", kind="stable").drop_duplicates(month, keep="last")
        frames[name] = frame
    return frames, quarantined


def _quarantine_query(events: dict, last_end: str) -> str:
    """Rows quarantined in each event file, by the first reason each row has."""
    parts = []
    for name, path in events.items():
        date, cleared = EVENTS[name]
        reason = (f"CASE WHEN CAST({date} AS DATE) < DATE '{SCHEME_START}' THEN 'dated before scheme start' "
                  f"WHEN CAST({date} AS DATE) > DATE '{last_end}' THEN 'dated after last month' ")
        if cleared:
            reason += f"WHEN CAST(cleared_date AS DATE) < CAST({date} AS DATE) THEN 'cleared before received' "
        if name == "payments":
            reason += "WHEN case_id NOT IN (SELECT case_id FROM folder_cases) THEN 'case never in a snapshot' "
        parts.append(f"SELECT 'events/{name}.parquet: ' || reason AS breakdown, count(*) AS n "
                     f"FROM (SELECT {reason} END AS reason FROM read_parquet('{path}')) "
                     "WHERE reason IS NOT NULL GROUP BY reason")
    return " UNION ALL ".join(parts)


def _setup(con, data_dir: Path, period: str) -> tuple[dict, set[str], tuple[str, list]]:
    """Views of the folder as the measures read it; returns the SQL parameters, the optional
    columns and files absent, and the quarantine: the event files' query and the MI counts."""
    meta = json.loads((data_dir / "extract.json").read_text(encoding="utf-8"))
    months = pd.period_range(meta["first_month"], period, freq="M")
    every = pd.period_range(meta["first_month"], meta["last_month"], freq="M").strftime("%Y-%m")
    as_at = str(months[-1].end_time.date())
    last_end = str(pd.Period(meta["last_month"], freq="M").end_time.date())
    opening = meta.get("opening_balances") or {}
    params = {"first_m": months[0].year * 12 + months[0].month - 1,
              "period_m": months[-1].year * 12 + months[-1].month - 1,
              "opening_total": round(100 * opening.get("total_maintenance_liability", 0)),
              "opening_dp": round(100 * opening.get("direct_pay", 0)),
              "opening_cp": round(100 * opening.get("collect_and_pay", 0))}
    con.execute(f"SET threads = {threads()}")
    limit = os.environ.get("CMS_STATS_DUCKDB_MEMORY", "").strip()
    if limit:  # as the measures' engine: DuckDB spills beyond it
        con.execute(f"SET memory_limit = '{limit}'")
    snaps = [str(data_dir / "snapshots" / f"cases_{m}.parquet") for m in months.strftime("%Y-%m")]
    con.execute(_inline("""CREATE TEMP TABLE months AS SELECT snapshot_month,
        CAST(substr(snapshot_month, 1, 4) AS INTEGER) * 12 + CAST(substr(snapshot_month, 6, 2) AS INTEGER) - 1 AS m,
        last_day(CAST(snapshot_month || '-01' AS DATE)) AS month_end
        FROM (SELECT unnest($months) AS snapshot_month)""", {"months": list(months.strftime("%Y-%m"))}))
    present = _columns(con, snaps)
    extra = "".join(f", NULL::{kind} AS {c}" for c, kind in OPTIONAL_COLUMNS.items() if c not in present)
    absent = {c for c in OPTIONAL_COLUMNS if c not in present}
    con.execute(_inline(f"CREATE TEMP VIEW snap AS SELECT *{extra} FROM read_parquet($files, union_by_name = true) "
                        "JOIN months USING (snapshot_month)", {"files": snaps}))
    con.execute(_inline("CREATE TEMP VIEW folder_cases AS SELECT case_id FROM read_parquet($files)",
                        {"files": [str(data_dir / "snapshots" / f"cases_{m}.parquet") for m in every]}))
    events = {}
    for name, (date, cleared) in EVENTS.items():
        path = data_dir / "events" / f"{name}.parquet"
        if not path.exists():
            absent.add(name)
            con.execute(f"CREATE TEMP VIEW {name} AS SELECT *, 0 AS m FROM ({EMPTY[name]})")
            continue
        events[name] = str(path)
        columns = _columns(con, [str(path)])
        dates = [c for c in ("received_date", "payment_date", "effective_date", "closed_date",
                             "action_date", "cleared_date") if c in columns]
        select = f"* REPLACE ({', '.join(f'CAST({c} AS DATE) AS {c}' for c in dates)})"
        for column, kind in OPTIONAL_EVENT_COLUMNS.get(name, {}).items():
            if column not in columns:
                absent.add(column)
                select += f", NULL::{kind} AS {column}"
        where = f"{date} BETWEEN DATE '{SCHEME_START}' AND DATE '{as_at}'"
        if cleared:
            where += " AND (cleared_date IS NULL OR cleared_date >= received_date)"
        if name == "payments":
            where += " AND case_id IN (SELECT case_id FROM folder_cases)"
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT *, year({date}) * 12 + month({date}) - 1 AS m "
                    f"FROM (SELECT {select} FROM read_parquet('{path}')) WHERE {where}")
    con.execute(f"""CREATE TEMP TABLE kept AS SELECT * REPLACE (
        CASE WHEN cleared_date <= DATE '{as_at}' THEN cleared_date END AS cleared_date,
        CASE WHEN cleared_date <= DATE '{as_at}' THEN clearance_type END AS clearance_type)
        FROM applications WHERE application_type = 'new_application'
        QUALIFY row_number() OVER (PARTITION BY paying_parent_id, receiving_parent_id, received_date
                                   ORDER BY application_id) = 1""")
    con.execute("CREATE TEMP VIEW pay AS SELECT m, case_id, case_group_id, "
                "round(amount * 100)::BIGINT - round(coalesce(paid_to_arrears, 0) * 100)::BIGINT AS current_pence "
                "FROM payments")
    samples = [str(p) for p in sorted((data_dir / "samples").glob("children_*.parquet"))
               if p.stem.split("_")[1] <= period]
    con.execute(_inline("CREATE TEMP VIEW samples AS SELECT * FROM read_parquet($files)", {"files": samples})
                if samples else "CREATE TEMP VIEW samples AS SELECT NULL::VARCHAR AS sample_month, "
                                "NULL::INTEGER AS qualifying_children LIMIT 0")
    frames, quarantined = _mi_frames(data_dir, meta["last_month"])
    for name, frame in frames.items():
        con.register(f"mi_{name}", frame)
    con.execute("CREATE TEMP VIEW checks AS SELECT * FROM mi_accuracy_checks")
    for name in ("telephony", "complaints", "appeals"):
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM mi_{name}")
    con.register("areas", pd.read_csv(AREAS, usecols=["constituency_code", "region", "country"]))
    return params, absent, (_quarantine_query(events, last_end), quarantined)


def reference(data_dir: Path, period: str | None = None, timings: dict | None = None) -> pd.DataFrame:
    """Every table the measures compute, for every month to ``period``, in plain DuckDB SQL.

    Parameters
    ----------
    data_dir : Path
        The extract folder (the data contract's layout).
    period : str, optional
        The period ``YYYY-MM`` (the as-at date is its last day); default the folder's last month.
    timings : dict, optional
        Filled with each family's ``(wall s, CPU s, peak MB of the process after it)``
        (:data:`FAMILIES`), and ``setup``'s (the views and the de-duplicated applications).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``table, period, measure, breakdown, value, unit, top1, top2`` (the two largest
        contributions to a money figure the dominance rule reads; null for the others), sorted.
    """
    data_dir = Path(data_dir)
    period = period or json.loads((data_dir / "extract.json").read_text(encoding="utf-8"))["last_month"]
    timings = {} if timings is None else timings
    con = duckdb.connect()
    start, cpu = time.perf_counter(), time.process_time()
    params, absent, (quarantine, quarantined) = _setup(con, data_dir, period)
    timings["setup"] = (time.perf_counter() - start, time.process_time() - cpu, _peak_mb())
    frames, tops = [], []
    for family, files in FAMILIES.items():
        start, cpu = time.perf_counter(), time.process_time()
        for name in files:
            result = con.execute(_inline((SQL_DIR / f"{name}.sql").read_text(encoding="utf-8"), params))
            if name in MAKES_TABLES:
                continue
            if name.endswith("_top"):
                tops.append(result.df().set_axis(KEY + ["top1", "top2"], axis=1))
            else:
                frames.append(result.df().set_axis(KEY + ["unit", "value"], axis=1))
        if not files:  # the quarantined rows of the folder, for the period
            counts = con.execute(quarantine).fetchall() + quarantined
            counts = [(b, n) for b, n in counts if n] + [("all", sum(n for _, n in counts))]
            frames.append(pd.DataFrame({"m": params["period_m"], "table": "DQ",
                                        "measure": "quarantined_rows", "breakdown": [b for b, _ in counts],
                                        "unit": "count", "value": [n for _, n in counts]}))
        timings[family] = (time.perf_counter() - start, time.process_time() - cpu, _peak_mb())
    con.close()
    out = pd.concat(frames, ignore_index=True).merge(pd.concat(tops, ignore_index=True), on=KEY, how="left")
    for (table, measure), need in NEEDS.items():
        if absent & set(need):
            out = out[(out["table"] != table) | ((out["measure"] != measure) if measure else False)]
    out["period"] = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in out["m"]]
    out[["value", "top1", "top2"]] = out[["value", "top1", "top2"]].astype("float64")
    return (out[["table", "period", "measure", "breakdown", "value", "unit", "top1", "top2"]]
            .sort_values(["table", "period", "measure", "breakdown"]).reset_index(drop=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("period", nargs="?", default=None)
    parser.add_argument("--out", default=None, help="write the tidy frame here (Parquet)")
    args = parser.parse_args()
    start, cpu, timings = time.perf_counter(), time.process_time(), {}
    frame = reference(Path(args.data_dir), args.period, timings)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if args.out:
        frame.to_parquet(args.out, index=False)
    print(json.dumps({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "threads": threads(),
                      "rows_out": len(frame), "tables": sorted(frame["table"].unique()),
                      "families": {k: [round(w, 2), round(c, 2), round(p)] for k, (w, c, p) in timings.items()},
                      "peak_rss_mb": round(_peak_mb(), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
