-- T2 caseload by origin; T17 cases closed (by reason; share of the caseload at the end of the
-- month before); DQ closures disagreeing with the snapshots (in the snapshot of their month, or
-- from the second month not in the snapshot of the month before; `all` counts a closure once).
WITH load AS (SELECT m, count(*) AS n, count(*) FILTER (origin = 'new_application') AS new,
                     count(*) FILTER (origin = 'arrears_only') AS arrears
              FROM snap GROUP BY m),
     closed AS (SELECT c.m, c.closure_reason,
                       now.case_id IS NOT NULL AS in_now,
                       c.m > $first_m AND prev.case_id IS NULL AS not_prev
                FROM closures c
                LEFT JOIN (SELECT m, case_id FROM snap) now ON now.case_id = c.case_id AND now.m = c.m
                LEFT JOIN (SELECT m, case_id FROM snap) prev ON prev.case_id = c.case_id AND prev.m = c.m - 1),
     k AS (SELECT m, count(*) AS closed, count(*) FILTER (in_now) AS in_now,
                  count(*) FILTER (not_prev) AS not_prev, count(*) FILTER (in_now OR not_prev) AS either
           FROM closed GROUP BY m),
     c AS (SELECT months.m, coalesce(load.n, 0) AS n, coalesce(new, 0) AS new,
                  coalesce(arrears, 0) AS arrears, coalesce(closed, 0) AS closed,
                  coalesce(in_now, 0) AS in_now, coalesce(not_prev, 0) AS not_prev,
                  coalesce(either, 0) AS either,
                  lag(coalesce(load.n, 0)) OVER (ORDER BY months.m) AS before
           FROM months LEFT JOIN load USING (m) LEFT JOIN k USING (m)),
     reasons AS (SELECT months.m, r.reason, count(closed.m) AS n
                 FROM months CROSS JOIN (VALUES ('family_based_arrangement'), ('child_leaves_qualifying_age'),
                        ('applicant_withdraws'), ('no_further_liability'), ('other')) r(reason)
                 LEFT JOIN closed ON closed.m = months.m AND closed.closure_reason = r.reason
                 GROUP BY ALL)
SELECT m, 'T2', 'caseload', 'all', 'count', n FROM c
UNION ALL SELECT m, 'T2', 'caseload', 'new_application', 'count', new FROM c
UNION ALL SELECT m, 'T2', 'caseload', 'arrears_only', 'count', arrears FROM c
UNION ALL SELECT m, 'T17', 'cases_closed', 'all', 'count', closed FROM c
UNION ALL SELECT m, 'T17', 'closures_share', 'all', 'share', closed / nullif(before, 0) FROM c WHERE m > $first_m
UNION ALL SELECT m, 'T17', 'cases_closed_by_reason', reason, 'count', n FROM reasons
UNION ALL SELECT m, 'DQ', 'closures_disagreeing_with_snapshots', 'in_month_end_snapshot', 'count', in_now FROM c
UNION ALL SELECT m, 'DQ', 'closures_disagreeing_with_snapshots', 'not_in_previous_snapshot', 'count', not_prev FROM c WHERE m > $first_m
UNION ALL SELECT m, 'DQ', 'closures_disagreeing_with_snapshots', 'all', 'count', either FROM c
