-- T5 case groups with a current liability in the quarter to m and contributing; T6 cash due
-- and cash paid (table `quarter_groups`, summed over the areas).
WITH g AS (SELECT m, sum(groups) AS groups, sum(contributing) AS contributing,
                  sum(cash_due) AS cash_due, sum(cash_paid) AS cash_paid
           FROM quarter_groups GROUP BY m),
     c AS (SELECT months.m, coalesce(groups, 0) AS groups, coalesce(contributing, 0) AS contributing,
                  coalesce(cash_due, 0) AS cash_due, coalesce(cash_paid, 0) AS cash_paid
           FROM months LEFT JOIN g USING (m))
SELECT m, 'T5', 'case_groups_with_current_liability', 'all', 'count', groups FROM c
UNION ALL SELECT m, 'T5', 'case_groups_contributing', 'all', 'count', contributing FROM c
UNION ALL SELECT m, 'T5', 'case_groups_contributing_share', 'all', 'share', contributing / nullif(groups, 0) FROM c
UNION ALL SELECT m, 'T6', 'cash_due', 'all', 'gbp', cash_due / 100 FROM c
UNION ALL SELECT m, 'T6', 'cash_paid', 'all', 'gbp', cash_paid / 100 FROM c
UNION ALL SELECT m, 'T6', 'cash_paid_share', 'all', 'share', cash_paid / nullif(cash_due, 0) FROM c
