-- T4: cases paying in the quarter to m (a payment dated in it, or Direct Pay with
-- liability_due > 0 in a snapshot of it); the latest sample on or before m: its size, its
-- population (weekly_liability > 0 in the sample month's snapshot), the mean children per case
-- and children benefiting (cases paying x the mean). The interval is left to Python.
WITH src AS (SELECT m, case_id FROM snap WHERE service_type = 'direct_pay' AND liability_due > 0
             UNION SELECT m, case_id FROM pay),
     paying AS (SELECT s.m + o.k AS m, count(DISTINCT s.case_id) AS n
                FROM src s CROSS JOIN (VALUES (0), (1), (2)) AS o(k)
                WHERE s.m + o.k IN (SELECT m FROM months) GROUP BY 1),
     drawn AS (SELECT sample_month, count(*) AS size, avg(qualifying_children) AS mean
               FROM samples GROUP BY sample_month),
     population AS (SELECT snapshot_month AS sample_month, count(*) FILTER (weekly_liability > 0) AS n
                    FROM snap WHERE snapshot_month IN (SELECT sample_month FROM drawn) GROUP BY 1),
     sample AS (SELECT drawn.*, population.n AS population FROM drawn JOIN population USING (sample_month)),
     c AS (SELECT months.m, coalesce(paying.n, 0) AS paying, sample.size, sample.population, sample.mean
           FROM months LEFT JOIN paying USING (m)
           ASOF LEFT JOIN sample ON months.snapshot_month >= sample.sample_month)
SELECT m, 'T4', 'cases_paying', 'all', 'count', paying FROM c
UNION ALL SELECT m, 'T4', 'sample_size', 'all', 'count', size FROM c WHERE size IS NOT NULL
UNION ALL SELECT m, 'T4', 'sample_population', 'all', 'count', population FROM c WHERE size IS NOT NULL
UNION ALL SELECT m, 'T4', 'mean_children_per_case', 'estimate', 'mean', mean FROM c WHERE size IS NOT NULL
UNION ALL SELECT m, 'T4', 'children_benefiting', 'estimate', 'count', paying * mean FROM c WHERE size IS NOT NULL
