SELECT id::text, organisation, name, role, expires_at, revoked_at
FROM api_token
WHERE secret_hash = @secret_hash
