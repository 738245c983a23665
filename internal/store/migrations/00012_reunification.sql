-- +goose Up
-- Reunification journeys (FAMI "Lab Impact", Azione 2): the projection the one-stop shop
-- lists and filters. The family as sent is personal data: only the one-stop shop and the
-- worker read it; UST gets counts through approdo_journey_counts().
CREATE TABLE reunification_journey (
    id                uuid        PRIMARY KEY,
    reference         text        NOT NULL,
    source            text        NOT NULL,
    family            jsonb       NOT NULL,
    family_hash       text        NOT NULL,
    workflow_id       text        NOT NULL,
    comune            text        NOT NULL,
    stage             text        NOT NULL,
    escalated         boolean     NOT NULL DEFAULT false,
    escalation_reason text,
    deadline          timestamptz,
    arrived_on        date,
    support_areas     text[]      NOT NULL DEFAULT '{}',
    children          jsonb       NOT NULL DEFAULT '[]',
    timeline          jsonb       NOT NULL DEFAULT '[]',
    seq               bigint      NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reunification_journey_stage_idx ON reunification_journey (stage, deadline);

GRANT SELECT, INSERT, UPDATE ON reunification_journey TO approdo_app;
ALTER TABLE reunification_journey ENABLE ROW LEVEL SECURITY;
CREATE POLICY journey_read ON reunification_journey FOR SELECT TO approdo_app
    USING (approdo_org() = 'system' OR split_part(approdo_org(), ':', 1) = 'one_stop_shop');
CREATE POLICY journey_insert ON reunification_journey FOR INSERT TO approdo_app WITH CHECK (approdo_org() = 'system');
CREATE POLICY journey_update ON reunification_journey FOR UPDATE TO approdo_app
    USING (approdo_org() = 'system') WITH CHECK (approdo_org() = 'system');

-- UST watches the territory: how many journeys stand at each stage, and how many are
-- escalated, without reading a family.
-- +goose StatementBegin
CREATE FUNCTION approdo_journey_counts() RETURNS TABLE (stage text, journeys bigint, escalated bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT j.stage, count(*), count(*) FILTER (WHERE j.escalated)
    FROM reunification_journey j
    WHERE approdo_org() IN ('ust', 'system') OR split_part(approdo_org(), ':', 1) = 'one_stop_shop'
    GROUP BY j.stage ORDER BY j.stage
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION approdo_journey_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approdo_journey_counts() TO approdo_app;

-- The one-stop shop sees the enrolment cases its journeys opened (filed by
-- "one_stop_shop:reunification"); the rest of the rule is as in 00005.
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

-- +goose Down
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
DROP FUNCTION approdo_journey_counts();
DROP TABLE reunification_journey;
