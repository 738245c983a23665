-- +goose Up
-- Bulk files of families sent by the Prefettura (or the one-stop shop): the whole file is
-- checked first; its valid families wait here until the import workflow has opened their
-- journeys, and "started" says how far it has got. The same file sent again is the same
-- import (source and SHA-256), so nothing is opened twice.
CREATE TABLE family_import (
    id         uuid        PRIMARY KEY,
    source     text        NOT NULL,
    filename   text        NOT NULL,
    sha256     text        NOT NULL,
    lines      int         NOT NULL,
    families   int         NOT NULL,
    rejected   jsonb       NOT NULL DEFAULT '[]',
    conflicts  jsonb       NOT NULL DEFAULT '[]',
    started    int         NOT NULL DEFAULT 0,
    done       boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, sha256)
);

CREATE TABLE family_import_row (
    import_id uuid  NOT NULL REFERENCES family_import (id) ON DELETE CASCADE,
    idx       int   NOT NULL,
    family    jsonb NOT NULL,
    PRIMARY KEY (import_id, idx)
);

GRANT SELECT, INSERT, UPDATE ON family_import TO approdo_app;
GRANT SELECT, INSERT ON family_import_row TO approdo_app;
ALTER TABLE family_import ENABLE ROW LEVEL SECURITY;
ALTER TABLE family_import_row ENABLE ROW LEVEL SECURITY;
-- Whoever sent the file, the one-stop shop and the worker read it; the sender writes it;
-- the worker records the progress.
CREATE POLICY import_read ON family_import FOR SELECT TO approdo_app
    USING (approdo_org() IN ('system', source) OR split_part(approdo_org(), ':', 1) = 'one_stop_shop');
CREATE POLICY import_insert ON family_import FOR INSERT TO approdo_app WITH CHECK (source = approdo_org());
CREATE POLICY import_update ON family_import FOR UPDATE TO approdo_app
    USING (approdo_org() = 'system') WITH CHECK (approdo_org() = 'system');
CREATE POLICY import_row_read ON family_import_row FOR SELECT TO approdo_app USING (approdo_org() = 'system');
CREATE POLICY import_row_insert ON family_import_row FOR INSERT TO approdo_app
    WITH CHECK (EXISTS (SELECT 1 FROM family_import i WHERE i.id = import_id AND i.source = approdo_org()));

-- +goose Down
DROP TABLE family_import_row;
DROP TABLE family_import;
