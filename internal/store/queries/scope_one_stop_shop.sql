-- The cases the one-stop shop sees (as the policy case_read).
AND split_part(c.filed_by, ':', 1) = 'one_stop_shop'
