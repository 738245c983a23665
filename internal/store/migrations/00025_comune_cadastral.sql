-- +goose Up
-- The comune's cadastral code (codice catastale, e.g. F205 for Milano): the Ministry's
-- school registry names a school's comune by it, so the import maps it to the ISTAT code.
ALTER TABLE comune ADD COLUMN cadastral text;

-- +goose Down
ALTER TABLE comune DROP COLUMN cadastral;
