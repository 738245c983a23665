INSERT INTO notification (key, case_id, kind, recipient, dispatched, dispatch_due, channel)
VALUES (@key, @case_id, @kind, @recipient, @dispatched, CASE WHEN @dispatched::boolean THEN now() END, @channel)
ON CONFLICT (key) DO NOTHING
