-- +goose Up
-- Territorial monitoring (issue 12): the enrolment time of each case, a visibility policy
-- the planner can evaluate once per query rather than once per row, and the indexes the
-- inboxes, lists and figures need.

-- enrolled_at is when the minor got a seat: the school's acceptance or the direct
-- enrolment. The progress write sets it once, from the event that placed the minor.
ALTER TABLE enrolment_case ADD COLUMN enrolled_at timestamptz;
UPDATE enrolment_case c
SET enrolled_at = coalesce(
        (SELECT min(e.at) FROM case_event e WHERE e.case_id = c.id AND e.kind IN ('accepted', 'enrolled_directly')),
        c.updated_at)
WHERE c.placement IS NOT NULL AND c.enrolled_at IS NULL;

-- approdo_org reads a setting, which parallel workers share: declared PARALLEL SAFE, a
-- policy that calls it no longer keeps a query from using them.
ALTER FUNCTION approdo_org() PARALLEL SAFE;

-- The caller's organisation, split. LANGUAGE sql and STABLE, so that a policy can call
-- them in a scalar subquery: PostgreSQL evaluates such a subquery once per query (an
-- InitPlan) and compares every row with its result, instead of calling a function per row.
CREATE FUNCTION approdo_org_kind() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT split_part(approdo_org(), ':', 1) $$;

-- approdo_org_code is the code after the kind ("015146" in "comune:015146"); NULL when none.
CREATE FUNCTION approdo_org_code() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(substr(approdo_org(), length(split_part(approdo_org(), ':', 1)) + 2), '') $$;

-- The cases proposed to the calling school at some point, read as the owner so that the
-- policy of case_event does not apply again. Empty for any caller but a school.
-- +goose StatementBegin
CREATE FUNCTION approdo_cases_proposed_to_me() RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT e.case_id FROM case_event e
    WHERE e.kind = 'proposed' AND split_part(approdo_org(), ':', 1) = 'school'
      AND e.school = nullif(substr(approdo_org(), 8), '')
$$;
-- +goose StatementEnd

-- The cases with an intervention, for the orientation service. Empty for anyone else.
-- +goose StatementBegin
CREATE FUNCTION approdo_cases_with_intervention() RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT i.case_id FROM intervention i WHERE approdo_org() = 'orientation'
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION approdo_cases_proposed_to_me() FROM PUBLIC;
REVOKE ALL ON FUNCTION approdo_cases_with_intervention() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approdo_cases_proposed_to_me(), approdo_cases_with_intervention() TO approdo_app;

-- The same rule as approdo_sees_case (which stays, for approdo_sees_case_id), written so
-- that every test of the caller is an InitPlan and every test of the row a comparison:
--   ust, system: every case;
--   orientation: the cases with an intervention;
--   one_stop_shop: the cases the one-stop shop filed;
--   a comune: the cases it filed and those of its residents;
--   a hub: the cases routed to it now;
--   a school: the cases proposed to it, enrolled in it, or that it registered directly.
-- Each branch starts with the test of the caller, and PostgreSQL evaluates an OR's and an
-- AND's arms in order, stopping early: a comune never builds a school's set.
DROP POLICY case_read ON enrolment_case;
CREATE POLICY case_read ON enrolment_case FOR SELECT TO approdo_app USING (
    (SELECT approdo_org()) IN ('ust', 'system')
    OR ((SELECT approdo_org_kind()) = 'comune'
        AND (filed_by = (SELECT approdo_org_code()) OR comune = (SELECT approdo_org_code())))
    OR ((SELECT approdo_org_kind()) IN ('cti', 'polo_start') AND (SELECT approdo_org_code()) IS NOT NULL
        AND hub = (SELECT approdo_org()))
    OR ((SELECT approdo_org_kind()) = 'school' AND (SELECT approdo_org_code()) IS NOT NULL
        AND (school = (SELECT approdo_org_code()) OR filed_by = (SELECT approdo_org())
             OR id IN (SELECT approdo_cases_proposed_to_me())))
    OR ((SELECT approdo_org_kind()) = 'one_stop_shop' AND split_part(filed_by, ':', 1) = 'one_stop_shop')
    OR ((SELECT approdo_org()) = 'orientation' AND id IN (SELECT approdo_cases_with_intervention()))
);

-- A case's events and referrals: UST and the worker without a call per row.
DROP POLICY event_read ON case_event;
CREATE POLICY event_read ON case_event FOR SELECT TO approdo_app
    USING ((SELECT approdo_org()) IN ('ust', 'system') OR approdo_sees_case_id(case_id));
DROP POLICY referral_read ON dropout_referral;
CREATE POLICY referral_read ON dropout_referral FOR SELECT TO approdo_app
    USING ((SELECT approdo_org()) IN ('ust', 'system') OR approdo_sees_case_id(case_id));

-- The inbox, ordered by deadline (overdue ones come first by construction), and the
-- lists of a comune, a hub and a school, newest first.
DROP INDEX enrolment_case_inbox_idx;
CREATE INDEX enrolment_case_inbox_idx ON enrolment_case (task_owner, task_due_at, created_at) WHERE task_kind IS NOT NULL;
CREATE INDEX enrolment_case_filed_by_list_idx ON enrolment_case (filed_by, created_at DESC, id DESC);
CREATE INDEX enrolment_case_comune_list_idx ON enrolment_case (comune, created_at DESC, id DESC);
CREATE INDEX enrolment_case_hub_list_idx ON enrolment_case (hub, created_at DESC, id DESC);
CREATE INDEX enrolment_case_school_list_idx ON enrolment_case (school, created_at DESC, id DESC);
CREATE INDEX case_event_proposed_idx ON case_event (school) WHERE kind = 'proposed';
CREATE INDEX enrolment_case_enrolled_idx ON enrolment_case (created_at) INCLUDE (enrolled_at, hub) WHERE enrolled_at IS NOT NULL;
CREATE INDEX intervention_case_idx ON intervention (case_id);
DROP INDEX enrolment_case_hub_idx;
DROP INDEX enrolment_case_school_idx;
DROP INDEX enrolment_case_comune_idx;

-- Journeys by stage over a period of intake, for UST, which reads no family.
-- +goose StatementBegin
CREATE FUNCTION approdo_journey_counts_between(since timestamptz, until timestamptz)
RETURNS TABLE (stage text, journeys bigint, escalated bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT j.stage, count(*), count(*) FILTER (WHERE j.escalated)
    FROM reunification_journey j
    WHERE (approdo_org() IN ('ust', 'system') OR split_part(approdo_org(), ':', 1) = 'one_stop_shop')
      AND (since IS NULL OR j.created_at >= since) AND (until IS NULL OR j.created_at < until)
    GROUP BY j.stage ORDER BY j.stage
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION approdo_journey_counts_between(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approdo_journey_counts_between(timestamptz, timestamptz) TO approdo_app;

-- +goose Down
DROP FUNCTION approdo_journey_counts_between(timestamptz, timestamptz);
CREATE INDEX enrolment_case_comune_idx ON enrolment_case (comune);
CREATE INDEX enrolment_case_school_idx ON enrolment_case (school);
CREATE INDEX enrolment_case_hub_idx ON enrolment_case (hub);
DROP INDEX intervention_case_idx;
DROP INDEX enrolment_case_enrolled_idx;
DROP INDEX case_event_proposed_idx;
DROP INDEX enrolment_case_school_list_idx;
DROP INDEX enrolment_case_hub_list_idx;
DROP INDEX enrolment_case_comune_list_idx;
DROP INDEX enrolment_case_filed_by_list_idx;
DROP INDEX enrolment_case_inbox_idx;
CREATE INDEX enrolment_case_inbox_idx ON enrolment_case (task_owner, task_due_at) WHERE task_kind IS NOT NULL;
DROP POLICY referral_read ON dropout_referral;
CREATE POLICY referral_read ON dropout_referral FOR SELECT TO approdo_app USING (approdo_sees_case_id(case_id));
DROP POLICY event_read ON case_event;
CREATE POLICY event_read ON case_event FOR SELECT TO approdo_app USING (approdo_sees_case_id(case_id));
DROP POLICY case_read ON enrolment_case;
CREATE POLICY case_read ON enrolment_case FOR SELECT TO approdo_app
    USING (approdo_sees_case(id, filed_by, comune, hub, school));
DROP FUNCTION approdo_cases_with_intervention();
DROP FUNCTION approdo_cases_proposed_to_me();
DROP FUNCTION approdo_org_code();
DROP FUNCTION approdo_org_kind();
ALTER FUNCTION approdo_org() PARALLEL UNSAFE;
ALTER TABLE enrolment_case DROP COLUMN enrolled_at;
