-- Stores the events of a case not stored yet; those already there are left as they are.
INSERT INTO case_event (case_id, seq, at, kind, actor, hub, school, reason, note)
SELECT @case_id, e.seq, e.at, e.kind, NULLIF(e.actor, ''), NULLIF(e.hub, ''), NULLIF(e.school, ''), NULLIF(e.reason, ''), NULLIF(e.note, '')
FROM unnest(@seqs::bigint[], @ats::timestamptz[], @kinds::text[], @actors::text[], @hubs::text[], @schools::text[], @reasons::text[], @notes::text[])
     AS e(seq, at, kind, actor, hub, school, reason, note)
ON CONFLICT (case_id, seq) DO NOTHING
