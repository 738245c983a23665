-- The inbox of one organisation: overdue first, then by deadline, those without one last.
-- Ordering by the deadline alone puts the overdue tasks first (theirs are the earliest),
-- and the inbox index serves that order: a range scan that stops at the limit, with any
-- owner, so the plan made without the owner's value is the good one and is kept
-- (listPlanning). The limit is written in (/*limit*/): as a parameter, a plan made without
-- it would expect a tenth of the rows.
SELECT id::text, stage, comune, level, task_kind, task_owner, task_since, task_due_at, task_reminder_at,
       task_reminded, task_escalated
FROM enrolment_case
WHERE task_kind IS NOT NULL AND task_owner = @owner
ORDER BY task_due_at ASC NULLS LAST, created_at ASC
LIMIT /*limit*/
