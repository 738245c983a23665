UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = @id
