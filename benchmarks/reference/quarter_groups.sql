-- The case groups with a current liability in the quarter to each month (T5, T6, T21), in
-- pence: due, Direct Pay due, on Direct Pay, paid (null: no payment in the quarter) and the
-- area's constituency code of the group's first liable case ('' when not known): its smallest
-- case_id in the earliest month of the quarter in which the group has one.
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
SELECT l.*, p.paid FROM liable l LEFT JOIN paid p USING (m, case_group_id)
