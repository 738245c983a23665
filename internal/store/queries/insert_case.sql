-- Records a case once. A retried activity finds the row already there and changes nothing,
-- so the caller reads it back with select_case.sql.
INSERT INTO enrolment_case (
    id, request_id, filed_by, request_hash, workflow_id, comune, level,
    minor_given_name, minor_family_name, minor_birth_date, stage
) VALUES (
    @id, @request_id, @filed_by, @request_hash, @workflow_id, @comune, @level,
    @minor_given_name, @minor_family_name, @minor_birth_date, @stage
)
ON CONFLICT (id) DO NOTHING
