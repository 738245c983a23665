-- Revokes the tokens minted by the token @token or by the person @user, and those they
-- minted in turn, down the whole line.
WITH RECURSIVE minted AS (
    SELECT id FROM api_token
    WHERE created_by_token = @token::uuid OR created_by_user = @user::uuid
  UNION
    SELECT t.id FROM api_token t JOIN minted m ON t.created_by_token = m.id
)
UPDATE api_token SET revoked_at = coalesce(revoked_at, now())
WHERE id IN (SELECT id FROM minted)
