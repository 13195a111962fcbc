-- T18: cases due to pay (weekly_liability > 0) at the end of m, those with shared care by
-- band of nights (52-103, 104-155, 156-174, 175+; `all` 52 or more) and the share.
WITH c AS (SELECT m, count(*) AS due,
                  count(*) FILTER (shared_care_nights BETWEEN 52 AND 103) AS a,
                  count(*) FILTER (shared_care_nights BETWEEN 104 AND 155) AS b,
                  count(*) FILTER (shared_care_nights BETWEEN 156 AND 174) AS c,
                  count(*) FILTER (shared_care_nights >= 175) AS d
           FROM snap WHERE weekly_liability > 0 GROUP BY m),
     t AS (SELECT months.m, coalesce(due, 0) AS due, coalesce(a, 0) AS a, coalesce(b, 0) AS b,
                  coalesce(c, 0) AS c, coalesce(d, 0) AS d FROM months LEFT JOIN c USING (m))
SELECT m, 'T18', 'cases_due_to_pay', 'all', 'count', due FROM t
UNION ALL SELECT m, 'T18', 'shared_care_cases', 'nights_52_to_103', 'count', a FROM t
UNION ALL SELECT m, 'T18', 'shared_care_cases', 'nights_104_to_155', 'count', b FROM t
UNION ALL SELECT m, 'T18', 'shared_care_cases', 'nights_156_to_174', 'count', c FROM t
UNION ALL SELECT m, 'T18', 'shared_care_cases', 'nights_175_or_more', 'count', d FROM t
UNION ALL SELECT m, 'T18', 'shared_care_cases', 'all', 'count', a + b + c + d FROM t
UNION ALL SELECT m, 'T18', 'shared_care_share', 'all', 'share', (a + b + c + d) / nullif(due, 0) FROM t
