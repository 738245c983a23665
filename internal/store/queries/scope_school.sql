-- The cases a school sees (as the policy case_read), for the planner's indexes. A school
-- sees a case by three separate ways (its school column, filed_by, a proposal in
-- case_event), so the scope gathers the ids each way from its own index and unites them,
-- then reads those cases by primary key. The former OR of the three on the case row could
-- not be served by indexes (the proposals are no column of the row): the planner walked
-- every case newest first testing each, 0.7 s for a list at a million cases. Keeping the
-- proposed schools on the case row (an array with a GIN index) would have served the OR
-- too, but needs a column the progress write maintains and a backfill, and the refusal
-- window would still be read from case_event; the union uses the indexes there are.
AND c.id IN (SELECT s.id FROM enrolment_case s WHERE s.school = @scope_code
             UNION ALL SELECT s.id FROM enrolment_case s WHERE s.filed_by = @scope_org
             UNION ALL SELECT unnest(array(SELECT approdo_cases_proposed_to_me())))
