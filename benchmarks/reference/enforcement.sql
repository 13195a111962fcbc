-- T19: cases in enforcement at the end of m, their share of the caseload, and the
-- enforcement actions started in m by type (seven codes) and in all.
WITH c AS (SELECT m, count(*) AS n, count(*) FILTER (in_enforcement = 1) AS enforced FROM snap GROUP BY m),
     t AS (SELECT months.m, coalesce(n, 0) AS n, coalesce(enforced, 0) AS enforced FROM months LEFT JOIN c USING (m)),
     types AS (SELECT * FROM (VALUES ('deduction_from_earnings_order'), ('regular_deduction_order'),
                 ('lump_sum_deduction_order'), ('liability_order'), ('charging_order_or_order_for_sale'),
                 ('disqualification'), ('committal_to_prison')) AS v(action_type)),
     a AS (SELECT months.m, types.action_type, count(e.m) AS n
           FROM months CROSS JOIN types
           LEFT JOIN enforcement_actions e ON e.m = months.m AND e.action_type = types.action_type
           GROUP BY ALL)
SELECT m, 'T19', 'cases_in_enforcement', 'all', 'count', enforced FROM t
UNION ALL SELECT m, 'T19', 'cases_in_enforcement_share', 'all', 'share', enforced / nullif(n, 0) FROM t
UNION ALL SELECT m, 'T19', 'enforcement_actions_started', action_type, 'count', n FROM a
UNION ALL SELECT m, 'T19', 'enforcement_actions_started', 'all', 'count', sum(n) FROM a GROUP BY m
