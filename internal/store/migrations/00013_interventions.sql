-- +goose Up
-- The anti-dropout interventions of the orientation service ("Cerco Offro Scuola", FAMI
-- Lab Impact Azione 1), as their workflows report them: the read model of its worklist
-- and of UST's counts.
--
-- id is the workflow ID ("intervention-<case>-<referral>"). seq is the number of the
-- newest event applied: a report with a lower or equal number is older than what is
-- stored and changes nothing. Each report carries the whole timeline, plan and reviews,
-- so they are kept as JSON with the row and replaced together with it.
CREATE TABLE intervention (
    id                text        PRIMARY KEY,
    case_id           uuid        NOT NULL REFERENCES enrolment_case (id) ON DELETE CASCADE,
    referral          text        NOT NULL,
    school            text,
    comune            text,
    reason            text        NOT NULL CHECK (reason IN ('not_attending', 'no_answer', 'school_report')),
    stage             text        NOT NULL,
    operator          text,
    task_kind         text,
    task_owner        text,
    task_since        timestamptz,
    task_due          timestamptz,
    task_reminder_at  timestamptz,
    task_reminded     boolean     NOT NULL DEFAULT false,
    task_escalated    boolean     NOT NULL DEFAULT false,
    escalated         boolean     NOT NULL DEFAULT false,
    escalation_reason text,
    outcome           text,
    interview         jsonb,
    plan              jsonb,
    reviews           jsonb       NOT NULL DEFAULT '[]',
    timeline          jsonb       NOT NULL DEFAULT '[]',
    seq               bigint      NOT NULL,
    opened_at         timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, referral)
);

CREATE INDEX intervention_stage_idx ON intervention (stage);
CREATE INDEX intervention_school_idx ON intervention (school);
CREATE INDEX intervention_due_idx ON intervention (task_due) WHERE task_kind IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON intervention TO approdo_app;

-- The worker writes; the orientation service, which works the interventions, and UST,
-- which supervises them, read. Schools and comuni see none: a referral is about a pupil's
-- private difficulties, and the school hears of the outcome by notice.
ALTER TABLE intervention ENABLE ROW LEVEL SECURITY;
CREATE POLICY intervention_read ON intervention FOR SELECT TO approdo_app
    USING (approdo_org() IN ('system', 'orientation', 'ust'));
CREATE POLICY intervention_insert ON intervention FOR INSERT TO approdo_app
    WITH CHECK (approdo_org() = 'system');
CREATE POLICY intervention_update ON intervention FOR UPDATE TO approdo_app
    USING (approdo_org() = 'system') WITH CHECK (approdo_org() = 'system');

-- +goose Down
DROP POLICY intervention_update ON intervention;
DROP POLICY intervention_insert ON intervention;
DROP POLICY intervention_read ON intervention;
REVOKE ALL ON intervention FROM approdo_app;
DROP TABLE intervention;
