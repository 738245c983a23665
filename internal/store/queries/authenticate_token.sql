-- Looks a token up by its secret's hash and notes its use, in one round trip. The use
-- is noted at most once a minute: every request of a busy token would otherwise update
-- the same row, each waiting for the previous one's lock. The condition is on the row
-- being updated, so that requests racing for a stale stamp see, once the first has
-- written it, that it is fresh, and skip. Only valid tokens are noted.
WITH token AS (
    SELECT id, organisation, name, role, expires_at, revoked_at
    FROM api_token
    WHERE secret_hash = @secret_hash
), noted AS (
    UPDATE api_token SET last_used_at = @now
    FROM token
    WHERE api_token.id = token.id
      AND token.revoked_at IS NULL AND token.expires_at > @now
      AND (api_token.last_used_at IS NULL OR api_token.last_used_at < @now::timestamptz - interval '1 minute')
)
SELECT id::text, organisation, name, role, expires_at, revoked_at FROM token
