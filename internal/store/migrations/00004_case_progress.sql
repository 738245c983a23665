-- +goose Up
-- How far each case has got, as its workflow reports it (the read model of lists, filters
-- and inboxes), its timeline, the outbox of notifications and the dropout-risk referrals.
-- seq is the number of the newest event applied: a report with a lower or equal number is
-- older than what is stored and changes nothing.
ALTER TABLE enrolment_case
    ADD COLUMN seq               bigint  NOT NULL DEFAULT 0,
    ADD COLUMN class_year        smallint,
    ADD COLUMN hub               text,
    ADD COLUMN school            text,
    ADD COLUMN proposal_count    int     NOT NULL DEFAULT 0,
    ADD COLUMN escalated         boolean NOT NULL DEFAULT false,
    ADD COLUMN escalation_reason text,
    ADD COLUMN dropout_risk      boolean NOT NULL DEFAULT false,
    ADD COLUMN task_kind         text,
    ADD COLUMN task_owner        text,
    ADD COLUMN task_since        timestamptz,
    ADD COLUMN task_due_at       timestamptz,
    ADD COLUMN task_reminder_at  timestamptz,
    ADD COLUMN task_reminded     boolean NOT NULL DEFAULT false,
    ADD COLUMN task_escalated    boolean NOT NULL DEFAULT false,
    ADD COLUMN placement         jsonb;

CREATE INDEX enrolment_case_list_idx ON enrolment_case (created_at DESC, id DESC);
CREATE INDEX enrolment_case_hub_idx ON enrolment_case (hub);
CREATE INDEX enrolment_case_school_idx ON enrolment_case (school);
CREATE INDEX enrolment_case_comune_idx ON enrolment_case (comune);
CREATE INDEX enrolment_case_inbox_idx ON enrolment_case (task_owner, task_due_at) WHERE task_kind IS NOT NULL;
CREATE INDEX enrolment_case_escalated_idx ON enrolment_case (created_at) WHERE escalated;

CREATE TABLE case_event (
    case_id uuid        NOT NULL REFERENCES enrolment_case (id) ON DELETE CASCADE,
    seq     bigint      NOT NULL,
    at      timestamptz NOT NULL,
    kind    text        NOT NULL,
    actor   text,
    hub     text,
    school  text,
    reason  text,
    note    text,
    PRIMARY KEY (case_id, seq)
);

-- The outbox: the email and PEC sender drains it and fills sent_at. The key is chosen by
-- the workflow, so a retried activity never queues a message twice.
CREATE TABLE notification (
    key        text        PRIMARY KEY,
    case_id    uuid        NOT NULL REFERENCES enrolment_case (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    recipient  text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);

CREATE INDEX notification_unsent_idx ON notification (created_at) WHERE sent_at IS NULL;

-- Pupils at risk of dropping out, for the orientation service: one per follow-up check.
CREATE TABLE dropout_referral (
    case_id     uuid        NOT NULL REFERENCES enrolment_case (id) ON DELETE CASCADE,
    check_index int         NOT NULL,
    school      text        NOT NULL,
    reason      text        NOT NULL CHECK (reason IN ('not_attending', 'no_answer')),
    opened_at   timestamptz NOT NULL,
    PRIMARY KEY (case_id, check_index)
);

-- +goose Down
DROP TABLE dropout_referral;
DROP TABLE notification;
DROP TABLE case_event;
DROP INDEX enrolment_case_escalated_idx;
DROP INDEX enrolment_case_inbox_idx;
DROP INDEX enrolment_case_comune_idx;
DROP INDEX enrolment_case_school_idx;
DROP INDEX enrolment_case_hub_idx;
DROP INDEX enrolment_case_list_idx;
ALTER TABLE enrolment_case
    DROP COLUMN seq, DROP COLUMN class_year, DROP COLUMN hub, DROP COLUMN school,
    DROP COLUMN proposal_count, DROP COLUMN escalated, DROP COLUMN escalation_reason,
    DROP COLUMN dropout_risk, DROP COLUMN task_kind, DROP COLUMN task_owner,
    DROP COLUMN task_since, DROP COLUMN task_due_at, DROP COLUMN task_reminder_at,
    DROP COLUMN task_reminded, DROP COLUMN task_escalated, DROP COLUMN placement;
