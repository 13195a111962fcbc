-- T7 cases due to pay by service type at month end (from 2014-08); T15 transfers between
-- Direct Pay and Collect and Pay from the end of the month before (from 2014-08, not in the
-- folder's first month), share of T7's cases due to pay.
WITH due AS (SELECT m, count(*) FILTER (weekly_liability > 0 AND service_type = 'direct_pay') AS dp,
                    count(*) FILTER (weekly_liability > 0 AND service_type = 'collect_and_pay') AS cp
             FROM snap GROUP BY m),
     t AS (SELECT m, case_id, service_type = 'direct_pay' AS dp FROM snap
           WHERE service_type IN ('direct_pay', 'collect_and_pay') AND m >= 2014 * 12 + 6),
     moved AS (SELECT cur.m, count(*) FILTER (prev.dp AND NOT cur.dp) AS dp_cp,
                      count(*) FILTER (cur.dp AND NOT prev.dp) AS cp_dp
               FROM t cur JOIN t prev ON prev.case_id = cur.case_id AND prev.m = cur.m - 1
               GROUP BY cur.m),
     c AS (SELECT months.m, coalesce(dp, 0) AS dp, coalesce(cp, 0) AS cp,
                  coalesce(dp_cp, 0) AS dp_cp, coalesce(cp_dp, 0) AS cp_dp
           FROM months LEFT JOIN due USING (m) LEFT JOIN moved USING (m)
           WHERE months.m >= 2014 * 12 + 7),
     tr AS (SELECT * FROM c WHERE m > $first_m)
SELECT m, 'T7', 'cases_due_to_pay', 'direct_pay', 'count', dp FROM c
UNION ALL SELECT m, 'T7', 'cases_due_to_pay', 'collect_and_pay', 'count', cp FROM c
UNION ALL SELECT m, 'T7', 'cases_due_to_pay', 'all', 'count', dp + cp FROM c
UNION ALL SELECT m, 'T7', 'direct_pay_share', 'all', 'share', dp / nullif(dp + cp, 0) FROM c
UNION ALL SELECT m, 'T15', 'service_type_transfers', 'direct_pay_to_collect_and_pay', 'count', dp_cp FROM tr
UNION ALL SELECT m, 'T15', 'service_type_transfers', 'collect_and_pay_to_direct_pay', 'count', cp_dp FROM tr
UNION ALL SELECT m, 'T15', 'service_type_transfers', 'all', 'count', dp_cp + cp_dp FROM tr
UNION ALL SELECT m, 'T15', 'service_type_transfers_share', 'all', 'share', (dp_cp + cp_dp) / nullif(dp + cp, 0) FROM tr
