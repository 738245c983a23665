-- +goose Up
-- The calendar of the territory: each comune's patron day (MM-DD; NULL where it was not
-- verified), with where it was verified, and the rite that sets its schools' Carnival;
-- the closures of the regional school calendar, replaced with the rest of the reference
-- data. Deadlines are counted with the calendar of the office that must act.
ALTER TABLE comune
    ADD COLUMN patron        text,
    ADD COLUMN patron_source text,
    ADD COLUMN rite          text;

CREATE TABLE school_closure (
    school_year text NOT NULL,
    first_day   date NOT NULL,
    last_day    date NOT NULL CHECK (last_day >= first_day),
    name        text NOT NULL,
    rite        text,
    source      text NOT NULL
);
-- Routing (the application role) reads it with the rest of the reference data.
GRANT SELECT ON school_closure TO approdo_app;

-- +goose Down
DROP TABLE school_closure;
ALTER TABLE comune DROP COLUMN rite, DROP COLUMN patron_source, DROP COLUMN patron;
