-- Notices of cases that were sent but not delivered (a PEC's non-delivery notice, or no
-- delivery receipt in time), newest first, for UST's list. Row-level security shows the
-- notification table to UST and the system only.
SELECT n.key, n.case_id::text, n.kind, n.recipient, coalesce(n.address, ''),
       n.created_at, n.sent_at, n.undelivered
FROM notification n
WHERE n.undelivered IS NOT NULL
ORDER BY n.created_at DESC, n.key
LIMIT @limit
