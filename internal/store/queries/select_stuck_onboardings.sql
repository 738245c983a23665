-- Onboardings of comuni that stopped: nobody of the comune ever logged in, and the last
-- credentials sent by PEC were not delivered, or were sent before @before. Not delivered
-- first, then the oldest. The comune's code is the organisation's ("comune:015146").
WITH latest AS (
    SELECT DISTINCT ON (u.organisation)
           u.organisation, m.key, m.created_at, m.sent_at, m.delivered_at, m.undelivered
    FROM account_message m
    JOIN app_user u ON u.id = m.user_id
    WHERE m.kind = 'credentials'
    ORDER BY u.organisation, m.created_at DESC, m.id DESC
)
SELECT split_part(o.id, ':', 2), o.name, l.key, l.created_at, l.sent_at, l.delivered_at,
       coalesce(l.undelivered, '')
FROM latest l
JOIN organisation o ON o.id = l.organisation
WHERE o.kind = 'comune'
  AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.organisation = o.id AND u.first_login_at IS NOT NULL)
  AND (l.undelivered IS NOT NULL OR coalesce(l.sent_at, l.created_at) <= @before)
ORDER BY (l.undelivered IS NULL), l.created_at, o.id
LIMIT @limit
