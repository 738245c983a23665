INSERT INTO notification (key, case_id, kind, recipient)
VALUES (@key, @case_id, @kind, @recipient)
ON CONFLICT (key) DO NOTHING
