-- T16 over the new applications left after duplicates (view `kept`; a cleared_date after the
-- as-at date reads as not cleared): cleared in m by clearance type, within 6, 12 and 26 weeks
-- (d = cleared_date - received_date <= 7N days) and their shares, the median d, and the
-- applications uncleared at the end of m (received by then, not cleared by then) by age.
WITH cleared AS (SELECT year(cleared_date) * 12 + month(cleared_date) - 1 AS m, clearance_type,
                        cleared_date - received_date AS d
                 FROM kept WHERE cleared_date IS NOT NULL),
     cm AS (SELECT m, count(*) AS n,
                   count(*) FILTER (clearance_type = 'calculation_made') AS made,
                   count(*) FILTER (clearance_type = 'closed_without_calculation') AS closed,
                   count(*) FILTER (d <= 42) AS w6, count(*) FILTER (d <= 84) AS w12,
                   count(*) FILTER (d <= 182) AS w26, median(d) AS median_d
            FROM cleared GROUP BY m),
     open AS (SELECT months.m, count(k.received_date) AS n,
                     count(*) FILTER (months.month_end - k.received_date <= 41) AS a,
                     count(*) FILTER (months.month_end - k.received_date BETWEEN 42 AND 83) AS b,
                     count(*) FILTER (months.month_end - k.received_date BETWEEN 84 AND 181) AS c,
                     count(*) FILTER (months.month_end - k.received_date >= 182) AS d
              FROM months LEFT JOIN kept k ON k.received_date <= months.month_end
                   AND coalesce(k.cleared_date, DATE '9999-12-31') > months.month_end
              GROUP BY months.m),
     t AS (SELECT months.m, coalesce(cm.n, 0) AS n, coalesce(made, 0) AS made, coalesce(closed, 0) AS closed,
                  coalesce(w6, 0) AS w6, coalesce(w12, 0) AS w12, coalesce(w26, 0) AS w26, median_d,
                  open.n AS open, open.a, open.b, open.c, open.d
           FROM months LEFT JOIN cm USING (m) JOIN open USING (m))
SELECT m, 'T16', 'applications_cleared', 'all', 'count', n FROM t
UNION ALL SELECT m, 'T16', 'applications_cleared', 'calculation_made', 'count', made FROM t
UNION ALL SELECT m, 'T16', 'applications_cleared', 'closed_without_calculation', 'count', closed FROM t
UNION ALL SELECT m, 'T16', 'applications_cleared_within_6_weeks', 'all', 'count', w6 FROM t
UNION ALL SELECT m, 'T16', 'applications_cleared_within_12_weeks', 'all', 'count', w12 FROM t
UNION ALL SELECT m, 'T16', 'applications_cleared_within_26_weeks', 'all', 'count', w26 FROM t
UNION ALL SELECT m, 'T16', 'cleared_within_6_weeks_share', 'all', 'share', w6 / nullif(n, 0) FROM t
UNION ALL SELECT m, 'T16', 'cleared_within_12_weeks_share', 'all', 'share', w12 / nullif(n, 0) FROM t
UNION ALL SELECT m, 'T16', 'cleared_within_26_weeks_share', 'all', 'share', w26 / nullif(n, 0) FROM t
UNION ALL SELECT m, 'T16', 'median_days_to_clear', 'all', 'mean', median_d FROM t WHERE n > 0
UNION ALL SELECT m, 'T16', 'applications_uncleared', 'all', 'count', open FROM t
UNION ALL SELECT m, 'T16', 'applications_uncleared', 'under_6_weeks', 'count', a FROM t
UNION ALL SELECT m, 'T16', 'applications_uncleared', '6_to_12_weeks', 'count', b FROM t
UNION ALL SELECT m, 'T16', 'applications_uncleared', '12_to_26_weeks', 'count', c FROM t
UNION ALL SELECT m, 'T16', 'applications_uncleared', '26_weeks_or_more', 'count', d FROM t
