-- +goose Up
-- One row per enrolment case. The workflow is the source of truth for the case's progress;
-- this table is what the API reads, so that listing and reading cases never depends on
-- Temporal's visibility store.
CREATE TABLE enrolment_case (
    id                uuid        PRIMARY KEY,
    request_id        uuid        NOT NULL,
    -- Who filed the request: the ISTAT code of the comune for now; an organisation
    -- reference once accounts exist.
    filed_by          text        NOT NULL,
    request_hash      text        NOT NULL,
    workflow_id       text        NOT NULL UNIQUE,
    comune            text        NOT NULL CHECK (comune ~ '^015[0-9]{3}$'),
    level             text        NOT NULL CHECK (level IN ('infanzia', 'primaria', 'secondaria_primo_grado', 'secondaria_secondo_grado', 'cpia')),
    minor_given_name  text        NOT NULL,
    minor_family_name text        NOT NULL,
    minor_birth_date  date        NOT NULL,
    stage             text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (filed_by, request_id)
);

CREATE INDEX enrolment_case_stage_idx ON enrolment_case (stage);

-- +goose Down
DROP TABLE enrolment_case;
