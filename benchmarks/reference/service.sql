-- T9 changes of circumstances (to the month before the period): received, cleared,
-- outstanding at month end (received by then, not cleared by then) and cleared within 28 days
-- of those received in m; T10 mandatory reconsiderations: received, cleared, revised and not
-- revised and cleared within 20 days of those cleared in m.
WITH r9 AS (SELECT m, count(*) AS received,
                   count(*) FILTER (cleared_date - received_date <= 28) AS within
            FROM service_requests GROUP BY m),
     c9 AS (SELECT year(cleared_date) * 12 + month(cleared_date) - 1 AS m, count(*) AS cleared
            FROM service_requests WHERE cleared_date IS NOT NULL GROUP BY 1),
     moves AS (SELECT m, sum(received) AS d FROM r9 GROUP BY m
               UNION ALL SELECT m, -sum(cleared) FROM c9 GROUP BY m),
     open AS (SELECT months.m, coalesce(sum(moves.d), 0) AS n
              FROM months LEFT JOIN moves ON moves.m <= months.m GROUP BY months.m),
     t9 AS (SELECT months.m, coalesce(received, 0) AS received, coalesce(within, 0) AS within,
                   coalesce(cleared, 0) AS cleared, open.n AS outstanding
            FROM months LEFT JOIN r9 USING (m) LEFT JOIN c9 USING (m) JOIN open USING (m)
            WHERE months.m < $period_m),
     r10 AS (SELECT m, count(*) AS received FROM reconsiderations GROUP BY m),
     c10 AS (SELECT year(cleared_date) * 12 + month(cleared_date) - 1 AS m, count(*) AS cleared,
                    count(*) FILTER (outcome = 'revised') AS revised,
                    count(*) FILTER (outcome = 'not_revised') AS not_revised,
                    count(*) FILTER (cleared_date - received_date <= 20) AS within
             FROM reconsiderations WHERE cleared_date IS NOT NULL GROUP BY 1),
     t10 AS (SELECT months.m, coalesce(received, 0) AS received, coalesce(cleared, 0) AS cleared,
                    coalesce(revised, 0) AS revised, coalesce(not_revised, 0) AS not_revised,
                    coalesce(within, 0) AS within
             FROM months LEFT JOIN r10 USING (m) LEFT JOIN c10 USING (m))
SELECT m, 'T9', 'changes_of_circumstances_received', 'all', 'count', received FROM t9
UNION ALL SELECT m, 'T9', 'changes_of_circumstances_cleared', 'all', 'count', cleared FROM t9
UNION ALL SELECT m, 'T9', 'changes_of_circumstances_outstanding', 'all', 'count', outstanding FROM t9
UNION ALL SELECT m, 'T9', 'changes_of_circumstances_cleared_within_28_days', 'all', 'count', within FROM t9
UNION ALL SELECT m, 'T9', 'cleared_within_28_days_share', 'all', 'share', within / nullif(received, 0) FROM t9
UNION ALL SELECT m, 'T10', 'mandatory_reconsiderations_received', 'all', 'count', received FROM t10
UNION ALL SELECT m, 'T10', 'mandatory_reconsiderations_cleared', 'all', 'count', cleared FROM t10
UNION ALL SELECT m, 'T10', 'mandatory_reconsiderations_revised', 'all', 'count', revised FROM t10
UNION ALL SELECT m, 'T10', 'mandatory_reconsiderations_not_revised', 'all', 'count', not_revised FROM t10
UNION ALL SELECT m, 'T10', 'mandatory_reconsiderations_cleared_within_20_days', 'all', 'count', within FROM t10
UNION ALL SELECT m, 'T10', 'cleared_within_20_days_share', 'all', 'share', within / nullif(cleared, 0) FROM t10
