-- The inbox of one organisation: overdue first, then by deadline, those without one last.
SELECT id::text, stage, comune, level, task_kind, task_owner, task_since, task_due_at, task_reminder_at,
       task_reminded, task_escalated
FROM enrolment_case
WHERE task_kind IS NOT NULL AND task_owner = @owner
ORDER BY (task_due_at IS NOT NULL AND task_due_at <= @now) DESC, task_due_at ASC NULLS LAST, created_at ASC
LIMIT @limit
