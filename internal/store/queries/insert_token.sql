INSERT INTO api_token (id, organisation, name, role, secret_hash, expires_at)
VALUES (@id, @organisation, @name, @role, @secret_hash, @expires_at)
