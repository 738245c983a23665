-- +goose Up
-- Organisations and the API tokens that act for them. A token is stored only as the
-- SHA-256 of its secret: a token is 32 random bytes, so a fast hash is as safe as a slow
-- one and keeps every request cheap. Organisations and tokens are created and revoked by
-- the owner (the `approdo org` and `approdo token` commands); the application only looks
-- a token up and notes when it was last used.
CREATE TABLE organisation (
    id         text        PRIMARY KEY, -- stored form: "cti:21", "school:MIIC90001A", "ust"
    kind       text        NOT NULL CHECK (kind IN ('comune', 'cti', 'polo_start', 'school', 'ust', 'one_stop_shop', 'orientation', 'prefettura')),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_token (
    id           uuid        PRIMARY KEY,
    organisation text        NOT NULL REFERENCES organisation (id),
    name         text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('operator', 'admin')),
    secret_hash  bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_token_organisation_idx ON api_token (organisation);

GRANT SELECT ON organisation, api_token TO approdo_app;
GRANT UPDATE (last_used_at) ON api_token TO approdo_app;

-- +goose Down
DROP TABLE api_token;
DROP TABLE organisation;
