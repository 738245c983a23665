-- +goose Up
-- The territory cases are routed in, replaced as a whole by `approdo refdata import`.
-- Cases keep codes, not foreign keys, so that replacing the reference data never touches
-- a case.
CREATE TABLE refdata_import (
    id          bigserial   PRIMARY KEY,
    version     text        NOT NULL,
    sample      boolean     NOT NULL,
    sha256      text        NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ambito (
    code            text PRIMARY KEY,
    name            text NOT NULL,
    cti_name        text NOT NULL,
    cti_host_school text NOT NULL
);

CREATE TABLE polo_start (
    code        text       PRIMARY KEY,
    name        text       NOT NULL,
    host_school text       NOT NULL,
    municipi    smallint[] NOT NULL
);

CREATE TABLE comune (
    istat  text PRIMARY KEY,
    name   text NOT NULL,
    ambito text NOT NULL REFERENCES ambito (code)
);

CREATE TABLE school (
    code      text     PRIMARY KEY,
    name      text     NOT NULL,
    levels    text[]   NOT NULL,
    comune    text     NOT NULL REFERENCES comune (istat),
    municipio smallint,
    email     text     NOT NULL,
    pec       text     NOT NULL
);

-- +goose Down
DROP TABLE school;
DROP TABLE comune;
DROP TABLE polo_start;
DROP TABLE ambito;
DROP TABLE refdata_import;
