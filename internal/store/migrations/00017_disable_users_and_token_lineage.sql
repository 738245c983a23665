-- +goose Up
-- Removing people (issue 15): an admin disables a user, whose sessions end at once and
-- who can no longer log in; the row stays, so the audit log still names who acted.
-- A token records who made it (the token or the person acting), so that revoking a token,
-- or disabling a person, revokes the tokens minted with it too.
-- known_address_hash is the SHA-256 of the address of the user's last successful login:
-- an account closed to unknown addresses after many failures from anywhere stays open to
-- it, so that whoever guesses from elsewhere cannot keep the real user out. Only a hash
-- is kept: the address itself is not needed.
ALTER TABLE app_user ADD COLUMN disabled_at timestamptz;
ALTER TABLE app_user ADD COLUMN known_address_hash bytea;

ALTER TABLE api_token ADD COLUMN created_by_token uuid REFERENCES api_token (id);
ALTER TABLE api_token ADD COLUMN created_by_user uuid REFERENCES app_user (id);
CREATE INDEX api_token_created_by_token_idx ON api_token (created_by_token) WHERE created_by_token IS NOT NULL;
CREATE INDEX api_token_created_by_user_idx ON api_token (created_by_user) WHERE created_by_user IS NOT NULL;

GRANT UPDATE (disabled_at, known_address_hash) ON app_user TO approdo_app;

-- +goose Down
REVOKE UPDATE (disabled_at, known_address_hash) ON app_user FROM approdo_app;
DROP INDEX api_token_created_by_user_idx;
DROP INDEX api_token_created_by_token_idx;
ALTER TABLE api_token DROP COLUMN created_by_user;
ALTER TABLE api_token DROP COLUMN created_by_token;
ALTER TABLE app_user DROP COLUMN known_address_hash;
ALTER TABLE app_user DROP COLUMN disabled_at;
