-- Every organisation onboarded by PEC (its administrator got credentials), with its last
-- credentials and whether anyone of it has logged in: UST's onboarding page. @kind, when
-- not empty, keeps one kind of organisation. Not logged in first (undelivered before the
-- rest), then by organisation.
WITH latest AS (
    SELECT DISTINCT ON (u.organisation)
           u.organisation, u.email, m.key, m.created_at, m.sent_at, m.delivered_at, m.undelivered,
           count(*) OVER (PARTITION BY u.organisation) AS rounds
    FROM account_message m
    JOIN app_user u ON u.id = m.user_id
    WHERE m.kind = 'credentials' AND m.key LIKE 'onboarding/%'
    ORDER BY u.organisation, m.created_at DESC, m.id DESC
)
SELECT o.id, o.kind, o.name, l.email, l.rounds, l.created_at, l.sent_at, l.delivered_at, coalesce(l.undelivered, ''),
       (SELECT min(u.first_login_at) FROM app_user u WHERE u.organisation = o.id) AS first_login_at
FROM latest l
JOIN organisation o ON o.id = l.organisation
WHERE @kind::text = '' OR o.kind = @kind::text
ORDER BY (SELECT min(u.first_login_at) FROM app_user u WHERE u.organisation = o.id) IS NOT NULL,
         (l.undelivered IS NULL), o.id
LIMIT @limit
