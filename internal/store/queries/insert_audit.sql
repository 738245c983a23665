INSERT INTO audit_log (actor, organisation, action, case_id, request_id, outcome)
VALUES (@actor, @organisation, @action, @case_id, @request_id, @outcome)
