-- +goose Up
-- People: users of an organisation who log in with a password (argon2id, PHC string),
-- their sessions (cookie secret and CSRF token, stored as hashes / values the browser
-- echoes) and the single-use tokens that set a password (invitation, reset).
CREATE TABLE app_user (
    id                   uuid        PRIMARY KEY,
    organisation         text        NOT NULL REFERENCES organisation (id),
    email                text        NOT NULL UNIQUE CHECK (email = lower(email)),
    name                 text        NOT NULL,
    role                 text        NOT NULL CHECK (role IN ('operator', 'admin')),
    password_hash        text,       -- NULL until the invitation is accepted
    must_change_password boolean     NOT NULL DEFAULT true,
    failed_logins        int         NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_session (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    secret_hash bytea       NOT NULL UNIQUE,
    csrf_token  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX user_session_user_idx ON user_session (user_id);

CREATE TABLE password_token (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    purpose     text        NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    secret_hash bytea       NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- Messages about accounts (an invitation, a reset link) wait here for the email sender.
-- The link's secret is kept only until it is sent; the sender deletes the row.
CREATE TABLE account_message (
    id         bigserial   PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    secret     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT ON app_user TO approdo_app;
GRANT UPDATE (password_hash, must_change_password, failed_logins, locked_until) ON app_user TO approdo_app;
GRANT SELECT, INSERT ON user_session TO approdo_app;
GRANT UPDATE (revoked_at) ON user_session TO approdo_app;
GRANT SELECT, INSERT ON password_token TO approdo_app;
GRANT UPDATE (used_at) ON password_token TO approdo_app;
GRANT INSERT ON account_message TO approdo_app;
GRANT USAGE ON SEQUENCE account_message_id_seq TO approdo_app;

-- +goose Down
DROP TABLE account_message;
DROP TABLE password_token;
DROP TABLE user_session;
DROP TABLE app_user;
