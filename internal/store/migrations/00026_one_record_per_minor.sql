-- +goose Up
-- One record per minor (issue 16). Before a case is recorded, the worker looks for an open
-- case of the same minor: the same codice fiscale, or the same names and birth date as
-- internal/namematch reduces them to a key. minor_match_key is that key, a SHA-256 digest
-- computed by the application (the transliteration is Go code). It is personal data all
-- the same, so it sits in the case row, under the case's row-level security, and goes
-- when the row is pseudonymised (the trigger below). Cases recorded before this migration
-- have no key: they are found by their codice fiscale only.
ALTER TABLE enrolment_case ADD COLUMN minor_match_key text;

CREATE INDEX enrolment_case_open_match_key_idx ON enrolment_case (minor_match_key)
    WHERE minor_match_key IS NOT NULL AND stage NOT IN ('completed', 'withdrawn');
CREATE INDEX enrolment_case_open_codice_fiscale_idx ON enrolment_case (minor_codice_fiscale)
    WHERE minor_codice_fiscale IS NOT NULL AND stage NOT IN ('completed', 'withdrawn');

-- approdo_open_case_of_minor returns the open case of the minor with this codice fiscale
-- ('' for none) or this match key, other than except_id; NULL when there is none. It runs
-- as the owner because the caller must learn of a case it may not see (a comune refiling
-- a minor another comune filed): it returns the case's ID and nothing else, and the
-- application decides what the caller is told.
--
-- The same codice fiscale is always the same minor. Two codes of the same kind (both
-- provisional, 11 digits, or both definitive, 16) that differ are two minors, whatever
-- their names: the code decides, and a namesake born the same day is not merged. A
-- provisional code against a definitive one decides nothing (the provisional one is
-- replaced by the definitive one), and neither does a missing one: the names decide.
-- +goose StatementBegin
CREATE FUNCTION approdo_open_case_of_minor(codice_fiscale text, match_key text, except_id uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.id FROM enrolment_case c
    WHERE approdo_org() <> ''
      AND c.stage NOT IN ('completed', 'withdrawn')
      AND c.id IS DISTINCT FROM except_id
      AND ((codice_fiscale <> '' AND c.minor_codice_fiscale = codice_fiscale)
           OR (match_key <> '' AND c.minor_match_key = match_key
               AND NOT (codice_fiscale <> '' AND c.minor_codice_fiscale IS NOT NULL
                        AND length(codice_fiscale) = length(c.minor_codice_fiscale))))
    ORDER BY c.minor_codice_fiscale IS NOT DISTINCT FROM codice_fiscale DESC, c.created_at, c.id
    LIMIT 1
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION approdo_open_case_of_minor(text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approdo_open_case_of_minor(text, text, uuid) TO approdo_app;

-- A pseudonymised case keeps no key: it would tie the row back to the minor's names.
-- +goose StatementBegin
CREATE FUNCTION approdo_forget_match_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.minor_match_key := NULL;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER enrolment_case_forget_match_key BEFORE UPDATE ON enrolment_case
    FOR EACH ROW WHEN (NEW.pseudonymised_at IS NOT NULL AND NEW.minor_match_key IS NOT NULL)
    EXECUTE FUNCTION approdo_forget_match_key();

-- +goose Down
DROP TRIGGER enrolment_case_forget_match_key ON enrolment_case;
DROP FUNCTION approdo_forget_match_key();
DROP FUNCTION approdo_open_case_of_minor(text, text, uuid);
DROP INDEX enrolment_case_open_codice_fiscale_idx;
DROP INDEX enrolment_case_open_match_key_idx;
ALTER TABLE enrolment_case DROP COLUMN minor_match_key;
