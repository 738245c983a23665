-- One arm of a page of cases: the cases one way of the reader's scope gives (/*way*/),
-- with the list's filters (/*filters*/, only those the caller set), newest first, as many
-- as the page (/*limit*/). Each way is served by an index ordered as the list (created_at
-- DESC, id DESC), so the arm is an index scan that stops at the page, whatever the
-- parameters' values: the plan PostgreSQL makes without them is the good one.
SELECT c.id, c.stage, c.comune, c.level, coalesce(c.hub, '') AS hub, coalesce(c.school, '') AS school,
       coalesce(c.origin, '') AS origin, c.proposal_count, c.escalated,
       coalesce(c.escalation_reason, '') AS escalation_reason, c.dropout_risk,
       coalesce(c.task_kind, '') AS task_kind, coalesce(c.task_owner, '') AS task_owner,
       c.task_since, c.task_due_at, c.task_reminder_at, c.task_reminded, c.task_escalated,
       c.created_at, c.updated_at
FROM enrolment_case c
WHERE true /*way*/ /*filters*/
ORDER BY c.created_at DESC, c.id DESC
LIMIT /*limit*/
