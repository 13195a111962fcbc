-- T20's contributions for the dominance rule: each month's two largest case groups' legacy CSA
-- arrears, by origin (the group's cases of that origin) and in all (0 when none).
WITH g AS (SELECT m, origin AS part, case_group_id, sum(round(csa_arrears * 100)::BIGINT) AS p
           FROM snap WHERE csa_arrears > 0 GROUP BY ALL
           UNION ALL SELECT m, 'all', case_group_id, sum(round(csa_arrears * 100)::BIGINT)
           FROM snap WHERE csa_arrears > 0 GROUP BY ALL),
     tops AS (SELECT m, part, max(p, 2) AS p FROM g GROUP BY ALL)
SELECT months.m, 'T20', 'legacy_csa_arrears', o.part, coalesce(p[1], 0) / 100, coalesce(p[2], 0) / 100
FROM months CROSS JOIN (VALUES ('new_application'), ('arrears_only'), ('all')) AS o(part)
LEFT JOIN tops USING (m, part)
