-- A page of cases, newest first, after the cursor (created_at, id). Empty parameters do
-- not filter.
SELECT id::text, stage, comune, level, coalesce(hub, ''), coalesce(school, ''), coalesce(origin, ''),
       proposal_count, escalated, coalesce(escalation_reason, ''), dropout_risk,
       coalesce(task_kind, ''), coalesce(task_owner, ''), task_since, task_due_at, task_reminder_at,
       task_reminded, task_escalated, created_at, updated_at
FROM enrolment_case c
WHERE (@stage = '' OR stage = @stage)
  AND (@hub = '' OR hub = @hub)
  AND (@comune = '' OR comune = @comune)
  AND (@school = '' OR school = @school)
  AND (NOT @overdue OR (task_kind IS NOT NULL AND task_due_at <= @now))
  AND (@escalated::boolean IS NULL OR escalated = @escalated)
  AND (@after_created::timestamptz IS NULL OR (created_at, id) < (@after_created, @after_id::uuid))
  /*scope*/
ORDER BY created_at DESC, id DESC
LIMIT @limit
