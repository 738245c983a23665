-- Applies a progress report unless the stored one is as new or newer (seq).
UPDATE enrolment_case
SET seq = @seq, stage = @stage, comune = @comune, municipio = NULLIF(@municipio, 0),
    level = @level, class_year = NULLIF(@class_year, 0),
    hub = NULLIF(@hub, ''), school = NULLIF(@school, ''), proposal_count = @proposal_count,
    escalated = @escalated, escalation_reason = NULLIF(@escalation_reason, ''), dropout_risk = @dropout_risk,
    task_kind = NULLIF(@task_kind, ''), task_owner = NULLIF(@task_owner, ''),
    task_since = @task_since, task_due_at = @task_due_at, task_reminder_at = @task_reminder_at,
    task_reminded = @task_reminded, task_escalated = @task_escalated,
    placement = @placement,
    -- The seat's time is set once: the event that placed the minor, else this write.
    enrolled_at = coalesce(enrolled_at, CASE WHEN @placement::jsonb IS NOT NULL THEN coalesce(@enrolled_at::timestamptz, now()) END),
    updated_at = now()
WHERE id = @id AND seq < @seq
