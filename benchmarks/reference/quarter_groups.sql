-- The case groups with a current liability in the quarter to each month (T5, T6, T21), counted
-- by month and by the constituency code of the group's first liable case ('' when not known):
-- its smallest case_id in the earliest month of the quarter in which the group has one. Table
-- `quarter_groups`: groups, contributing (a Direct Pay case with liability_due > 0, or a
-- payment dated in the quarter), cash due and cash paid (Direct Pay's due assumed paid, plus
-- the payments less their part paid to arrears), in pence.
CREATE TEMP TABLE quarter_groups AS
WITH monthly AS (SELECT m, case_group_id, sum(round(liability_due * 100)::BIGINT) AS due,
                        sum(round(liability_due * 100)::BIGINT) FILTER (service_type = 'direct_pay') AS dp_due,
                        bool_or(service_type = 'direct_pay') AS dp,
                        arg_min(coalesce(constituency_code, ''), case_id) AS code
                 FROM snap WHERE liability_due > 0 GROUP BY m, case_group_id),
     quarter AS (SELECT * FROM (VALUES (0), (1), (2)) AS o(k)),
     liable AS (SELECT g.m + o.k AS m, g.case_group_id, sum(g.due) AS due,
                       sum(g.dp_due) AS dp_due, bool_or(g.dp) AS dp, arg_min(g.code, g.m) AS code
                FROM monthly g CROSS JOIN quarter o
                WHERE g.m + o.k IN (SELECT m FROM months)
                GROUP BY 1, 2),
     paid_monthly AS (SELECT m, case_group_id, sum(current_pence) AS paid
                      FROM pay GROUP BY m, case_group_id),
     paid AS (SELECT p.m + o.k AS m, p.case_group_id, sum(p.paid) AS paid
              FROM paid_monthly p CROSS JOIN quarter o
              WHERE p.m + o.k IN (SELECT m FROM months)
              GROUP BY 1, 2)
SELECT l.m, l.code, count(*) AS groups, count(*) FILTER (l.dp OR p.paid IS NOT NULL) AS contributing,
       sum(l.due) AS cash_due, sum(coalesce(l.dp_due, 0)) + sum(coalesce(p.paid, 0)) AS cash_paid
FROM liable l LEFT JOIN paid p USING (m, case_group_id)
GROUP BY l.m, l.code
