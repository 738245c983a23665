-- +goose Up
-- The certified mailbox of each comune, where placements are notified by PEC.
ALTER TABLE comune ADD COLUMN pec text;

-- +goose Down
ALTER TABLE comune DROP COLUMN pec;
