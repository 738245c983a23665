-- +goose Up
-- Retention (issue 15): the personal data of closed cases, journeys, interventions and
-- family imports is pseudonymised after the configured period; what statistics need (codes,
-- levels, origins, the dates of stage changes) stays. pseudonymised_at marks the rows
-- done, so a batch never does one twice. The application role may not update these
-- columns itself: the work is done by these SECURITY DEFINER functions, which only the
-- worker (org "system") may run in bulk, and UST or the worker for one case.
ALTER TABLE enrolment_case ADD COLUMN pseudonymised_at timestamptz;
ALTER TABLE reunification_journey ADD COLUMN pseudonymised_at timestamptz;
ALTER TABLE intervention ADD COLUMN pseudonymised_at timestamptz;
ALTER TABLE family_import ADD COLUMN pseudonymised_at timestamptz;

CREATE INDEX enrolment_case_retention_idx ON enrolment_case (updated_at)
    WHERE pseudonymised_at IS NULL AND stage IN ('completed', 'withdrawn');

-- A family as the Sportello Unico sent it, reduced to what statistics use: the comune and
-- municipio, each member's relation, sex, citizenship and year of birth, the nulla osta's
-- date and the language.
CREATE FUNCTION approdo_pseudonymous_family(f jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'sponsor', jsonb_strip_nulls(jsonb_build_object(
            'comune', f->'sponsor'->'comune', 'municipio', f->'sponsor'->'municipio')),
        'members', (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                        'relation', m->'relation', 'sex', m->'sex', 'citizenship', m->'citizenship',
                        'birthDate', to_jsonb(left(m->>'birthDate', 4)))) ORDER BY i), '[]'::jsonb)
                    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(f->'members') = 'array'
                                                   THEN f->'members' ELSE '[]'::jsonb END)
                         WITH ORDINALITY AS t(m, i)),
        'nullaOsta', jsonb_strip_nulls(jsonb_build_object('issuedOn', f->'nullaOsta'->'issuedOn')),
        'language', f->'language'))
$$;

-- Drops the free-text keys of each element of a JSON array (timelines, reviews).
CREATE FUNCTION approdo_without_notes(a jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(e) = 'object' THEN e - 'Note' - 'note' - 'Notes' - 'notes' ELSE e END ORDER BY i), '[]'::jsonb)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(a) = 'array' THEN a ELSE '[]'::jsonb END) WITH ORDINALITY AS t(e, i)
$$;

-- Pseudonymises one enrolment case and its interventions, whatever its stage (callers check
-- it is closed). Names go, the birth date becomes the 1st of January of its year, the codice
-- fiscale, the guardian's contacts, the address, notes and free text go; codes, dates,
-- level and origin stay. Returns false if the case was already done or does not exist.
-- +goose StatementBegin
CREATE FUNCTION approdo_pseudonymise_case(case_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE enrolment_case c SET
        minor_given_name = '', minor_family_name = '',
        minor_birth_date = make_date(extract(year FROM c.minor_birth_date)::int, 1, 1),
        minor_codice_fiscale = NULL, special_needs_note = NULL,
        details = c.details - 'guardianName' - 'guardianPhone' - 'guardianEmail' - 'residenceAddress' - 'notes' - 'lastClassAbroad',
        pseudonymised_at = now()
    WHERE c.id = approdo_pseudonymise_case.case_id AND c.pseudonymised_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    -- An event's reason is a code (a rejection or withdrawal reason); its note is free text.
    UPDATE case_event e SET note = NULL WHERE e.case_id = approdo_pseudonymise_case.case_id AND e.note IS NOT NULL;
    UPDATE notification n SET recipient = '' WHERE n.case_id = approdo_pseudonymise_case.case_id;
    UPDATE intervention i SET
        interview = CASE WHEN i.interview IS NULL THEN NULL ELSE i.interview - 'Note' END,
        plan = CASE WHEN i.plan IS NULL THEN NULL ELSE jsonb_set(i.plan, '{Actions}', '[]'::jsonb) END,
        reviews = approdo_without_notes(i.reviews),
        timeline = approdo_without_notes(i.timeline),
        pseudonymised_at = now()
    WHERE i.case_id = approdo_pseudonymise_case.case_id AND i.pseudonymised_at IS NULL;
    RETURN true;
END
$$;
-- +goose StatementEnd

-- One batch of the retention workflow: up to max rows of each kind, closed before before
-- and not yet pseudonymised. Returns how many of each were done; run again until every
-- count is zero. Only the worker may run it.
-- +goose StatementBegin
CREATE FUNCTION approdo_pseudonymise_closed(before timestamptz, max int)
RETURNS TABLE (cases bigint, journeys bigint, interventions bigint, imports bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    id uuid;
BEGIN
    IF approdo_org() IS DISTINCT FROM 'system' THEN
        RAISE EXCEPTION 'retention is the worker''s' USING ERRCODE = '42501';
    END IF;
    cases := 0; journeys := 0; interventions := 0; imports := 0;
    FOR id IN SELECT c.id FROM enrolment_case c
              WHERE c.pseudonymised_at IS NULL AND c.stage IN ('completed', 'withdrawn') AND c.updated_at < before
              ORDER BY c.updated_at, c.id LIMIT max FOR UPDATE SKIP LOCKED LOOP
        IF approdo_pseudonymise_case(id) THEN
            cases := cases + 1;
        END IF;
    END LOOP;

    -- Interventions closed long ago on a case still open (a later referral keeps it open).
    WITH done AS (
        UPDATE intervention i SET
            interview = CASE WHEN i.interview IS NULL THEN NULL ELSE i.interview - 'Note' END,
            plan = CASE WHEN i.plan IS NULL THEN NULL ELSE jsonb_set(i.plan, '{Actions}', '[]'::jsonb) END,
            reviews = approdo_without_notes(i.reviews),
            timeline = approdo_without_notes(i.timeline),
            pseudonymised_at = now()
        WHERE i.id IN (SELECT x.id FROM intervention x
                       WHERE x.pseudonymised_at IS NULL AND x.stage IN ('resolved', 'school_change', 'dropout')
                         AND x.updated_at < before
                       ORDER BY x.updated_at, x.id LIMIT max FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT interventions + count(*) INTO interventions FROM done;

    WITH done AS (
        UPDATE reunification_journey j SET
            reference = j.id::text, family = approdo_pseudonymous_family(j.family), family_hash = '',
            timeline = approdo_without_notes(j.timeline),
            pseudonymised_at = now()
        WHERE j.id IN (SELECT x.id FROM reunification_journey x
                       WHERE x.pseudonymised_at IS NULL AND x.stage = 'closed' AND x.updated_at < before
                       ORDER BY x.updated_at, x.id LIMIT max FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*) INTO journeys FROM done;

    WITH picked AS (
        SELECT x.id FROM family_import x
        WHERE x.pseudonymised_at IS NULL AND x.done AND x.updated_at < before
        ORDER BY x.updated_at, x.id LIMIT max FOR UPDATE SKIP LOCKED
    ), members AS (
        UPDATE family_import_row r SET family = approdo_pseudonymous_family(r.family)
        WHERE r.import_id IN (SELECT picked.id FROM picked)
    ), done AS (
        UPDATE family_import i SET filename = '', rejected = '[]', conflicts = '[]', pseudonymised_at = now()
        WHERE i.id IN (SELECT picked.id FROM picked)
        RETURNING 1)
    SELECT count(*) INTO imports FROM done;
    RETURN NEXT;
END
$$;
-- +goose StatementEnd

-- Erasure on request: UST (or the worker) pseudonymises one closed case at once and
-- records it on the case's timeline (kind personal_data_erased, by actor, with the reason
-- as its note). An open case is refused here too, whatever the caller checked. Erasing a
-- case already done changes nothing and records nothing.
-- +goose StatementBegin
CREATE FUNCTION approdo_erase_case(case_id uuid, actor text, reason text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    st text;
BEGIN
    IF approdo_org() NOT IN ('ust', 'system') THEN
        RAISE EXCEPTION 'erasure is UST''s' USING ERRCODE = '42501';
    END IF;
    SELECT c.stage INTO st FROM enrolment_case c WHERE c.id = approdo_erase_case.case_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case not found' USING ERRCODE = 'P0002';
    END IF;
    IF st NOT IN ('completed', 'withdrawn') THEN
        RAISE EXCEPTION 'case is open' USING ERRCODE = '55000';
    END IF;
    IF NOT approdo_pseudonymise_case(approdo_erase_case.case_id) THEN
        RETURN false;
    END IF;
    INSERT INTO case_event (case_id, seq, at, kind, actor, note)
    SELECT approdo_erase_case.case_id, coalesce(max(e.seq), 0) + 1, now(), 'personal_data_erased',
           approdo_erase_case.actor, approdo_erase_case.reason
    FROM case_event e WHERE e.case_id = approdo_erase_case.case_id;
    RETURN true;
END
$$;
-- +goose StatementEnd

-- What is deleted outright: raw PEC messages (receipts keep their parsed fields, which
-- prove delivery), account messages, expired or revoked sessions and used or expired
-- password links.
-- +goose StatementBegin
CREATE FUNCTION approdo_purge(before timestamptz, now timestamptz)
RETURNS TABLE (pec_messages bigint, account_messages bigint, sessions bigint, tokens bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF approdo_org() IS DISTINCT FROM 'system' THEN
        RAISE EXCEPTION 'retention is the worker''s' USING ERRCODE = '42501';
    END IF;
    UPDATE pec_receipt SET raw = ''::bytea WHERE received_at < before AND raw <> ''::bytea;
    GET DIAGNOSTICS pec_messages = ROW_COUNT;
    DELETE FROM pec_inbox_rejected WHERE received_at < before;
    GET DIAGNOSTICS n = ROW_COUNT;
    pec_messages := pec_messages + n;
    DELETE FROM account_message WHERE created_at < before;
    GET DIAGNOSTICS account_messages = ROW_COUNT;
    DELETE FROM user_session WHERE expires_at < approdo_purge.now OR revoked_at IS NOT NULL;
    GET DIAGNOSTICS sessions = ROW_COUNT;
    DELETE FROM password_token WHERE used_at IS NOT NULL OR expires_at < approdo_purge.now;
    GET DIAGNOSTICS tokens = ROW_COUNT;
    RETURN NEXT;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION approdo_pseudonymise_case(uuid), approdo_pseudonymise_closed(timestamptz, int),
    approdo_erase_case(uuid, text, text), approdo_purge(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approdo_pseudonymise_closed(timestamptz, int), approdo_erase_case(uuid, text, text),
    approdo_purge(timestamptz, timestamptz) TO approdo_app;

-- +goose Down
DROP FUNCTION approdo_purge(timestamptz, timestamptz);
DROP FUNCTION approdo_erase_case(uuid, text, text);
DROP FUNCTION approdo_pseudonymise_closed(timestamptz, int);
DROP FUNCTION approdo_pseudonymise_case(uuid);
DROP FUNCTION approdo_without_notes(jsonb);
DROP FUNCTION approdo_pseudonymous_family(jsonb);
DROP INDEX enrolment_case_retention_idx;
ALTER TABLE family_import DROP COLUMN pseudonymised_at;
ALTER TABLE intervention DROP COLUMN pseudonymised_at;
ALTER TABLE reunification_journey DROP COLUMN pseudonymised_at;
ALTER TABLE enrolment_case DROP COLUMN pseudonymised_at;
