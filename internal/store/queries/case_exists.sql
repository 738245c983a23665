SELECT EXISTS (SELECT 1 FROM enrolment_case WHERE id = @id)
