-- +goose Up
-- The one-stop shop is one organisation, the Comune di Milano's (FAMI Azione 2), not any
-- organisation of its kind (issue 15): the journeys, the families' files and the cases the
-- journeys open are read by it alone. Like the refusal window, the organisation is a
-- function, so that an operator can change it with CREATE OR REPLACE; casework.OneStopShop
-- names the same one to the application.
CREATE FUNCTION approdo_one_stop_shop() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 'one_stop_shop:milano' $$;

DROP POLICY journey_read ON reunification_journey;
CREATE POLICY journey_read ON reunification_journey FOR SELECT TO approdo_app
    USING (approdo_org() = 'system' OR approdo_org() = approdo_one_stop_shop());
DROP POLICY import_read ON family_import;
CREATE POLICY import_read ON family_import FOR SELECT TO approdo_app
    USING (approdo_org() IN ('system', source) OR approdo_org() = approdo_one_stop_shop());

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_journey_counts() RETURNS TABLE (stage text, journeys bigint, escalated bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT j.stage, count(*), count(*) FILTER (WHERE j.escalated)
    FROM reunification_journey j
    WHERE approdo_org() IN ('ust', 'system') OR approdo_org() = approdo_one_stop_shop()
    GROUP BY j.stage ORDER BY j.stage
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_journey_counts_between(since timestamptz, until timestamptz)
RETURNS TABLE (stage text, journeys bigint, escalated bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT j.stage, count(*), count(*) FILTER (WHERE j.escalated)
    FROM reunification_journey j
    WHERE (approdo_org() IN ('ust', 'system') OR approdo_org() = approdo_one_stop_shop())
      AND (since IS NULL OR j.created_at >= since) AND (until IS NULL OR j.created_at < until)
    GROUP BY j.stage ORDER BY j.stage
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
    IF kind = 'one_stop_shop' THEN
        RETURN org = approdo_one_stop_shop() AND split_part(approdo_sees_case.filed_by, ':', 1) = 'one_stop_shop';
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

DROP POLICY case_read ON enrolment_case;
CREATE POLICY case_read ON enrolment_case FOR SELECT TO approdo_app USING (
    (SELECT approdo_org()) IN ('ust', 'system')
    OR ((SELECT approdo_org_kind()) = 'comune'
        AND (filed_by = (SELECT approdo_org_code()) OR comune = (SELECT approdo_org_code())))
    OR ((SELECT approdo_org_kind()) IN ('cti', 'polo_start') AND (SELECT approdo_org_code()) IS NOT NULL
        AND hub = (SELECT approdo_org()))
    OR ((SELECT approdo_org_kind()) = 'school' AND (SELECT approdo_org_code()) IS NOT NULL
        AND (school = (SELECT approdo_org_code()) OR filed_by = (SELECT approdo_org())
             OR id = ANY ((SELECT array(SELECT approdo_cases_proposed_to_me()))::uuid[])))
    OR ((SELECT approdo_org()) = (SELECT approdo_one_stop_shop()) AND split_part(filed_by, ':', 1) = 'one_stop_shop')
    OR ((SELECT approdo_org()) = 'orientation' AND id = ANY ((SELECT array(SELECT approdo_cases_with_intervention()))::uuid[]))
);

-- +goose Down
DROP POLICY case_read ON enrolment_case;
CREATE POLICY case_read ON enrolment_case FOR SELECT TO approdo_app USING (
    (SELECT approdo_org()) IN ('ust', 'system')
    OR ((SELECT approdo_org_kind()) = 'comune'
        AND (filed_by = (SELECT approdo_org_code()) OR comune = (SELECT approdo_org_code())))
    OR ((SELECT approdo_org_kind()) IN ('cti', 'polo_start') AND (SELECT approdo_org_code()) IS NOT NULL
        AND hub = (SELECT approdo_org()))
    OR ((SELECT approdo_org_kind()) = 'school' AND (SELECT approdo_org_code()) IS NOT NULL
        AND (school = (SELECT approdo_org_code()) OR filed_by = (SELECT approdo_org())
             OR id = ANY ((SELECT array(SELECT approdo_cases_proposed_to_me()))::uuid[])))
    OR ((SELECT approdo_org_kind()) = 'one_stop_shop' AND split_part(filed_by, ':', 1) = 'one_stop_shop')
    OR ((SELECT approdo_org()) = 'orientation' AND id = ANY ((SELECT array(SELECT approdo_cases_with_intervention()))::uuid[]))
);

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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_journey_counts_between(since timestamptz, until timestamptz)
RETURNS TABLE (stage text, journeys bigint, escalated bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT j.stage, count(*), count(*) FILTER (WHERE j.escalated)
    FROM reunification_journey j
    WHERE (approdo_org() IN ('ust', 'system') OR split_part(approdo_org(), ':', 1) = 'one_stop_shop')
      AND (since IS NULL OR j.created_at >= since) AND (until IS NULL OR j.created_at < until)
    GROUP BY j.stage ORDER BY j.stage
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_journey_counts() RETURNS TABLE (stage text, journeys bigint, escalated bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT j.stage, count(*), count(*) FILTER (WHERE j.escalated)
    FROM reunification_journey j
    WHERE approdo_org() IN ('ust', 'system') OR split_part(approdo_org(), ':', 1) = 'one_stop_shop'
    GROUP BY j.stage ORDER BY j.stage
$$;
-- +goose StatementEnd

DROP POLICY import_read ON family_import;
CREATE POLICY import_read ON family_import FOR SELECT TO approdo_app
    USING (approdo_org() IN ('system', source) OR split_part(approdo_org(), ':', 1) = 'one_stop_shop');
DROP POLICY journey_read ON reunification_journey;
CREATE POLICY journey_read ON reunification_journey FOR SELECT TO approdo_app
    USING (approdo_org() = 'system' OR split_part(approdo_org(), ':', 1) = 'one_stop_shop');
DROP FUNCTION approdo_one_stop_shop();
