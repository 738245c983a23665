-- The cases a school sees (as the policy case_read), for the planner's indexes.
AND (c.school = @scope_code OR c.filed_by = @scope_org OR c.id = ANY ((SELECT array(SELECT approdo_cases_proposed_to_me()))::uuid[]))
