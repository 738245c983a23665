-- +goose Up
-- Delivery of the queued notifications: the address used, the Message-ID (chosen once,
-- so that a retry sends the same message), attempts and the last error, shown to UST.
ALTER TABLE notification
    ADD COLUMN message_id text,
    ADD COLUMN address    text,
    ADD COLUMN attempts   int NOT NULL DEFAULT 0,
    ADD COLUMN last_error text;

GRANT UPDATE (message_id, address, attempts, last_error, sent_at) ON notification TO approdo_app;

-- +goose Down
REVOKE UPDATE (message_id, address, attempts, last_error, sent_at) ON notification FROM approdo_app;
ALTER TABLE notification DROP COLUMN message_id, DROP COLUMN address, DROP COLUMN attempts, DROP COLUMN last_error;
