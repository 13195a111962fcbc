-- T20: legacy CSA arrears at the end of m (pence), cases carrying them (> 0) and their
-- distinct case groups, by origin and in all (a group with cases of both origins once in all).
WITH c AS (SELECT m, origin, case_group_id, round(csa_arrears * 100)::BIGINT AS p
           FROM snap WHERE csa_arrears > 0),
     parts AS (SELECT m, origin AS part, sum(p) AS money, count(*) AS cases,
                      count(DISTINCT case_group_id) AS groups FROM c GROUP BY m, origin
               UNION ALL
               SELECT m, 'all', sum(p), count(*), count(DISTINCT case_group_id) FROM c GROUP BY m),
     t AS (SELECT months.m, o.part, coalesce(money, 0) AS money, coalesce(cases, 0) AS cases,
                  coalesce(groups, 0) AS groups
           FROM months CROSS JOIN (VALUES ('new_application'), ('arrears_only'), ('all')) AS o(part)
           LEFT JOIN parts USING (m, part))
SELECT m, 'T20', 'legacy_csa_arrears', part, 'gbp', money / 100 FROM t
UNION ALL SELECT m, 'T20', 'cases_with_legacy_csa_arrears', part, 'count', cases FROM t
UNION ALL SELECT m, 'T20', 'case_groups_with_legacy_csa_arrears', part, 'count', groups FROM t
