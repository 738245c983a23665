-- +goose Up
-- A school may report a pupil at risk on its own: such referrals are numbered from 100.
ALTER TABLE dropout_referral DROP CONSTRAINT dropout_referral_reason_check;
ALTER TABLE dropout_referral ADD CONSTRAINT dropout_referral_reason_check
    CHECK (reason IN ('not_attending', 'no_answer', 'school_report'));

-- The orientation service sees the cases of the pupils it has an intervention for: it
-- interviews the pupil and the family, so it needs their names and contacts.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_sees_case(case_id uuid, filed_by text, comune text, hub text, school text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    org  text := approdo_org();
    kind text := split_part(org, ':', 1);
    code text := substr(org, length(kind) + 2);
BEGIN
    IF org IN ('ust', 'system') THEN
        RETURN true;
    END IF;
    IF org = 'orientation' THEN
        RETURN EXISTS (SELECT 1 FROM intervention i WHERE i.case_id = approdo_sees_case.case_id);
    END IF;
    IF kind = 'one_stop_shop' THEN
        RETURN split_part(approdo_sees_case.filed_by, ':', 1) = 'one_stop_shop';
    END IF;
    IF code = '' THEN
        RETURN false;
    END IF;
    CASE kind
    WHEN 'comune' THEN
        RETURN approdo_sees_case.filed_by = code OR approdo_sees_case.comune = code;
    WHEN 'cti', 'polo_start' THEN
        RETURN approdo_sees_case.hub = org;
    WHEN 'school' THEN
        RETURN approdo_sees_case.school = code OR approdo_sees_case.filed_by = org OR EXISTS (
            SELECT 1 FROM case_event e
            WHERE e.case_id = approdo_sees_case.case_id AND e.school = code AND e.kind = 'proposed');
    ELSE
        RETURN false;
    END CASE;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION approdo_sees_case(case_id uuid, filed_by text, comune text, hub text, school text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    org  text := approdo_org();
    kind text := split_part(org, ':', 1);
    code text := substr(org, length(kind) + 2);
BEGIN
    IF org IN ('ust', 'system') THEN
        RETURN true;
    END IF;
    IF kind = 'one_stop_shop' THEN
        RETURN split_part(approdo_sees_case.filed_by, ':', 1) = 'one_stop_shop';
    END IF;
    IF code = '' THEN
        RETURN false;
    END IF;
    CASE kind
    WHEN 'comune' THEN
        RETURN approdo_sees_case.filed_by = code OR approdo_sees_case.comune = code;
    WHEN 'cti', 'polo_start' THEN
        RETURN approdo_sees_case.hub = org;
    WHEN 'school' THEN
        RETURN approdo_sees_case.school = code OR approdo_sees_case.filed_by = org OR EXISTS (
            SELECT 1 FROM case_event e
            WHERE e.case_id = approdo_sees_case.case_id AND e.school = code AND e.kind = 'proposed');
    ELSE
        RETURN false;
    END CASE;
END
$$;
-- +goose StatementEnd
DELETE FROM dropout_referral WHERE reason = 'school_report';
ALTER TABLE dropout_referral DROP CONSTRAINT dropout_referral_reason_check;
ALTER TABLE dropout_referral ADD CONSTRAINT dropout_referral_reason_check CHECK (reason IN ('not_attending', 'no_answer'));
