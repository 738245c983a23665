-- +goose Up
-- The channel of a notice, decided once, when it is queued (issue 16).
--
-- Why: in the Ministry's registry 62 schools have a PEC but no email. A comune is
-- notified by PEC; anybody else by email when it has one, else by PEC (sent and followed
-- to its receipt by a DeliverNotification workflow, as a comune's), else by email, which
-- finds no address and is recorded undeliverable, its case told. Kept on the row so that a
-- retry, or an address added to the registry meanwhile, never switches a notice from the
-- dispatcher to a workflow or back. NULL for a row queued before: a comune's by PEC,
-- anybody else's by email, as then.
ALTER TABLE notification ADD COLUMN channel text CHECK (channel IN ('email', 'pec'));

-- +goose Down
ALTER TABLE notification DROP COLUMN channel;
