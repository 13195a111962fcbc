-- DQ's contributions for the dominance rule: each month's two largest failing case groups'
-- money at stake (within the month, across months, either), and the two largest cases'
-- arrears among those that left (table `roll_forward`).
WITH tops AS (SELECT m, max(mw, 2) FILTER (fw) AS w, max(ma, 2) FILTER (fa) AS a, max(mw + ma, 2) AS b
              FROM roll_forward WHERE case_group_id IS NOT NULL GROUP BY m),
     gone AS (SELECT m, max(mw, 2) AS c FROM roll_forward WHERE case_id IS NOT NULL GROUP BY m),
     t AS (SELECT * FROM months LEFT JOIN tops USING (m) LEFT JOIN gone USING (m))
SELECT m, 'DQ', 'arrears_roll_forward_money_at_stake', 'within_month', coalesce(w[1], 0) / 100, coalesce(w[2], 0) / 100 FROM t
UNION ALL SELECT m, 'DQ', 'arrears_roll_forward_money_at_stake', 'across_months', coalesce(a[1], 0) / 100, coalesce(a[2], 0) / 100 FROM t
UNION ALL SELECT m, 'DQ', 'arrears_roll_forward_money_at_stake', 'all', coalesce(b[1], 0) / 100, coalesce(b[2], 0) / 100 FROM t
UNION ALL SELECT m, 'DQ', 'arrears_on_closed_cases', 'all', coalesce(c[1], 0) / 100, coalesce(c[2], 0) / 100 FROM t WHERE m > $first_m
