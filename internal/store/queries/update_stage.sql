UPDATE enrolment_case
SET stage = @stage, updated_at = now()
WHERE id = @id
