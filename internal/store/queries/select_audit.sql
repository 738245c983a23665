-- The audit log for UST, newest first, filtered by case, organisation and period.
SELECT id, at, actor, organisation, action, coalesce(case_id::text, ''), request_id, outcome, client_address, subject
FROM audit_log
WHERE (@case_id::uuid IS NULL OR case_id = @case_id)
  AND (@organisation = '' OR organisation = @organisation)
  AND (@from::timestamptz IS NULL OR at >= @from)
  AND (@to::timestamptz IS NULL OR at < @to)
ORDER BY at DESC, id DESC
LIMIT @limit
