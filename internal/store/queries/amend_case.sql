-- Writes a corrected request unless a correction as new or newer is stored (form_seq).
-- The level and the municipio are the case's progress too: the workflow's next progress
-- report writes them; the suggestion changes only when the caller recomputed it.
UPDATE enrolment_case
SET minor_given_name = @minor_given_name, minor_family_name = @minor_family_name,
    minor_birth_date = @minor_birth_date,
    minor_sex = NULLIF(@minor_sex, ''), minor_citizenship = NULLIF(@minor_citizenship, ''),
    minor_codice_fiscale = NULLIF(@minor_codice_fiscale, ''),
    minor_match_key = NULLIF(@minor_match_key, ''),
    origin = NULLIF(@origin, ''),
    special_needs = @special_needs, special_needs_note = NULLIF(@special_needs_note, ''),
    details = @details,
    suggested_level = CASE WHEN @suggest::bool THEN NULLIF(@suggested_level, '') ELSE suggested_level END,
    suggested_year = CASE WHEN @suggest::bool THEN @suggested_year::smallint ELSE suggested_year END,
    form_seq = @form_seq,
    updated_at = now()
WHERE id = @id AND form_seq < @form_seq
