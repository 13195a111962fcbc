-- T21 by area (each constituency's country, its English region, `all`; a null code in
-- `not_known`): caseload, cases due to pay by service type (from 2014-08), new applications
-- (placed by their case's row in the snapshot of m, not known when absent) and T5's case groups
-- (table `quarter_groups`: placed by their first liable case). T22: caseload by constituency at
-- the last five quarter-end months to the period, every constituency (0 where none).
WITH cases AS (SELECT m, coalesce(constituency_code, '') AS code, count(*) AS caseload,
                      count(*) FILTER (weekly_liability > 0 AND service_type = 'direct_pay') AS dp,
                      count(*) FILTER (weekly_liability > 0 AND service_type = 'collect_and_pay') AS cp
               FROM snap GROUP BY ALL),
     new AS (SELECT k.m, coalesce(s.constituency_code, '') AS code, count(*) AS new
             FROM kept k LEFT JOIN (SELECT m, case_id, constituency_code FROM snap) s
                  ON s.case_id = k.case_id AND s.m = k.m
             WHERE k.m IN (SELECT m FROM months) GROUP BY ALL),
     groups AS (SELECT m, code, groups AS liable, contributing FROM quarter_groups),
     by_code AS (SELECT m, code, sum(caseload) AS caseload, sum(dp) AS dp, sum(cp) AS cp,
                        sum(new) AS new, sum(liable) AS liable, sum(contributing) AS contributing
                 FROM (SELECT m, code, caseload, dp, cp, 0 AS new, 0 AS liable, 0 AS contributing FROM cases
                       UNION ALL SELECT m, code, 0, 0, 0, new, 0, 0 FROM new
                       UNION ALL SELECT m, code, 0, 0, 0, 0, liable, contributing FROM groups)
                 GROUP BY ALL),
     placed AS (SELECT constituency_code AS code, country AS area FROM areas
                UNION ALL SELECT constituency_code, region FROM areas WHERE country = 'england'
                UNION ALL SELECT constituency_code, 'all' FROM areas
                UNION ALL SELECT '', 'not_known' UNION ALL SELECT '', 'all'),
     names AS (SELECT DISTINCT area FROM placed),
     t AS (SELECT months.m, names.area, coalesce(sum(b.caseload), 0) AS caseload,
                  coalesce(sum(b.dp), 0) AS dp, coalesce(sum(b.cp), 0) AS cp,
                  coalesce(sum(b.new), 0) AS new, coalesce(sum(b.liable), 0) AS liable,
                  coalesce(sum(b.contributing), 0) AS contributing
           FROM months CROSS JOIN names
           LEFT JOIN (by_code b JOIN placed USING (code)) ON b.m = months.m AND placed.area = names.area
           GROUP BY ALL),
     ends AS (SELECT m FROM months WHERE m % 12 IN (1, 4, 7, 10) AND m <= $period_m ORDER BY m DESC LIMIT 5),
     t22 AS (SELECT ends.m, lower(areas.constituency_code) AS code, coalesce(cases.caseload, 0) AS n
             FROM ends CROSS JOIN areas
             LEFT JOIN cases ON cases.m = ends.m AND cases.code = areas.constituency_code)
SELECT m, 'T21', 'caseload', area, 'count', caseload FROM t
UNION ALL SELECT m, 'T21', 'direct_pay_cases', area, 'count', dp FROM t WHERE m >= 2014 * 12 + 7
UNION ALL SELECT m, 'T21', 'collect_and_pay_cases', area, 'count', cp FROM t WHERE m >= 2014 * 12 + 7
UNION ALL SELECT m, 'T21', 'new_applications', area, 'count', new FROM t
UNION ALL SELECT m, 'T21', 'case_groups_with_current_liability', area, 'count', liable FROM t
UNION ALL SELECT m, 'T21', 'case_groups_contributing', area, 'count', contributing FROM t
UNION ALL SELECT m, 'T22', 'caseload', code, 'count', n FROM t22
