SELECT seq, at, kind, coalesce(actor, ''), coalesce(hub, ''), coalesce(school, ''), coalesce(reason, ''), coalesce(note, '')
FROM case_event
WHERE case_id = @case_id
ORDER BY seq
