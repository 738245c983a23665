-- Retention: entries older than the configured period go. Only the owner runs this; the
-- application role cannot delete.
DELETE FROM audit_log WHERE at < @before
