-- The cases a hub sees (as the policy case_read), for the planner's indexes.
AND c.hub = @scope_org
