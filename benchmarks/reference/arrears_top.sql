-- T8's contributions for the dominance rule: the total maintenance liability's two largest case
-- groups, each month's (by service type and in all, in pence) summed over the months to m.
WITH g AS (SELECT m, case_group_id, sum(round(liability_due * 100)::BIGINT) AS a,
                  sum(round(liability_due * 100)::BIGINT) FILTER (service_type = 'direct_pay') AS dp,
                  sum(round(liability_due * 100)::BIGINT) FILTER (service_type = 'collect_and_pay') AS cp
           FROM snap WHERE liability_due > 0 GROUP BY ALL),
     tops AS (SELECT m, max(a, 2) AS a, max(dp, 2) AS dp, max(cp, 2) AS cp FROM g GROUP BY m),
     cum AS (SELECT months.m,
                    sum(coalesce(a[1], 0)) OVER w AS a1, sum(coalesce(a[2], 0)) OVER w AS a2,
                    sum(coalesce(dp[1], 0)) OVER w AS dp1, sum(coalesce(dp[2], 0)) OVER w AS dp2,
                    sum(coalesce(cp[1], 0)) OVER w AS cp1, sum(coalesce(cp[2], 0)) OVER w AS cp2
             FROM months LEFT JOIN tops USING (m) WINDOW w AS (ORDER BY months.m))
SELECT m, 'T8', 'total_maintenance_liability', 'all', a1 / 100, a2 / 100 FROM cum
UNION ALL SELECT m, 'T8', 'total_maintenance_liability', 'direct_pay', dp1 / 100, dp2 / 100 FROM cum
UNION ALL SELECT m, 'T8', 'total_maintenance_liability', 'collect_and_pay', cp1 / 100, cp2 / 100 FROM cum
