INSERT INTO api_token (id, organisation, name, role, secret_hash, expires_at, created_by_token, created_by_user)
VALUES (@id, @organisation, @name, @role, @secret_hash, @expires_at, @created_by_token, @created_by_user)
