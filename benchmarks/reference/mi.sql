-- T11 appeals, T12 complaints (scheme to date: the running sum from the folder's first month),
-- T13 telephony (shares of calls received), T14 accuracy checks (accurate when the calculated
-- amount is within max(GBP 1.00, 2% of the correct amount) of it; in pence). MI rows: each
-- month's latest delivery (views appeals, complaints, telephony, checks).
WITH a AS (SELECT months.m, appeals_received AS received, appeals_cleared AS cleared,
                  appeals_cleared_tribunal_outcome AS tribunal, appeals_cleared_cms_outcome AS cms
           FROM months JOIN appeals ON appeals.month = months.snapshot_month),
     c AS (SELECT months.m, complaints_resolution AS resolution, complaints_review AS review,
                  complaints_total AS total,
                  sum(complaints_total) OVER (ORDER BY months.m) AS to_date
           FROM months JOIN complaints ON complaints.month = months.snapshot_month),
     t AS (SELECT months.m, calls_received AS received, calls_answered AS answered,
                  calls_answered_within_30_seconds AS within
           FROM months JOIN telephony ON telephony.month = months.snapshot_month),
     k AS (SELECT months.m, count(checks.check_month) AS n,
                  count(*) FILTER (100 * abs(round(calculated_weekly_amount * 100) - round(correct_weekly_amount * 100))
                                   <= greatest(10000, 2 * round(correct_weekly_amount * 100))) AS accurate
           FROM months LEFT JOIN checks ON checks.check_month = months.snapshot_month GROUP BY months.m)
SELECT m, 'T11', 'appeals_received', 'all', 'count', received FROM a
UNION ALL SELECT m, 'T11', 'appeals_cleared', 'all', 'count', cleared FROM a
UNION ALL SELECT m, 'T11', 'appeals_cleared', 'tribunal_outcome', 'count', tribunal FROM a
UNION ALL SELECT m, 'T11', 'appeals_cleared', 'cms_outcome', 'count', cms FROM a
UNION ALL SELECT m, 'T12', 'complaints_received', 'all', 'count', total FROM c
UNION ALL SELECT m, 'T12', 'complaints_received', 'resolution', 'count', resolution FROM c
UNION ALL SELECT m, 'T12', 'complaints_received', 'review', 'count', review FROM c
UNION ALL SELECT m, 'T12', 'complaints_received_scheme_to_date', 'all', 'count', to_date FROM c
UNION ALL SELECT m, 'T13', 'calls_received', 'all', 'count', received FROM t
UNION ALL SELECT m, 'T13', 'calls_answered', 'all', 'count', answered FROM t
UNION ALL SELECT m, 'T13', 'calls_answered_within_30_seconds', 'all', 'count', within FROM t
UNION ALL SELECT m, 'T13', 'calls_answered_share', 'all', 'share', answered / nullif(received, 0) FROM t
UNION ALL SELECT m, 'T13', 'calls_answered_within_30_seconds_share', 'all', 'share', within / nullif(received, 0) FROM t
UNION ALL SELECT m, 'T14', 'accuracy_checks', 'all', 'count', n FROM k
UNION ALL SELECT m, 'T14', 'accurate_checks', 'all', 'count', accurate FROM k
UNION ALL SELECT m, 'T14', 'accuracy_share', 'all', 'share', accurate / nullif(n, 0) FROM k
