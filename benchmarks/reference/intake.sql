-- T1 intake, T3 fees (from 2014-07), DQ duplicates removed and fee statuses recorded in error.
-- Duplicates: new applications with the same paying parent, receiving parent and received
-- date are one (view `kept`); fees began on 30 June 2014 (that day belongs to June 2014).
WITH sent AS (SELECT m, count(*) FILTER (application_type = 'new_application') AS received,
                     count(*) FILTER (application_type = 'arrears_only') AS arrears
              FROM applications GROUP BY m),
     k AS (SELECT m, count(*) AS kept,
                  count(*) FILTER (fee_status = 'fee_paid') AS paid,
                  count(*) FILTER (fee_status = 'exempt_domestic_violence') AS dv,
                  count(*) FILTER (fee_status = 'exempt_under_19') AS u19
           FROM kept GROUP BY m),
     e AS (SELECT m,
                  count(*) FILTER (application_type = 'new_application' AND fee_status = 'no_fee'
                                   AND received_date >= DATE '2014-06-30') AS no_fee_after,
                  count(*) FILTER (fee_status <> 'no_fee' AND received_date < DATE '2014-06-30') AS fee_before,
                  count(*) FILTER (application_type = 'arrears_only' AND fee_status <> 'no_fee'
                                   AND received_date >= DATE '2014-06-30') AS fee_arrears
           FROM (SELECT m, application_type, fee_status, received_date FROM kept
                 UNION ALL SELECT m, application_type, fee_status, received_date
                 FROM applications WHERE application_type = 'arrears_only') GROUP BY m),
     c AS (SELECT months.m, coalesce(kept, 0) AS new, coalesce(received, 0) - coalesce(kept, 0) AS dup,
                  coalesce(arrears, 0) AS arrears, coalesce(paid, 0) AS paid, coalesce(dv, 0) AS dv,
                  coalesce(u19, 0) AS u19, coalesce(no_fee_after, 0) AS no_fee_after,
                  coalesce(fee_before, 0) AS fee_before, coalesce(fee_arrears, 0) AS fee_arrears
           FROM months LEFT JOIN sent USING (m) LEFT JOIN k USING (m) LEFT JOIN e USING (m)),
     fees AS (SELECT * FROM c WHERE m >= 2014 * 12 + 6)
SELECT m, 'T1', 'new_applications', 'all', 'count', new FROM c
UNION ALL SELECT m, 'T1', 'arrears_only_applications', 'all', 'count', arrears FROM c
UNION ALL SELECT m, 'T1', 'total_intake', 'all', 'count', new + arrears FROM c
UNION ALL SELECT m, 'T1', 'duplicate_new_applications_removed', 'all', 'count', dup FROM c
UNION ALL SELECT m, 'DQ', 'duplicate_new_applications_removed', 'all', 'count', dup FROM c
UNION ALL SELECT m, 'DQ', 'fee_status_recorded_in_error', 'no_fee_after_fees_began', 'count', no_fee_after FROM c
UNION ALL SELECT m, 'DQ', 'fee_status_recorded_in_error', 'fee_before_fees_began', 'count', fee_before FROM c
UNION ALL SELECT m, 'DQ', 'fee_status_recorded_in_error', 'fee_on_arrears_only', 'count', fee_arrears FROM c
UNION ALL SELECT m, 'DQ', 'fee_status_recorded_in_error', 'all', 'count', no_fee_after + fee_before + fee_arrears FROM c
UNION ALL SELECT m, 'T3', 'fee_paying_applications', 'all', 'count', paid FROM fees
UNION ALL SELECT m, 'T3', 'fee_exemptions', 'domestic_violence', 'count', dv FROM fees
UNION ALL SELECT m, 'T3', 'fee_exemptions', 'under_19', 'count', u19 FROM fees
UNION ALL SELECT m, 'T3', 'fee_exemptions', 'all', 'count', dv + u19 FROM fees
UNION ALL SELECT m, 'T3', 'fee_exemption_share', 'all', 'share', (dv + u19) / nullif(new, 0) FROM fees
