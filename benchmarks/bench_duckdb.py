"""The reference for the measures' speed: plain DuckDB SQL of the core tables over the extract.

An independent computation (written from DESIGN.md's definitions, not from the measures' code)
of T1 (intake), T2 (caseload), T5 and T6 (compliance in the quarter), T7 (service type) and
T8 (arrears and total maintenance liability) for every month to the period, straight from the
extract's Parquet files, with the loader's exclusions that change them (payments for a case in
no snapshot; events after the as-at date). It is what "the data allow" in issue 17:
``python -m cms_stats.measures.bench DIR`` runs it beside the measures stage, prints both
times and peak memories and their ratio, and checks that the two agree (counts exactly, money
to the penny, shares to 1e-9).

    python benchmarks/bench_duckdb.py DATA_DIR [PERIOD] [--out FRAME.parquet]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
from pathlib import Path

import duckdb
import pandas as pd

SQL = """
CREATE TEMP TABLE months AS
  SELECT unnest($months) AS snapshot_month,
         CAST(substr(snapshot_month, 1, 4) AS INTEGER) * 12
         + CAST(substr(snapshot_month, 6, 2) AS INTEGER) - 1 AS m;
CREATE TEMP VIEW snap AS
  SELECT * FROM read_parquet($files, union_by_name = true) JOIN months USING (snapshot_month);
CREATE TEMP VIEW pay AS
  SELECT case_group_id, amount - coalesce(paid_to_arrears, 0) AS current_amount,
         year(payment_date) * 12 + month(payment_date) - 1 AS m
  FROM read_parquet($payments, union_by_name = true)
  WHERE payment_date <= $as_at AND case_id IN (SELECT case_id FROM snap);
"""

# (table, measure, breakdown, unit, query giving m and value)
QUERIES = {
    "T2": """
      SELECT m, 'caseload' AS measure, origin AS breakdown, 'count' AS unit, count(*) AS value
      FROM snap GROUP BY m, origin
      UNION ALL SELECT m, 'caseload', 'all', 'count', count(*) FROM snap GROUP BY m""",
    "T7": """
      WITH c AS (SELECT m, count(*) FILTER (weekly_liability > 0 AND service_type = 'direct_pay') AS dp,
                        count(*) FILTER (weekly_liability > 0 AND service_type = 'collect_and_pay') AS cp
                 FROM snap GROUP BY m)
      SELECT m, 'cases_due_to_pay', 'direct_pay', 'count', dp FROM c
      UNION ALL SELECT m, 'cases_due_to_pay', 'collect_and_pay', 'count', cp FROM c
      UNION ALL SELECT m, 'cases_due_to_pay', 'all', 'count', dp + cp FROM c
      UNION ALL SELECT m, 'direct_pay_share', 'all', 'share', dp / (dp + cp) FROM c""",
    "T8": """
      WITH monthly AS (
             SELECT m, sum(arrears_closing) AS arrears,
                    sum(liability_due) AS due,
                    sum(liability_due) FILTER (service_type = 'direct_pay') AS dp,
                    sum(liability_due) FILTER (service_type = 'collect_and_pay') AS cp
             FROM snap GROUP BY m),
           groups AS (SELECT m, count(*) AS n FROM (
             SELECT m, case_group_id FROM snap GROUP BY m, case_group_id
             HAVING sum(arrears_closing) > 0) GROUP BY m),
           closed AS (SELECT year(closed_date) * 12 + month(closed_date) - 1 AS m,
                             sum(liability_due) AS due
                      FROM read_parquet($closures) WHERE closed_date <= $as_at GROUP BY 1),
           cum AS (SELECT monthly.m, arrears,
                          sum(monthly.due + coalesce(closed.due, 0)) OVER w AS tml,
                          sum(coalesce(dp, 0)) OVER w AS tml_dp,
                          sum(coalesce(cp, 0)) OVER w AS tml_cp
                   FROM monthly LEFT JOIN closed USING (m)
                   WINDOW w AS (ORDER BY monthly.m))
      SELECT m, 'outstanding_arrears', 'all', 'gbp', arrears FROM cum
      UNION ALL SELECT m, 'case_groups_with_arrears', 'all', 'count', coalesce(n, 0)
                FROM months LEFT JOIN groups USING (m)
      UNION ALL SELECT m, 'total_maintenance_liability', 'all', 'gbp', tml FROM cum
      UNION ALL SELECT m, 'total_maintenance_liability', 'direct_pay', 'gbp', tml_dp FROM cum
      UNION ALL SELECT m, 'total_maintenance_liability', 'collect_and_pay', 'gbp', tml_cp FROM cum
      UNION ALL SELECT m, 'arrears_share_of_liability', 'all', 'share', arrears / tml FROM cum
      UNION ALL SELECT m, 'proxy_amount_collected', 'all', 'gbp', tml - arrears FROM cum""",
    "T5_T6": """
      WITH monthly AS (SELECT m, case_group_id, sum(liability_due) AS due,
                              sum(liability_due) FILTER (service_type = 'direct_pay') AS dp_due,
                              bool_or(service_type = 'direct_pay') AS dp
                       FROM snap WHERE liability_due > 0 GROUP BY m, case_group_id),
           quarter AS (SELECT * FROM (VALUES (0), (1), (2)) AS o(k)),
           liable AS (SELECT g.m + o.k AS m, g.case_group_id, sum(g.due) AS due,
                             sum(g.dp_due) AS dp_due, bool_or(g.dp) AS dp
                      FROM monthly g CROSS JOIN quarter o
                      WHERE g.m + o.k IN (SELECT m FROM months)
                      GROUP BY 1, 2),
           paid_monthly AS (SELECT m, case_group_id, sum(current_amount) AS paid
                            FROM pay GROUP BY m, case_group_id),
           paid AS (SELECT p.m + o.k AS m, p.case_group_id, sum(p.paid) AS paid
                    FROM paid_monthly p CROSS JOIN quarter o
                    WHERE p.m + o.k IN (SELECT m FROM months)
                    GROUP BY 1, 2),
           g AS (SELECT l.m, count(*) AS groups,
                        count(*) FILTER (l.dp OR p.paid IS NOT NULL) AS contributing,
                        sum(l.due) AS cash_due,
                        sum(coalesce(l.dp_due, 0)) + sum(coalesce(p.paid, 0)) AS cash_paid
                 FROM liable l LEFT JOIN paid p USING (m, case_group_id) GROUP BY l.m)
      SELECT m, 'case_groups_with_current_liability', 'all', 'count', groups FROM g
      UNION ALL SELECT m, 'case_groups_contributing', 'all', 'count', contributing FROM g
      UNION ALL SELECT m, 'case_groups_contributing_share', 'all', 'share', contributing / groups FROM g
      UNION ALL SELECT m, 'cash_due', 'all', 'gbp', cash_due FROM g
      UNION ALL SELECT m, 'cash_paid', 'all', 'gbp', cash_paid FROM g
      UNION ALL SELECT m, 'cash_paid_share', 'all', 'share', cash_paid / cash_due FROM g""",
    "T1": """
      WITH a AS (SELECT *, year(received_date) * 12 + month(received_date) - 1 AS m
                 FROM read_parquet($applications) WHERE received_date <= $as_at),
           new AS (SELECT m, count(*) AS received,
                          count(DISTINCT (paying_parent_id, receiving_parent_id, received_date)) AS kept
                   FROM a WHERE application_type = 'new_application' GROUP BY m),
           arrears AS (SELECT m, count(*) AS n FROM a
                       WHERE application_type = 'arrears_only' GROUP BY m),
           c AS (SELECT m, coalesce(new.kept, 0) AS new, coalesce(new.received - new.kept, 0) AS dup,
                        coalesce(arrears.n, 0) AS arrears
                 FROM months LEFT JOIN new USING (m) LEFT JOIN arrears USING (m))
      SELECT m, 'new_applications', 'all', 'count', new FROM c
      UNION ALL SELECT m, 'arrears_only_applications', 'all', 'count', arrears FROM c
      UNION ALL SELECT m, 'total_intake', 'all', 'count', new + arrears FROM c
      UNION ALL SELECT m, 'duplicate_new_applications_removed', 'all', 'count', dup FROM c""",
}
T7_FIRST_MONTH = "2014-08"  # T7 is published from August 2014 (DESIGN.md)


def _literal(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _inline(sql: str, values: dict) -> str:
    """``$name`` replaced by the SQL literal of ``values[name]`` (longest names first)."""
    for name in sorted(values, key=len, reverse=True):
        sql = sql.replace(f"${name}", _literal(values[name]))
    return sql


def reference(data_dir: Path, period: str | None = None) -> pd.DataFrame:
    """The core tables for every month to ``period`` (default: the folder's last month),
    tidy: ``table, period, measure, breakdown, value, unit``."""
    data_dir = Path(data_dir)
    meta = json.loads((data_dir / "extract.json").read_text(encoding="utf-8"))
    period = period or meta["last_month"]
    months = pd.period_range(meta["first_month"], period, freq="M").strftime("%Y-%m")
    con = duckdb.connect()
    closures = data_dir / "events" / "closures.parquet"
    params = {"files": [str(data_dir / "snapshots" / f"cases_{m}.parquet") for m in months],
              "months": list(months),
              "payments": str(data_dir / "events" / "payments.parquet"),
              "as_at": (pd.Period(period, freq="M").end_time.date())}
    payment_columns = set(con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                      [params["payments"]]).df()["column_name"])
    sql = SQL if "paid_to_arrears" in payment_columns else SQL.replace(
        "coalesce(paid_to_arrears, 0)", "0")
    for statement in sql.strip().split(";"):
        if statement.strip():
            con.execute(_inline(statement, params))
    frames = []
    for table, query in QUERIES.items():
        if table == "T8" and not closures.exists():
            query = query.replace("read_parquet($closures)",
                                  "(SELECT NULL::DATE AS closed_date, 0.0 AS liability_due)")
        args = {"closures": str(closures), "as_at": params["as_at"],
                "applications": str(data_dir / "events" / "applications.parquet")}
        frame = con.execute(_inline(query, args)).df()
        frame.columns = ["m", "measure", "breakdown", "unit", "value"]
        frame["table"] = frame["measure"].map(
            lambda name, t=table: t if t != "T5_T6" else ("T6" if "cash" in name else "T5"))
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["period"] = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in out["m"]]
    out = out[(out["table"] != "T7") | (out["period"] >= T7_FIRST_MONTH)]
    out["value"] = out["value"].astype("float64")
    return (out[["table", "period", "measure", "breakdown", "value", "unit"]]
            .sort_values(["table", "period", "measure", "breakdown"]).reset_index(drop=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("period", nargs="?", default=None)
    parser.add_argument("--out", default=None, help="write the tidy frame here (Parquet)")
    args = parser.parse_args()
    start, cpu = time.perf_counter(), time.process_time()
    frame = reference(Path(args.data_dir), args.period)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if args.out:
        frame.to_parquet(args.out, index=False)
    print(json.dumps({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                      "rows_out": len(frame),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
