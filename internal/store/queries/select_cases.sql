-- A page of cases, newest first: the rows of the arms (select_cases_arm.sql) put together, each
-- arm already the newest of one way the reader sees cases, then cut to the page (/*limit*/,
-- written in). listCasesQuery (list.go) fills both markers.
SELECT c.id::text, c.stage, c.comune, c.level, c.hub, c.school, c.origin,
       c.proposal_count, c.escalated, c.escalation_reason, c.dropout_risk,
       c.task_kind, c.task_owner, c.task_since, c.task_due_at, c.task_reminder_at,
       c.task_reminded, c.task_escalated, c.created_at, c.updated_at
FROM (/*arms*/) c
ORDER BY c.created_at DESC, c.id DESC
LIMIT /*limit*/
