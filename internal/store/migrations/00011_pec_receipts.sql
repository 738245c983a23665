-- +goose Up
-- PEC: what Approdo sends by certified mail and the receipts the provider returns.
--
-- pec_message is written before a PEC is handed to the provider, so that an attempt cut
-- short (the worker killed mid-send) can be told apart from one never made: the
-- acceptance receipt for its Message-ID says the provider took it, and it is not sent
-- again. workflow_id is the workflow that waits for its receipts.
CREATE TABLE pec_message (
    message_id    text        PRIMARY KEY,
    workflow_id   text        NOT NULL,
    address       text        NOT NULL,
    first_try_at  timestamptz NOT NULL DEFAULT now(),
    accepted_at   timestamptz,
    delivered_at  timestamptz,
    failed_at     timestamptz,
    failure       text
);

-- Every receipt the poller recognised, matched or not: the original is kept as evidence.
-- A receipt read twice (the poller restarted before it saved its place) is stored once.
CREATE TABLE pec_receipt (
    id                 bigserial   PRIMARY KEY,
    message_id         text        NOT NULL,
    kind               text        NOT NULL,
    recipient          text        NOT NULL DEFAULT '',
    receipt_message_id text        NOT NULL DEFAULT '',
    error              text        NOT NULL DEFAULT '',
    error_detail       text        NOT NULL DEFAULT '',
    issued_at          timestamptz NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    raw                bytea       NOT NULL,
    UNIQUE (message_id, kind, recipient, receipt_message_id)
);
CREATE INDEX pec_receipt_message_idx ON pec_receipt (message_id);

-- Messages in the PEC mailbox that are not usable receipts, kept for inspection.
CREATE TABLE pec_inbox_rejected (
    id          bigserial   PRIMARY KEY,
    message_id  text        NOT NULL DEFAULT '',
    reason      text        NOT NULL,
    raw         bytea       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Where the poller got to in each mailbox (IMAP UIDVALIDITY and the last UID handled).
CREATE TABLE pec_inbox_cursor (
    mailbox      text   PRIMARY KEY,
    uid_validity bigint NOT NULL,
    last_uid     bigint NOT NULL
);

-- A notice's fate after it was sent: delivered (a PEC's delivery receipt), or not.
ALTER TABLE notification
    ADD COLUMN sending_since timestamptz,
    ADD COLUMN delivered_at  timestamptz,
    ADD COLUMN undelivered   text;

-- Account messages (invitations, resets, a comune's first credentials) are sent like
-- notices: a key and a Message-ID chosen once, attempts, the outcome. The secret is wiped
-- once the message has left.
ALTER TABLE account_message
    ADD COLUMN key           text UNIQUE,
    ADD COLUMN channel       text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'pec')),
    ADD COLUMN address       text,
    ADD COLUMN message_id    text,
    ADD COLUMN attempts      int  NOT NULL DEFAULT 0,
    ADD COLUMN last_error    text,
    ADD COLUMN sending_since timestamptz,
    ADD COLUMN sent_at       timestamptz,
    ADD COLUMN delivered_at  timestamptz,
    ADD COLUMN undelivered   text,
    ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE account_message DROP CONSTRAINT IF EXISTS account_message_kind_check;
ALTER TABLE account_message ADD CONSTRAINT account_message_kind_check
    CHECK (kind IN ('invitation', 'reset', 'credentials', 'login_reminder'));

-- The first login of a user, for the onboarding of a comune.
ALTER TABLE app_user ADD COLUMN first_login_at timestamptz;

GRANT SELECT, INSERT, UPDATE ON pec_message TO approdo_app;
GRANT SELECT, INSERT ON pec_receipt TO approdo_app;
GRANT USAGE ON SEQUENCE pec_receipt_id_seq TO approdo_app;
GRANT INSERT ON pec_inbox_rejected TO approdo_app;
GRANT USAGE ON SEQUENCE pec_inbox_rejected_id_seq TO approdo_app;
GRANT SELECT, INSERT, UPDATE ON pec_inbox_cursor TO approdo_app;
GRANT UPDATE (sending_since, delivered_at, undelivered) ON notification TO approdo_app;
GRANT SELECT ON account_message TO approdo_app;
GRANT UPDATE (secret, address, message_id, attempts, last_error, sending_since, sent_at, delivered_at, undelivered)
    ON account_message TO approdo_app;
GRANT UPDATE (first_login_at) ON app_user TO approdo_app;
-- The onboarding of a comune creates its organisation.
GRANT INSERT ON organisation TO approdo_app;

-- +goose Down
REVOKE INSERT ON organisation FROM approdo_app;
REVOKE UPDATE (first_login_at) ON app_user FROM approdo_app;
ALTER TABLE app_user DROP COLUMN first_login_at;
ALTER TABLE account_message DROP CONSTRAINT account_message_kind_check;
DELETE FROM account_message WHERE secret IS NULL;
ALTER TABLE account_message
    DROP COLUMN key, DROP COLUMN channel, DROP COLUMN address, DROP COLUMN message_id,
    DROP COLUMN attempts, DROP COLUMN last_error, DROP COLUMN sending_since, DROP COLUMN sent_at,
    DROP COLUMN delivered_at, DROP COLUMN undelivered,
    ALTER COLUMN secret SET NOT NULL;
REVOKE SELECT ON account_message FROM approdo_app;
ALTER TABLE notification DROP COLUMN sending_since, DROP COLUMN delivered_at, DROP COLUMN undelivered;
DROP TABLE pec_inbox_cursor;
DROP TABLE pec_inbox_rejected;
DROP TABLE pec_receipt;
DROP TABLE pec_message;
