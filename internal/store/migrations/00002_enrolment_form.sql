-- +goose Up
-- The full request form of the UST platform. Columns for what is filtered or counted
-- (citizenship, origin, municipio, special needs, the suggested class); the rest of the
-- form in details. The special-needs note has a column of its own because only the hub
-- and the school may read it. Cases opened with the first slice's form keep NULLs here.
ALTER TABLE enrolment_case
    ADD COLUMN minor_sex            text CHECK (minor_sex IN ('F', 'M')),
    ADD COLUMN minor_citizenship    text CHECK (minor_citizenship ~ '^[A-Z]{2}$'),
    ADD COLUMN minor_codice_fiscale text,
    ADD COLUMN municipio            smallint CHECK (municipio BETWEEN 1 AND 9),
    ADD COLUMN origin               text CHECK (origin IN ('ukrainian_refugee', 'family_reunification', 'other_recent_immigration')),
    ADD COLUMN special_needs        boolean NOT NULL DEFAULT false,
    ADD COLUMN special_needs_note   text,
    ADD COLUMN suggested_level      text,
    ADD COLUMN suggested_year       smallint,
    -- languages, priorSchooling, guardian, residence address, notes
    ADD COLUMN details              jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE enrolment_case
    DROP COLUMN minor_sex,
    DROP COLUMN minor_citizenship,
    DROP COLUMN minor_codice_fiscale,
    DROP COLUMN municipio,
    DROP COLUMN origin,
    DROP COLUMN special_needs,
    DROP COLUMN special_needs_note,
    DROP COLUMN suggested_level,
    DROP COLUMN suggested_year,
    DROP COLUMN details;
