SELECT id::text, request_id::text, filed_by, request_hash, workflow_id, comune, level,
       minor_given_name, minor_family_name, to_char(minor_birth_date, 'YYYY-MM-DD'),
       stage, created_at, updated_at
FROM enrolment_case
WHERE id = @id
