INSERT INTO audit_log (actor, organisation, action, case_id, request_id, outcome, client_address, subject)
VALUES (@actor, @organisation, @action, @case_id, @request_id, @outcome, @client_address, @subject)
