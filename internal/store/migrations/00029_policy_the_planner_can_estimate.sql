-- +goose Up
-- The policy case_read as in 00021, whose first arm, UST's and the worker's, is written so
-- that the planner estimates the policy as letting every row through, whoever reads.
--
-- Why: every arm compares values known only at run time (InitPlans), which the planner
-- cannot estimate; (SELECT approdo_org()) IN ('ust', 'system') counted as 1% of the rows,
-- and the whole policy as about 1%. The store already adds the reader's own condition to
-- its queries (queries/scope_*.sql), which the planner estimates from the columns'
-- statistics like the hand-written SQL; multiplied by the policy's 1%, a comune's year of
-- cases (152,000 of a million) was expected as about 1,200 rows, and the figures grouped
-- them by sorting where the hand-written SQL hashes (1.6-1.9x its time).
--
-- "id <> ALL (array)" is the same test: the array is empty for UST and the worker, so the
-- arm holds for every row, and NULL for anyone else, so the arm is NULL (not true) and the
-- other arms decide, as before. The planner, not knowing the array, estimates it as ten
-- ids none of which is the row's: for a unique column, every row. The policy then no
-- longer narrows the estimate, the reader's condition does, and the plan is the
-- hand-written SQL's with the policy as one more filter. Evaluating the arm costs a test of
-- an empty or NULL array per row. What each reader sees is unchanged
-- (TestScopeMatchesPolicy, TestEachOrganisationSeesOnlyItsCases,
-- TestFiguresKeepToTheReadersCasesWhateverTheQueryAsks).
DROP POLICY case_read ON enrolment_case;
CREATE POLICY case_read ON enrolment_case FOR SELECT TO approdo_app USING (
    id <> ALL ((SELECT CASE WHEN approdo_org() IN ('ust', 'system') THEN '{}'::uuid[] END)::uuid[])
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
    OR ((SELECT approdo_org()) = (SELECT approdo_one_stop_shop()) AND split_part(filed_by, ':', 1) = 'one_stop_shop')
    OR ((SELECT approdo_org()) = 'orientation' AND id = ANY ((SELECT array(SELECT approdo_cases_with_intervention()))::uuid[]))
);
