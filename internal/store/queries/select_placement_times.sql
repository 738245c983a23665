-- Time to placement: from filing to the seat, for the cases filed in [@from, @to) that a
-- hub placed (direct enrolments have no wait to measure), by hub or by month of filing.
SELECT CASE @by::text
           WHEN 'hub' THEN coalesce(hub, '')
           WHEN 'month' THEN to_char(created_at AT TIME ZONE 'Europe/Rome', 'YYYY-MM')
       END AS key,
       count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM enrolled_at - created_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM enrolled_at - created_at))
FROM enrolment_case c
WHERE enrolled_at IS NOT NULL AND NOT coalesce((placement->>'Direct')::boolean, false)
  AND (@from::timestamptz IS NULL OR created_at >= @from::timestamptz)
  AND (@to::timestamptz IS NULL OR created_at < @to::timestamptz)
  /*scope*/
GROUP BY 1
ORDER BY 1
