INSERT INTO notification (key, case_id, kind, recipient, dispatched, dispatch_due)
VALUES (@key, @case_id, @kind, @recipient, @dispatched, CASE WHEN @dispatched::boolean THEN now() END)
ON CONFLICT (key) DO NOTHING
