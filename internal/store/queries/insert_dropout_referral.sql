INSERT INTO dropout_referral (case_id, check_index, school, reason, opened_at)
VALUES (@case_id, @check_index, @school, @reason, @opened_at)
ON CONFLICT (case_id, check_index) DO NOTHING
