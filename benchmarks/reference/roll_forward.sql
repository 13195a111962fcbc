-- DQ arrears roll-forward, per case in pence with a tolerance of 1p: within the month
-- (opening + accrued - paid + adjustment = closing) and across months (opening = the closing of
-- the month before, 0 for a case not in it; not in the first month). A case group fails when a
-- case fails; money at stake = the failing checks' absolute differences. Cases that left with
-- arrears: arrears_closing > 0 at the end of m-1 and not in the snapshot of m.
CREATE TEMP TABLE roll_forward AS
WITH s AS (SELECT m, case_id, case_group_id,
                  round(arrears_opening * 100)::BIGINT AS o, round(arrears_accrued * 100)::BIGINT AS a,
                  round(arrears_paid * 100)::BIGINT AS p, round(arrears_adjustment * 100)::BIGINT AS j,
                  round(arrears_closing * 100)::BIGINT AS c FROM snap),
     both_months AS (SELECT cur.m, cur.case_group_id, abs(cur.o + cur.a - cur.p + cur.j - cur.c) AS dw,
                            CASE WHEN cur.m > $first_m THEN abs(cur.o - coalesce(prev.c, 0)) ELSE 0 END AS da,
                            prev.m + 1 AS left_m, prev.case_id, prev.c AS left_c, cur.case_id IS NULL AS gone
                     FROM s cur FULL JOIN s prev ON prev.case_id = cur.case_id AND prev.m = cur.m - 1),
     groups AS (SELECT m, case_group_id, bool_or(dw > 1) AS fw, bool_or(da > 1) AS fa,
                       coalesce(sum(dw) FILTER (dw > 1), 0) AS mw, coalesce(sum(da) FILTER (da > 1), 0) AS ma
                FROM both_months WHERE NOT gone AND (dw > 1 OR da > 1) GROUP BY ALL)
SELECT m, case_group_id, NULL AS case_id, fw, fa, mw, ma FROM groups
UNION ALL SELECT left_m, NULL, case_id, NULL, NULL, left_c, NULL FROM both_months WHERE gone AND left_c > 0;
WITH groups AS (SELECT * FROM roll_forward WHERE case_group_id IS NOT NULL),
     f AS (SELECT m, count(*) FILTER (fw) AS fw, count(*) FILTER (fa) AS fa, count(*) AS f,
                  sum(mw) AS mw, sum(ma) AS ma FROM groups GROUP BY m),
     gone AS (SELECT m, count(*) AS n, sum(mw) AS money FROM roll_forward WHERE case_id IS NOT NULL GROUP BY m),
     t AS (SELECT months.m, coalesce(fw, 0) AS fw, coalesce(fa, 0) AS fa, coalesce(f, 0) AS f,
                  coalesce(mw, 0) AS mw, coalesce(ma, 0) AS ma,
                  coalesce(gone.n, 0) AS gone_n, coalesce(gone.money, 0) AS gone_money
           FROM months LEFT JOIN f USING (m) LEFT JOIN gone USING (m))
SELECT m, 'DQ', 'arrears_roll_forward_failures', 'within_month', 'count', fw FROM t
UNION ALL SELECT m, 'DQ', 'arrears_roll_forward_failures', 'across_months', 'count', fa FROM t
UNION ALL SELECT m, 'DQ', 'arrears_roll_forward_failures', 'all', 'count', f FROM t
UNION ALL SELECT m, 'DQ', 'arrears_roll_forward_money_at_stake', 'within_month', 'gbp', mw / 100 FROM t
UNION ALL SELECT m, 'DQ', 'arrears_roll_forward_money_at_stake', 'across_months', 'gbp', ma / 100 FROM t
UNION ALL SELECT m, 'DQ', 'arrears_roll_forward_money_at_stake', 'all', 'gbp', (mw + ma) / 100 FROM t
UNION ALL SELECT m, 'DQ', 'cases_closed_with_arrears', 'all', 'count', gone_n FROM t WHERE m > $first_m
UNION ALL SELECT m, 'DQ', 'arrears_on_closed_cases', 'all', 'gbp', gone_money / 100 FROM t WHERE m > $first_m
