-- +goose Up
-- Per-organisation visibility enforced by PostgreSQL, and the audit log.
--
-- The API and the worker work as the role approdo_app (store.OpenApp sets it on every
-- connection). It is not the tables' owner and cannot bypass row-level security, so a
-- query that forgets a WHERE clause still returns only what the caller's organisation may
-- see. Each transaction names the caller in the setting approdo.org ("cti:21",
-- "school:MIIC90001A", "comune:015146", "ust"; "system" for the worker). No setting, no
-- rows. Migrations and the reference data import run as the owner.

-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'approdo_app') THEN
        CREATE ROLE approdo_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;
-- +goose StatementEnd

-- Whoever connects must be able to act as approdo_app.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('GRANT approdo_app TO %I', current_user);
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO approdo_app;
GRANT SELECT, INSERT, UPDATE ON enrolment_case, case_event, notification, dropout_referral TO approdo_app;
GRANT SELECT ON refdata_import, ambito, polo_start, comune, school TO approdo_app;

-- approdo_org is the caller's organisation, '' when none was set.
CREATE FUNCTION approdo_org() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('approdo.org', true), '') $$;

-- approdo_sees_case says whether the caller may see a case. It runs as the owner
-- (SECURITY DEFINER) so that reading case_event for a school does not apply the policies
-- again (which would recurse).
--   ust, system: every case;
--   a comune: the cases it filed and those of its residents (transferred to it included);
--   a hub: the cases routed to it now;
--   a school: the cases proposed to it (from the proposal on), enrolled in it, or that it
--   registered directly.
-- +goose StatementBegin
CREATE FUNCTION approdo_sees_case(case_id uuid, filed_by text, comune text, hub text, school text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    org  text := approdo_org();
    kind text := split_part(org, ':', 1);
    code text := substr(org, length(kind) + 2);
BEGIN
    IF org IN ('ust', 'system') THEN
        RETURN true;
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

ALTER TABLE enrolment_case ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification ENABLE ROW LEVEL SECURITY;
ALTER TABLE dropout_referral ENABLE ROW LEVEL SECURITY;

-- Reads follow the visibility rule; writes come from the worker only.
CREATE POLICY case_read ON enrolment_case FOR SELECT TO approdo_app
    USING (approdo_sees_case(id, filed_by, comune, hub, school));
CREATE POLICY case_insert ON enrolment_case FOR INSERT TO approdo_app
    WITH CHECK (approdo_org() = 'system');
CREATE POLICY case_update ON enrolment_case FOR UPDATE TO approdo_app
    USING (approdo_org() = 'system') WITH CHECK (approdo_org() = 'system');

-- A case's events, notifications and referrals are visible with the case.
-- +goose StatementBegin
CREATE FUNCTION approdo_sees_case_id(id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM enrolment_case c
        WHERE c.id = approdo_sees_case_id.id AND approdo_sees_case(c.id, c.filed_by, c.comune, c.hub, c.school))
$$;
-- +goose StatementEnd

CREATE POLICY event_read ON case_event FOR SELECT TO approdo_app USING (approdo_sees_case_id(case_id));
CREATE POLICY event_write ON case_event FOR INSERT TO approdo_app WITH CHECK (approdo_org() = 'system');
CREATE POLICY notification_read ON notification FOR SELECT TO approdo_app USING (approdo_org() IN ('system', 'ust'));
CREATE POLICY notification_write ON notification FOR INSERT TO approdo_app WITH CHECK (approdo_org() = 'system');
CREATE POLICY notification_update ON notification FOR UPDATE TO approdo_app USING (approdo_org() = 'system');
CREATE POLICY referral_read ON dropout_referral FOR SELECT TO approdo_app USING (approdo_sees_case_id(case_id));
CREATE POLICY referral_write ON dropout_referral FOR INSERT TO approdo_app WITH CHECK (approdo_org() = 'system');

-- The audit log: every read and write of a case through the API, append-only. The
-- application may add entries and UST may read them; nobody but the owner can change or
-- delete one, and the owner only through retention.
CREATE TABLE audit_log (
    id           bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text        NOT NULL, -- the user or token, e.g. "token:<id>", or "header" before accounts
    organisation text        NOT NULL,
    action       text        NOT NULL, -- e.g. "case.read", "case.propose", "case.list"
    case_id      uuid,
    request_id   text        NOT NULL,
    outcome      text        NOT NULL  -- the HTTP status
);
CREATE INDEX audit_log_case_idx ON audit_log (case_id, at);
CREATE INDEX audit_log_org_idx ON audit_log (organisation, at);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON audit_log TO approdo_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO approdo_app;
CREATE POLICY audit_append ON audit_log FOR INSERT TO approdo_app WITH CHECK (organisation = approdo_org());
CREATE POLICY audit_read ON audit_log FOR SELECT TO approdo_app USING (approdo_org() = 'ust');

-- +goose Down
DROP TABLE audit_log;
DROP POLICY referral_write ON dropout_referral;
DROP POLICY referral_read ON dropout_referral;
DROP POLICY notification_update ON notification;
DROP POLICY notification_write ON notification;
DROP POLICY notification_read ON notification;
DROP POLICY event_write ON case_event;
DROP POLICY event_read ON case_event;
DROP FUNCTION approdo_sees_case_id(uuid);
DROP POLICY case_update ON enrolment_case;
DROP POLICY case_insert ON enrolment_case;
DROP POLICY case_read ON enrolment_case;
ALTER TABLE dropout_referral DISABLE ROW LEVEL SECURITY;
ALTER TABLE notification DISABLE ROW LEVEL SECURITY;
ALTER TABLE case_event DISABLE ROW LEVEL SECURITY;
ALTER TABLE enrolment_case DISABLE ROW LEVEL SECURITY;
DROP FUNCTION approdo_sees_case(uuid, text, text, text, text);
DROP FUNCTION approdo_org();
REVOKE ALL ON refdata_import, ambito, polo_start, comune, school FROM approdo_app;
REVOKE ALL ON enrolment_case, case_event, notification, dropout_referral FROM approdo_app;
REVOKE USAGE ON SCHEMA public FROM approdo_app;
