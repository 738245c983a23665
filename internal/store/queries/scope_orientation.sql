-- The cases the orientation service sees (as the policy case_read), for the planner's indexes.
AND c.id = ANY ((SELECT array(SELECT approdo_cases_with_intervention()))::uuid[])
