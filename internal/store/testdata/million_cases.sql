-- The benchmark's territory and read model: 6 ambiti, 133 comuni (Milano 015146 in ambito
-- 21), 1,000,000 cases filed over two years before @now, 30% of them in Milano, with
-- tasks, placements and the proposals a school's visibility reads. Made up, not sample data.
INSERT INTO ambito (code, name, cti_name, cti_host_school)
SELECT a::text, 'Ambito ' || a, 'CTI ' || a, 'MIIC' || lpad(a::text, 6, '0') FROM generate_series(21, 26) a;

INSERT INTO comune (istat, name, ambito)
SELECT CASE WHEN n = 133 THEN '015146' ELSE '015' || lpad(n::text, 3, '0') END, 'Comune ' || n,
       CASE WHEN n = 133 THEN '21' ELSE (21 + n % 6)::text END
FROM generate_series(1, 133) n;

INSERT INTO enrolment_case (id, request_id, filed_by, request_hash, workflow_id, comune, level,
    minor_given_name, minor_family_name, minor_birth_date, stage, created_at, updated_at, origin,
    hub, school, placement, enrolled_at, escalated, dropout_risk, task_kind, task_owner, task_since, task_due_at)
SELECT id, id, comune, 'h', 'enrolment-' || id, comune, level, 'N', 'N', '2015-01-01', stage, created, created, origin,
       hub, school,
       CASE WHEN stage IN ('enrolled', 'completed') THEN jsonb_build_object('School', school, 'Direct', i % 20 = 0) END,
       CASE WHEN stage IN ('enrolled', 'completed') THEN created + (1 + i % 30) * interval '1 day' END,
       i % 25 = 0, stage IN ('enrolled', 'completed') AND i % 50 = 0,
       CASE stage WHEN 'awaiting_proposal' THEN 'propose_school' WHEN 'awaiting_decision' THEN 'decide_proposal' WHEN 'unrouted' THEN 'assign_hub' END,
       CASE stage WHEN 'awaiting_proposal' THEN hub WHEN 'awaiting_decision' THEN 'school:' || school WHEN 'unrouted' THEN 'ust' END,
       CASE WHEN stage IN ('awaiting_proposal', 'awaiting_decision', 'unrouted') THEN created END,
       CASE WHEN stage IN ('awaiting_proposal', 'awaiting_decision', 'unrouted') THEN @now::timestamptz + ((i % 40) - 10) * interval '1 day' END
FROM (
    SELECT s.*,
           CASE WHEN stage = 'unrouted' THEN NULL
                WHEN comune = '015146' AND level IN ('primaria', 'secondaria_primo_grado') THEN 'polo_start:' || (1 + i % 4)
                ELSE 'cti:' || k.ambito END AS hub,
           CASE WHEN stage IN ('awaiting_decision', 'enrolled', 'completed') THEN 'MIIC' || lpad((i % 2000)::text, 6, '0') END AS school
    FROM (
        SELECT i, gen_random_uuid() AS id,
               CASE WHEN i % 10 < 3 THEN '015146' ELSE '015' || lpad((1 + i % 132)::text, 3, '0') END AS comune,
               (ARRAY['infanzia', 'primaria', 'secondaria_primo_grado', 'secondaria_secondo_grado', 'cpia'])[1 + (i / 7) % 5] AS level,
               (ARRAY['registered', 'unrouted', 'awaiting_proposal', 'awaiting_decision', 'enrolled',
                      'enrolled', 'completed', 'completed', 'withdrawn', 'awaiting_proposal'])[1 + (i / 3) % 10] AS stage,
               (ARRAY['ukrainian_refugee', 'family_reunification', 'other_recent_immigration', NULL])[1 + i % 4] AS origin,
               @now::timestamptz - (i % 730) * interval '1 day' - (i % 86400) * interval '1 second' AS created
        FROM generate_series(1, 1000000) i
    ) s JOIN comune k ON k.istat = s.comune
) c;

INSERT INTO case_event (case_id, seq, at, kind, actor, hub, school)
SELECT id, 1, created_at, 'proposed', hub, hub, school FROM enrolment_case WHERE school IS NOT NULL;
