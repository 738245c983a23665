-- +goose Up
-- Email notices are sent by the worker's dispatcher straight from the outbox, not by a
-- workflow each (PEC to comuni keeps its workflow, which waits for the receipt).
-- dispatched is set when such a row is queued, never after: a row queued before this
-- change (a DeliverNotification workflow owns it) or a PEC is never the dispatcher's.
-- dispatch_due says when the dispatcher should next try a dispatched row; NULL once it is
-- settled (sent, refused, given up).
-- dispatch_lease names the dispatcher holding the row until dispatch_due: another may
-- take it only once that lease has run out (its worker killed mid-send).
ALTER TABLE notification
    ADD COLUMN dispatched     boolean NOT NULL DEFAULT false,
    ADD COLUMN dispatch_due   timestamptz,
    ADD COLUMN dispatch_lease uuid;

-- The dispatchers' poll reads only the rows still to send, whatever the outbox's size.
CREATE INDEX notification_dispatch_due_idx ON notification (dispatch_due) WHERE dispatch_due IS NOT NULL;
ALTER TABLE notification ADD CONSTRAINT notification_dispatch_due_dispatched CHECK (dispatch_due IS NULL OR dispatched);

GRANT UPDATE (dispatch_due, dispatch_lease) ON notification TO approdo_app;

-- +goose Down
REVOKE UPDATE (dispatch_due, dispatch_lease) ON notification FROM approdo_app;
DROP INDEX notification_dispatch_due_idx;
ALTER TABLE notification DROP COLUMN dispatched, DROP COLUMN dispatch_due, DROP COLUMN dispatch_lease;
