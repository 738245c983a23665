SELECT id::text, request_id::text, filed_by, request_hash, workflow_id, comune, level,
       minor_given_name, minor_family_name, to_char(minor_birth_date, 'YYYY-MM-DD'),
       stage, created_at, updated_at,
       coalesce(minor_sex, ''), coalesce(minor_citizenship, ''), coalesce(minor_codice_fiscale, ''),
       coalesce(municipio, 0), coalesce(origin, ''), special_needs, coalesce(special_needs_note, ''),
       coalesce(suggested_level, ''), suggested_year, details,
       seq, coalesce(class_year, 0), coalesce(hub, ''), coalesce(school, ''), proposal_count,
       escalated, coalesce(escalation_reason, ''), dropout_risk,
       coalesce(task_kind, ''), coalesce(task_owner, ''), task_since, task_due_at, task_reminder_at,
       task_reminded, task_escalated, placement
FROM enrolment_case
WHERE id = @id
