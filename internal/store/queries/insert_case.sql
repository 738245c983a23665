-- Records a case once. A retried activity finds the row already there and changes nothing,
-- so the caller reads it back with select_case.sql.
INSERT INTO enrolment_case (
    id, request_id, filed_by, request_hash, workflow_id, comune, level,
    minor_given_name, minor_family_name, minor_birth_date, stage,
    minor_sex, minor_citizenship, minor_codice_fiscale, municipio, origin,
    special_needs, special_needs_note, suggested_level, suggested_year, details, minor_match_key
) VALUES (
    @id, @request_id, @filed_by, @request_hash, @workflow_id, @comune, @level,
    @minor_given_name, @minor_family_name, @minor_birth_date, @stage,
    NULLIF(@minor_sex, ''), NULLIF(@minor_citizenship, ''), NULLIF(@minor_codice_fiscale, ''),
    NULLIF(@municipio, 0), NULLIF(@origin, ''),
    @special_needs, NULLIF(@special_needs_note, ''), NULLIF(@suggested_level, ''), @suggested_year, @details,
    NULLIF(@minor_match_key, '')
)
ON CONFLICT (id) DO NOTHING
