-- Territorial monitoring: the figures of the cases filed in [@from, @to), grouped by the
-- dimension @by. A Polo START case counts in the ambito of Milano (comune 015146), a CTI's
-- case in the CTI's ambito, an unrouted one in its comune's. Weeks and months are those
-- of the filing, in Italian time. Overdue is at @now. Interventions are counted only for
-- the readers that may see them (their own table's policy).
WITH milano AS (SELECT ambito FROM comune WHERE istat = '015146'),
interventions AS (
    SELECT case_id,
           count(*) FILTER (WHERE stage NOT IN ('resolved', 'school_change', 'dropout')) AS open,
           count(*) FILTER (WHERE stage IN ('resolved', 'school_change', 'dropout')) AS closed
    FROM intervention GROUP BY case_id
)
SELECT CASE @by::text
           WHEN 'ambito' THEN coalesce(CASE WHEN c.hub LIKE 'polo\_start:%' THEN (SELECT ambito FROM milano)
                                            WHEN c.hub LIKE 'cti:%' THEN substr(c.hub, 5) END, k.ambito, '')
           WHEN 'hub' THEN coalesce(c.hub, '')
           WHEN 'comune' THEN c.comune
           WHEN 'level' THEN c.level
           WHEN 'origin' THEN coalesce(c.origin, '')
           WHEN 'week' THEN to_char(date_trunc('week', c.created_at AT TIME ZONE 'Europe/Rome'), 'YYYY-MM-DD')
           WHEN 'month' THEN to_char(c.created_at AT TIME ZONE 'Europe/Rome', 'YYYY-MM')
       END AS key,
       count(*),
       count(*) FILTER (WHERE c.stage = 'received'),
       count(*) FILTER (WHERE c.stage = 'registered'),
       count(*) FILTER (WHERE c.stage = 'unrouted'),
       count(*) FILTER (WHERE c.stage = 'awaiting_proposal'),
       count(*) FILTER (WHERE c.stage = 'awaiting_decision'),
       count(*) FILTER (WHERE c.stage IN ('enrolled', 'completed')),
       count(*) FILTER (WHERE c.stage = 'withdrawn'),
       count(*) FILTER (WHERE c.task_kind IS NOT NULL AND c.task_due_at <= @now),
       count(*) FILTER (WHERE c.escalated),
       count(*) FILTER (WHERE (c.placement->>'Direct')::boolean),
       count(*) FILTER (WHERE c.dropout_risk),
       coalesce(sum(i.open), 0)::bigint,
       coalesce(sum(i.closed), 0)::bigint
FROM enrolment_case c
LEFT JOIN comune k ON k.istat = c.comune
LEFT JOIN interventions i ON i.case_id = c.id
WHERE (@from::timestamptz IS NULL OR c.created_at >= @from::timestamptz)
  AND (@to::timestamptz IS NULL OR c.created_at < @to::timestamptz)
  /*scope*/
GROUP BY 1
ORDER BY 1
