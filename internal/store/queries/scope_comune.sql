-- The cases a comune sees (as the policy case_read), for the planner's indexes.
AND (c.filed_by = @scope_code OR c.comune = @scope_code)
