-- +goose Up
-- A correction of the request (the enrolment workflow's amend) rewrites the form's
-- columns. form_seq is the number of the timeline event that wrote them last: a late
-- retry of an older correction's write finds a newer number and changes nothing.
ALTER TABLE enrolment_case ADD COLUMN form_seq bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE enrolment_case DROP COLUMN form_seq;
