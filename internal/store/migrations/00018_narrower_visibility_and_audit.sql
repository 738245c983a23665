-- +goose Up
-- Narrower visibility and a fuller audit log (issue 15).

-- A school that refused a case, or whose proposal the hub withdrew, keeps seeing it only
-- for a short time after (to answer a question about its refusal), not for ever. The
-- window is a function, so that an operator can change it with CREATE OR REPLACE.
CREATE FUNCTION approdo_refused_school_window() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT interval '14 days' $$;

-- The cases proposed to the calling school whose last word for that school is the
-- proposal, or a refusal or withdrawal within the window. Empty for any caller but a school.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_cases_proposed_to_me() RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT last.case_id FROM (
        SELECT DISTINCT ON (e.case_id) e.case_id, e.kind, e.at
        FROM case_event e
        WHERE e.kind IN ('proposed', 'rejected', 'proposal_withdrawn')
          AND split_part(approdo_org(), ':', 1) = 'school'
          AND e.school = nullif(substr(approdo_org(), 8), '')
        ORDER BY e.case_id, e.seq DESC
    ) last
    WHERE last.kind = 'proposed' OR last.at > now() - approdo_refused_school_window()
$$;
-- +goose StatementEnd

-- approdo_sees_case (used by approdo_sees_case_id for events, referrals, notices) follows
-- the same rule for schools.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_sees_case(case_id uuid, filed_by text, comune text, hub text, school text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    org  text := approdo_org();
    kind text := split_part(org, ':', 1);
    code text := substr(org, length(kind) + 2);
BEGIN
    IF org IN ('ust', 'system') THEN
        RETURN true;
    END IF;
    IF kind = 'one_stop_shop' THEN
        RETURN split_part(approdo_sees_case.filed_by, ':', 1) = 'one_stop_shop';
    END IF;
    IF org = 'orientation' THEN
        RETURN EXISTS (SELECT 1 FROM intervention i WHERE i.case_id = approdo_sees_case.case_id);
    END IF;
    IF code = '' THEN
        RETURN false;
    END IF;
    CASE kind
    WHEN 'comune' THEN
        RETURN approdo_sees_case.filed_by = code OR approdo_sees_case.comune = code;
    WHEN 'cti', 'polo_start' THEN
        RETURN approdo_sees_case.hub = org;
    WHEN 'school' THEN
        RETURN approdo_sees_case.school = code OR approdo_sees_case.filed_by = org
            OR approdo_sees_case.case_id IN (SELECT approdo_cases_proposed_to_me());
    ELSE
        RETURN false;
    END CASE;
END
$$;
-- +goose StatementEnd

-- Who called from where, and what the request was about when it was no case: an
-- intervention, a journey, an organisation's user or token, the address a login or reset
-- was for (as its hash), a command of the CLI.
ALTER TABLE audit_log ADD COLUMN client_address text NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN subject text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_log DROP COLUMN subject;
ALTER TABLE audit_log DROP COLUMN client_address;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_cases_proposed_to_me() RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT e.case_id FROM case_event e
    WHERE e.kind = 'proposed' AND split_part(approdo_org(), ':', 1) = 'school'
      AND e.school = nullif(substr(approdo_org(), 8), '')
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_sees_case(case_id uuid, filed_by text, comune text, hub text, school text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    org  text := approdo_org();
    kind text := split_part(org, ':', 1);
    code text := substr(org, length(kind) + 2);
BEGIN
    IF org IN ('ust', 'system') THEN
        RETURN true;
    END IF;
    IF org = 'orientation' THEN
        RETURN EXISTS (SELECT 1 FROM intervention i WHERE i.case_id = approdo_sees_case.case_id);
    END IF;
    IF kind = 'one_stop_shop' THEN
        RETURN split_part(approdo_sees_case.filed_by, ':', 1) = 'one_stop_shop';
    END IF;
    IF code = '' THEN
        RETURN false;
    END IF;
    CASE kind
    WHEN 'comune' THEN
        RETURN approdo_sees_case.filed_by = code OR approdo_sees_case.comune = code;
    WHEN 'cti', 'polo_start' THEN
        RETURN approdo_sees_case.hub = org;
    WHEN 'school' THEN
        RETURN approdo_sees_case.school = code OR approdo_sees_case.filed_by = org OR EXISTS (
            SELECT 1 FROM case_event e
            WHERE e.case_id = approdo_sees_case.case_id AND e.school = code AND e.kind = 'proposed');
    ELSE
        RETURN false;
    END CASE;
END
$$;
-- +goose StatementEnd
DROP FUNCTION approdo_refused_school_window();
