-- T5 case groups with a current liability in the quarter to m (a case had liability_due > 0 in
-- a snapshot of the quarter) and contributing (a Direct Pay case with liability_due > 0, or a
-- payment to the group dated in the quarter); T6 cash due and paid (Direct Pay's due assumed
-- paid, plus Collect and Pay payments less their part paid to arrears). Table `quarter_groups`.
WITH g AS (SELECT l.m, count(*) AS groups,
                  count(*) FILTER (l.dp OR l.paid IS NOT NULL) AS contributing,
                  sum(l.due) AS cash_due,
                  sum(coalesce(l.dp_due, 0)) + sum(coalesce(l.paid, 0)) AS cash_paid
           FROM quarter_groups l GROUP BY l.m),
     c AS (SELECT months.m, coalesce(groups, 0) AS groups, coalesce(contributing, 0) AS contributing,
                  coalesce(cash_due, 0) AS cash_due, coalesce(cash_paid, 0) AS cash_paid
           FROM months LEFT JOIN g USING (m))
SELECT m, 'T5', 'case_groups_with_current_liability', 'all', 'count', groups FROM c
UNION ALL SELECT m, 'T5', 'case_groups_contributing', 'all', 'count', contributing FROM c
UNION ALL SELECT m, 'T5', 'case_groups_contributing_share', 'all', 'share', contributing / nullif(groups, 0) FROM c
UNION ALL SELECT m, 'T6', 'cash_due', 'all', 'gbp', cash_due / 100 FROM c
UNION ALL SELECT m, 'T6', 'cash_paid', 'all', 'gbp', cash_paid / 100 FROM c
UNION ALL SELECT m, 'T6', 'cash_paid_share', 'all', 'share', cash_paid / nullif(cash_due, 0) FROM c
