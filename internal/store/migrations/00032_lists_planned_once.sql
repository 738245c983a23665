-- +goose Up
-- Two changes that let a list keep one plan per connection (internal/store/list.go).
--
-- 1. The cases a comune filed for minors living elsewhere, by filer, newest first. A
-- comune's list reads its scope (filed_by = code OR comune = code) as two arms that do not
-- overlap: its residents' cases (enrolment_case_comune_list_idx) and the cases it filed for
-- minors living elsewhere (this index: transfers, few), each read newest first up to the
-- page and merged. With the OR, or with two overlapping arms, a plan made without the
-- comune's code either read every one of Milano's 300,000 cases to sort them (a bitmap of
-- both indexes, 1 s) or read twice the page and compared whole rows to drop the doubles;
-- now it reads the page, as the hand-written SQL does (56 buffers for Milano's list at a
-- million cases, as that SQL).
CREATE INDEX enrolment_case_filed_elsewhere_list_idx ON enrolment_case (filed_by, created_at DESC, id DESC)
    WHERE filed_by <> comune;

-- 2. approdo_cases_proposed_to_me() as in 00018, in PL/pgSQL instead of SQL: the same query,
-- the same rows, planned once per connection instead of at every call.
--
-- Why: a SQL function that cannot be inlined (this one is SECURITY DEFINER with its own
-- search_path, so that reading case_event does not apply the policies again) has its body
-- parsed and planned again at every query that calls it. PL/pgSQL keeps the plan of its
-- query for the connection. A school's list and the policy case_read call it at every
-- read; on the million cases of the benchmark (monitoring_bench_test.go) the function
-- took 2-14 ms a call under load (pgbench, 200 calls), its query alone 1.2 ms, and the
-- PL/pgSQL function 1.0-1.1 ms. What a school sees is unchanged
-- (TestARefusingSchoolSeesTheCaseOnlyForAWhile, TestScopeMatchesPolicy).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_cases_proposed_to_me() RETURNS SETOF uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT last.case_id FROM (
        SELECT DISTINCT ON (e.case_id) e.case_id, e.kind, e.at
        FROM case_event e
        WHERE e.kind IN ('proposed', 'rejected', 'proposal_withdrawn')
          AND split_part(approdo_org(), ':', 1) = 'school'
          AND e.school = nullif(substr(approdo_org(), 8), '')
        ORDER BY e.case_id, e.seq DESC
    ) last
    WHERE last.kind = 'proposed' OR last.at > now() - approdo_refused_school_window();
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX enrolment_case_filed_elsewhere_list_idx;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_cases_proposed_to_me() RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT last.case_id FROM (
        SELECT DISTINCT ON (e.case_id) e.case_id, e.kind, e.at
        FROM case_event e
        WHERE e.kind IN ('proposed', 'rejected', 'proposal_withdrawn')
          AND split_part(approdo_org(), ':', 1) = 'school'
          AND e.school = nullif(substr(approdo_org(), 8), '')
        ORDER BY e.case_id, e.seq DESC
    ) last
    WHERE last.kind = 'proposed' OR last.at > now() - approdo_refused_school_window()
$$;
-- +goose StatementEnd
