INSERT INTO organisation (id, kind, name) VALUES (@id, @kind, @name)
ON CONFLICT (id) DO UPDATE SET name = excluded.name
