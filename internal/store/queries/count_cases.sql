-- Territorial monitoring: how many cases each hub has in each stage, how many are past
-- their deadline, escalated, at risk of dropout, and how many were enrolled directly. The
-- reader's scope (scope.go) lets a comune's or a hub's count read its cases by index.
SELECT coalesce(hub, ''), stage, count(*),
       count(*) FILTER (WHERE task_kind IS NOT NULL AND task_due_at <= @now),
       count(*) FILTER (WHERE escalated),
       count(*) FILTER (WHERE dropout_risk),
       count(*) FILTER (WHERE (placement->>'Direct')::boolean)
FROM enrolment_case c
WHERE true /*scope*/
GROUP BY 1, 2
ORDER BY 1, 2
