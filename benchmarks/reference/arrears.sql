-- T8 outstanding arrears, case groups with arrears, the cumulative total maintenance liability
-- (every snapshot's liability_due to m, plus the liability due in the month each case closed in
-- the total only, plus extract.json's opening balances), its share and the proxy collected.
WITH monthly AS (
       SELECT m, sum(round(arrears_closing * 100)::BIGINT) AS arrears,
              sum(round(liability_due * 100)::BIGINT) AS due,
              coalesce(sum(round(liability_due * 100)::BIGINT) FILTER (service_type = 'direct_pay'), 0) AS dp,
              coalesce(sum(round(liability_due * 100)::BIGINT) FILTER (service_type = 'collect_and_pay'), 0) AS cp
       FROM snap GROUP BY m),
     groups AS (SELECT m, count(*) AS n FROM (
       SELECT m, case_group_id FROM snap GROUP BY m, case_group_id
       HAVING sum(round(arrears_closing * 100)::BIGINT) > 0) GROUP BY m),
     closed AS (SELECT m, sum(round(liability_due * 100)::BIGINT) AS due FROM closures GROUP BY m),
     cum AS (SELECT months.m, coalesce(arrears, 0) AS arrears, coalesce(groups.n, 0) AS n,
                    $opening_total + sum(coalesce(monthly.due, 0) + coalesce(closed.due, 0)) OVER w AS tml,
                    $opening_dp + sum(coalesce(dp, 0)) OVER w AS tml_dp,
                    $opening_cp + sum(coalesce(cp, 0)) OVER w AS tml_cp
             FROM months LEFT JOIN monthly USING (m) LEFT JOIN closed USING (m) LEFT JOIN groups USING (m)
             WINDOW w AS (ORDER BY months.m))
SELECT m, 'T8', 'outstanding_arrears', 'all', 'gbp', arrears / 100 FROM cum
UNION ALL SELECT m, 'T8', 'case_groups_with_arrears', 'all', 'count', n FROM cum
UNION ALL SELECT m, 'T8', 'total_maintenance_liability', 'all', 'gbp', tml / 100 FROM cum
UNION ALL SELECT m, 'T8', 'total_maintenance_liability', 'direct_pay', 'gbp', tml_dp / 100 FROM cum
UNION ALL SELECT m, 'T8', 'total_maintenance_liability', 'collect_and_pay', 'gbp', tml_cp / 100 FROM cum
UNION ALL SELECT m, 'T8', 'arrears_share_of_liability', 'all', 'share', arrears / nullif(tml, 0) FROM cum
UNION ALL SELECT m, 'T8', 'proxy_amount_collected', 'all', 'gbp', (tml - arrears) / 100 FROM cum
